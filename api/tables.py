"""ORM tables. The schema itself is made and changed only by Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every database; SQLite hands back naive values otherwise."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Model(Base):
    """A named template: a reference picture, ordered zones and output settings."""

    __tablename__ = "models"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    # casefolded name: model names are unique regardless of case
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    alignment: Mapped[str] = mapped_column(String(16), default="scale")
    output_format: Mapped[str] = mapped_column(String(8), default="png")
    output_quality: Mapped[int] = mapped_column(Integer, default=90)
    filename_template: Mapped[str] = mapped_column(String(200), default="{source}_{zone}")
    # "review": a picture refused as not matching is kept for a person to place by hand
    on_refusal: Mapped[str] = mapped_column(String(16), default="review", server_default="review")
    image_path: Mapped[str] = mapped_column(String(300))
    image_format: Mapped[str] = mapped_column(String(16))
    image_width: Mapped[int] = mapped_column(Integer)
    image_height: Mapped[int] = mapped_column(Integer)
    image_bytes: Mapped[int] = mapped_column(Integer)
    image_sha256: Mapped[str] = mapped_column(String(64))
    # the reference's pages after the first (whose facts are the image_* columns), as
    # {path, format, width, height, bytes, sha256}; null for a one-page reference
    extra_pages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    zones: Mapped[list[Zone]] = relationship(
        back_populates="model",
        order_by="Zone.position",
        cascade="all, delete-orphan",
        lazy="raise",
    )


class Zone(Base):
    """A rectangle in reference-picture pixels, filed into ``folder``."""

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("model_id", "name_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    model_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100))
    folder: Mapped[str] = mapped_column(String(1300))
    # the page of the reference the rectangle is drawn on, from 1
    page: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    x: Mapped[int] = mapped_column(Integer)
    y: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    model: Mapped[Model] = relationship(back_populates="zones", lazy="raise")


class Extraction(Base):
    """One run of one model over one picture, kept after the model changes or goes."""

    __tablename__ = "extractions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    model_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), index=True
    )
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    source_filename: Mapped[str] = mapped_column(String(300))
    source_format: Mapped[str] = mapped_column(String(16))
    source_width: Mapped[int] = mapped_column(Integer)
    source_height: Mapped[int] = mapped_column(Integer)
    source_bytes: Mapped[int] = mapped_column(Integer)
    source_sha256: Mapped[str] = mapped_column(String(64))
    # how many pages the upload has, and which one was cut when each page is cut alone
    source_pages: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    source_page: Mapped[int | None] = mapped_column(Integer)
    transform: Mapped[dict[str, Any]] = mapped_column(JSON)
    # who asked: a username or ``key:<name>``; null for records made before access control
    created_by: Mapped[str | None] = mapped_column(String(200))
    # the picture cut, kept in the sources storage for overlays until source_kept_until
    source_path: Mapped[str | None] = mapped_column(String(300))
    source_kept_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # "pending": the intent, written before any file, with its names reserved; "done"
    status: Mapped[str] = mapped_column(String(16), default="done", server_default="done")
    # the instance writing a pending intent (see Instance); null once done, and for intents
    # of before the leases, which only the intent timeout sweeps
    holder: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    crops: Mapped[list[Crop]] = relationship(
        back_populates="extraction",
        order_by="Crop.position",
        cascade="all, delete-orphan",
        lazy="raise",
    )


class Crop(Base):
    """One zone's sub-image of an extraction, as filed."""

    __tablename__ = "crops"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    extraction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("extractions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    zone_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    zone_name: Mapped[str] = mapped_column(String(100))
    folder: Mapped[str] = mapped_column(String(1300))
    page: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    path: Mapped[str] = mapped_column(String(1600))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    # corners in picture pixels, clockwise from the zone's top-left; null before they were kept
    quad: Mapped[list[list[float]] | None] = mapped_column(JSON)
    confidence: Mapped[float | None] = mapped_column(Float)

    extraction: Mapped[Extraction] = relationship(back_populates="crops", lazy="raise")


class User(Base):
    """A person who signs in with a username and password."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(100))
    # casefolded username: sign-in and uniqueness ignore case
    username_key: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    """A signed-in browser: only the SHA-256 of the cookie's token is kept."""

    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A system's credential: only the SHA-256 of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # model ids (as strings) the key may use; null for every model
    models: Mapped[list[str] | None] = mapped_column(JSON)
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInAttempt(Base):
    """A sign-in, counted by the throttle from the moment it starts.

    A row is a failure unless its attempt is still running; a success removes the failures
    of its (username, address). ``trusted``: made by a browser holding a device cookie of
    that user, which the limit on a username from everywhere does not count.
    """

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_username_key_at", "username_key", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # casefolded username as typed (the user need not exist)
    username_key: Mapped[str] = mapped_column(String(200))
    # the client: an IPv4 address or an IPv6 /64
    address: Mapped[str] = mapped_column(String(64))
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SignInLock(Base):
    """One row per throttle key (``user:<name>``, ``address:<client>``), locked while an
    attempt is counted so that concurrent attempts on the same key count one at a time."""

    __tablename__ = "sign_in_locks"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class TrustedDevice(Base):
    """A browser that signed in as a user before (its device cookie): only the SHA-256 of
    the cookie's token is kept."""

    __tablename__ = "trusted_devices"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SetupToken(Base):
    """The hash of the one-time first-run link's token, while no admin exists."""

    __tablename__ = "setup_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Who did what, when."""

    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    target: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FileReservation(Base):
    """An output path a pending extraction will write, reserved before its bytes are.

    Reserved names are never given to anyone else, and the sweep of an abandoned
    intent removes exactly these paths and nothing more.
    """

    __tablename__ = "file_reservations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    path: Mapped[str] = mapped_column(String(1600), unique=True)
    extraction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("extractions.id", ondelete="CASCADE"), index=True
    )
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutputFile(Base):
    """A filed output: folders and files are listed from here, on disk and in a bucket."""

    __tablename__ = "output_files"

    path: Mapped[str] = mapped_column(String(1600), primary_key=True)
    folder: Mapped[str] = mapped_column(String(1300), index=True)
    name: Mapped[str] = mapped_column(String(300))
    bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    extraction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("extractions.id", ondelete="SET NULL"), index=True
    )


