"""Runtime settings, read from the environment with the ``ZONECUT_`` prefix."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIB = 1024 * 1024
ADMIN_KEY_MIN_LENGTH = 32


class Settings(BaseSettings):
    """Everything an operator can set. Tests build their own instance instead of patching."""

    # An error names the setting and what is wrong, never the value given: it may be a
    # secret (the admin key, a database URL with its password), and errors get printed.
    model_config = SettingsConfigDict(
        env_prefix="ZONECUT_", extra="ignore", hide_input_in_errors=True
    )

    data_dir: Path = Field(
        default=Path("./data"),
        description="Database file (SQLite default), reference pictures and outputs/.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file in data_dir."
    )
    max_upload_bytes: int = Field(default=50 * MIB, gt=0)
    max_image_pixels: int = Field(default=100_000_000, gt=0)
    max_pages: int = Field(
        default=50, gt=0, description="Most pages a PDF or multi-page TIFF may have."
    )
    max_request_pixels: int = Field(
        default=400_000_000,
        gt=0,
        description="Most pixels one request may decode or render over all its parts and "
        "pages (a reference upload too), checked before any is: past it the request is 413.",
    )
    max_parts: int = Field(
        default=50,
        gt=0,
        description="Most `image` parts one POST /extract may carry, counted as the form is "
        "read: past it the request is 413.",
    )
    max_zones_per_model: int = Field(default=500, gt=0)
    max_coordinate: int = Field(
        default=1_000_000, gt=0, description="Upper bound of any zone coordinate or size."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    frontend_dir: Path | None = Field(
        default=None, description="Built single-page app to serve at /; default frontend/dist."
    )
    admin_api_key: SecretStr | None = Field(
        default=None,
        description="Accepted verbatim as the admin API key `bootstrap` while it is set; "
        f"at least {ADMIN_KEY_MIN_LENGTH} characters.",
    )
    session_idle_minutes: int = Field(
        default=8 * 60, gt=0, description="A session unused this long ends."
    )
    session_max_hours: int = Field(
        default=7 * 24, gt=0, description="A session ends this long after sign-in, used or not."
    )
    storage_url: str | None = Field(
        default=None,
        pattern=r"^s3://[^/]+(/.*)?$",
        description="Unset: folders in data_dir. s3://bucket/prefix: an S3-compatible store.",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="The S3 API's address for stores other than AWS."
    )
    s3_presigned_downloads: bool = Field(
        default=False,
        description="Answer file downloads with a redirect to a short-lived presigned URL of "
        "the store instead of streaming them through the API.",
    )
    keep_sources_days: int = Field(
        default=30,
        ge=0,
        description="How long the picture of each extraction is kept for its overlay; 0 keeps "
        "none. An open review item's picture is kept until it is decided.",
    )
    intent_timeout_seconds: int = Field(
        default=300,
        gt=0,
        description="The last safety net: an extraction or Idempotency-Key still pending this "
        "long with no holder (from before the leases) was abandoned. Work held by an "
        "instance is swept when its lease lapses (ZONECUT_LEASE_SECONDS), never by age.",
    )
    lease_seconds: float = Field(
        default=15,
        gt=0,
        description="How long an instance (a server worker, a local zonecut extract) may miss "
        "its heartbeats before it is taken for dead: any live instance then removes the files "
        "its pending extractions reserved and a retry takes over its Idempotency-Keys.",
    )
    heartbeat_seconds: float = Field(
        default=3,
        gt=0,
        description="How often each instance renews its heartbeat (at least three times per "
        "lease, whatever is set here).",
    )
    idempotency_wait_seconds: float = Field(
        default=20,
        ge=0,
        description="How long a request whose Idempotency-Key is held by another request in "
        "flight waits for it: it answers that request's result, or cuts anew if it failed or "
        "its instance died. Past the wait: 409 with Retry-After.",
    )
    drain_grace_seconds: int = Field(
        default=5,
        ge=0,
        description="On SIGTERM, how long /ready answers 503 while requests are still "
        "accepted, so a balancer stops sending before the listener closes.",
    )
    drain_seconds: int = Field(
        default=30,
        gt=0,
        description="Once the listener is closed, how long requests in flight may take to "
        "finish; what is still running then is aborted and undone (no file, no record).",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies (comma-separated addresses, or *) whose X-Forwarded-* are trusted. "
        "The sign-in throttle counts by the client address a trusted proxy writes first in "
        "X-Forwarded-For: the proxy must overwrite that header, never append to the client's "
        "(deploy/nginx.conf sets it to $remote_addr).",
    )
    hash_concurrency: int = Field(
        default=2,
        gt=0,
        description="Most passwords hashed or checked at once per process (Argon2id takes "
        "64 MiB and a core's time for each).",
    )
    hash_wait_seconds: float = Field(
        default=3.0,
        gt=0,
        description="How long a sign-in waits for a free hashing slot before it is answered "
        "503 with Retry-After (its attempt is then not counted).",
    )
    max_head_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        description="Most bytes of a request's head (request line and headers) `zonecut serve` "
        "reads; a longer head is answered 431 before any of it reaches the app.",
    )
    head_timeout_seconds: float = Field(
        default=10,
        gt=0,
        description="A request's head must arrive within this many seconds of the connection "
        "opening (or of its first byte on a kept-alive connection); else the connection is "
        "closed, with a 408 when part of a head came.",
    )
    body_timeout_seconds: float = Field(
        default=10,
        gt=0,
        description="A request body that, waited for this many seconds, has brought fewer than "
        "this many times `min_body_bytes_per_second` bytes is dropped with a 408.",
    )
    min_body_bytes_per_second: int = Field(
        default=1024,
        ge=0,
        description="The slowest a request body may arrive, measured over "
        "`body_timeout_seconds` of waiting.",
    )
    max_connections: int = Field(
        default=1000,
        gt=0,
        description="Most open connections one server process holds; one more is answered "
        "503 and closed.",
    )

    job_runner: bool = Field(
        default=True,
        description="Run jobs and send webhook deliveries in the server's own processes (the "
        "embedded default). Set false where `zonecut worker` processes do it instead.",
    )
    job_workers: int = Field(
        default=1, gt=0, le=64, description="Jobs each process cuts at once (one thread each)."
    )
    job_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often an idle runner looks for jobs and deliveries queued by other "
        "instances (those of its own process wake it at once).",
    )
    job_max_upload_bytes: int = Field(
        default=2 * 1024 * MIB,
        gt=0,
        description="Largest body of a POST /extract with `Prefer: respond-async` (a job).",
    )
    job_max_pages: int = Field(
        default=2000, gt=0, description="Most pages a document of a job may have."
    )
    job_max_parts: int = Field(
        default=10_000, gt=0, description="Most `image` parts a job may carry."
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Deliver webhooks to loopback, private and link-local addresses too (never "
        "by default: checked on every resolved address at connect time).",
    )
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, description="How long one delivery attempt may take."
    )
    webhook_retry_seconds: float = Field(
        default=5,
        gt=0,
        description="The wait after a failed delivery attempt, doubled after each one (at most "
        "two hours) while the delivery is younger than a day.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """Accept a comma-separated list, the natural form in an environment variable."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("admin_api_key", mode="before")
    @classmethod
    def _empty_key_is_unset(cls, value: object) -> object:
        """An empty ``ZONECUT_ADMIN_API_KEY=`` means no bootstrap key, not a short one."""
        return None if value == "" else value

    @field_validator("admin_api_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < ADMIN_KEY_MIN_LENGTH:
            raise ValueError(
                f"must be at least {ADMIN_KEY_MIN_LENGTH} characters long "
                "(make one with: openssl rand -base64 32)"
            )
        return value

    @cached_property
    def effective_database_url(self) -> str:
        """The configured database, or the embedded SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zonecut.db').resolve()}"

    @property
    def heartbeat_every(self) -> timedelta:
        """How often the heartbeat is renewed: as set, and at least three times a lease."""
        return timedelta(seconds=min(self.heartbeat_seconds, self.lease_seconds / 3))

    @property
    def outputs_dir(self) -> Path:
        """Root of the zone folders."""
        return self.data_dir / "outputs"

    @property
    def references_dir(self) -> Path:
        """Where models' reference pictures are kept."""
        return self.data_dir / "references"


def describe_errors(error: ValidationError) -> str:
    """What is wrong with the settings, one clause per setting, by its variable's name and
    never with the value given."""
    return "; ".join(
        f"ZONECUT_{'_'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
        for problem in error.errors(include_input=False, include_url=False)
    )