class Review(Base):
    """A picture refused as not matching its model, kept for a person to place by hand."""

    __tablename__ = "reviews"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    model_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), index=True
    )
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    reason: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict[str, float] | None] = mapped_column(JSON)
    # the best guess of the reference -> picture homography, when there is one
    guess: Mapped[list[list[float]] | None] = mapped_column(JSON)
    source_filename: Mapped[str] = mapped_column(String(300))
    source_format: Mapped[str] = mapped_column(String(16))
    source_width: Mapped[int] = mapped_column(Integer)
    source_height: Mapped[int] = mapped_column(Integer)
    source_bytes: Mapped[int] = mapped_column(Integer)
    source_sha256: Mapped[str] = mapped_column(String(64))
    picture_path: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the instance cutting an item claimed for resolving (resolved, no extraction yet); an
    # item whose holder died is open again
    holder: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    extraction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("extractions.id", ondelete="SET NULL")
    )


class IdempotentRequest(Base):
    """The answer given to a request with an Idempotency-Key, kept per caller and key so
    that a retry gets it again (every ``/extract``: one picture or several).

    ``caller`` is ``user:<id>``, ``key:<id>``, ``bootstrap`` (the admin key of the
    settings) or ``cli`` (``zonecut extract`` on this instance): never a name that can be
    given again. ``answer`` holds the ids of the extractions filed and the
    refusals, in order (``kind: "single"`` for a request of one picture, ``kind: "job"``
    and the job's id for a job started); while ``status`` is ``pending`` the first
    request is still being cut. The caller ``job:<id>`` keeps the pages of a job (see
    :class:`Job`), keyed ``<part>/<page>``.
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    caller: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the instance cutting a pending request (see Instance); null for claims of before the
    # leases, taken over only after the pending timeout
    holder: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Instance(Base):
    """A live process of this deployment (a server worker, a local ``zonecut extract``):
    it renews ``heartbeat_at`` every few seconds. The pending work it holds (intents,
    idempotent requests) is its own while the heartbeat is fresh; once it is older than the
    lease, the process is taken for dead and any other sweeps or takes over that work.
    """

    __tablename__ = "instances"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # what it is, for people reading the table: "serve pid 123 on host", "cli pid 456"
    name: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Overlay(Base):
    """An overlay drawn once and kept beside the picture it was drawn on: an extraction's
    kept source (in the sources store) or a review item's picture (in the reviews store).

    One per (item, page, model version); recorded before its file is written, and removed
    with the picture it belongs to.
    """

    __tablename__ = "overlays"

    path: Mapped[str] = mapped_column(String(300), primary_key=True)
    extraction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("extractions.id", ondelete="CASCADE"), index=True
    )
    review_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), index=True
    )
    page: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sample(Base):
    """A picture kept with a model to be cut again before its zones change, and what
    each zone gave when it was added.

    Its files (the picture as given, a small copy of its first page, a small copy of each
    crop, its pages as decoded in tiles) lie in the samples store under
    ``<model id>/<sample id>/``. ``placement`` keeps where the reference lies in it,
    computed once per reference and alignment method (``placement_key``), so a check
    does not align it again.
    """

    __tablename__ = "model_samples"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    model_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(16))
    # page 1's size as cut, and how many pages it has
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer, default=1)
    bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    thumbnail_path: Mapped[str] = mapped_column(String(300))
    # the model's version when it was added, and each zone's crop then:
    # [{zone_id, zone_name, page, x, y, width, height, crop_width, crop_height, sha256, path}]
    model_version: Mapped[int] = mapped_column(Integer)
    crops: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # the extraction whose kept picture it is, when it was added from one
    extraction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("extractions.id", ondelete="SET NULL")
    )
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    placement_key: Mapped[str | None] = mapped_column(String(64))
    placement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # its pages as decoded, kept as tiles beside it: {key (the decoders), pages: [grid]}
    tiles: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Job(Base):
    """Cutting asked for asynchronously (``Prefer: respond-async``): its uploads, options
    and progress, so that any worker can take it up and resume it where it stopped.

    Each page (or part) cut is an :class:`IdempotentRequest` of the caller ``job:<id>``,
    kept in the transaction that files its extraction or keeps its refusal: a resumed job
    finds it done and cuts nothing twice. ``done``, ``filed`` and ``refused`` count them
    for reading (recounted from those rows whenever a worker takes the job up).
    ``status`` is ``uploading`` (not listed; swept when its holder dies before the upload
    ended), ``queued``, ``running``, ``done``, ``failed`` or ``cancelled``.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_caller_created_at", "caller", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # whose it is, as Idempotency-Keys are kept (``user:<id>``, ``key:<id>``…), and the
    # name the records show
    caller: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    model_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), index=True
    )
    model_name: Mapped[str] = mapped_column(String(200))
    # the options of POST /extract: format, alignment, pages ("each" or null)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    part_count: Mapped[int] = mapped_column(Integer)
    # the first part's file name, for people to tell their jobs apart
    filename: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # pages (or parts) to cut, known once the documents are counted
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    filed: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    # why a failed job failed
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the instance uploading or cutting it (see Instance); null while it waits
    holder: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # times a worker gave it back on a server error (the store away); past a few it fails
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # taken up again no earlier than this (after a server error)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # its uploads are removed after this, like the pictures kept for overlays
    kept_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    parts: Mapped[list[JobPart]] = relationship(
        back_populates="job",
        order_by="JobPart.number",
        cascade="all, delete-orphan",
        lazy="raise",
    )


class JobPart(Base):
    """One uploaded file of a job, kept in the jobs store until the job's time is over."""

    __tablename__ = "job_parts"
    __table_args__ = (UniqueConstraint("job_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300))
    # where the upload is kept; null once removed
    path: Mapped[str | None] = mapped_column(String(300))
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # starts like a PDF or a TIFF: may hold several pages
    document: Mapped[bool] = mapped_column(Boolean, default=False)
    # how many pages (or 1 for the part as a whole) it gives to cut, once counted
    units: Mapped[int | None] = mapped_column(Integer)

    job: Mapped[Job] = relationship(back_populates="parts", lazy="raise")


class Webhook(Base):
    """An address told of events (Standard Webhooks), with the secret its deliveries are
    signed with (kept as it is: signing needs it)."""

    __tablename__ = "webhooks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook: its body as signed, sent at least once (its id is the
    ``webhook-id`` of every attempt), retried with backoff for a day.

    ``status`` is ``pending`` (due at ``next_attempt_at``), ``delivered`` or ``failed``;
    ``holder`` is the instance sending it right now (taken over if that one dies).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_id_created_at", "webhook_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the receiver's status code of the last attempt, or why nothing was sent
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    holder: Mapped[uuid.UUID | None] = mapped_column(Uuid)
