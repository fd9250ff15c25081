"""A replica that dies is routine: clients behind the proxy see nothing of it.

Real parts on loopback: nginx running deploy/nginx.conf (its upstreams and listen port
moved to loopback) in front of two `zonecut serve` replicas on one PostgreSQL database and
moto's S3 server; and the embedded default, one instance on SQLite and local disk. Clients
send every picture with an Idempotency-Key and retry on 409 and 503 with the same key, as
`zonecut extract` does; anything else they get is a client-visible error.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.api.conftest import ADMIN_KEY, bearer
from tests.api.factories import model_with_zones, picture_bytes, zone
from tests.api.processes import free_port, kill, start_server, stop, wait_until_serving
from tests.conftest import PostgresDatabases, S3Server
from tests.recovery.proxy import Nginx, fail_timeout_seconds, nginx_binary

# Short leases and drains, so that recovery is seen in seconds; the test never asserts a
# duration, it prints the figures.
RECOVERY = {
    "ZONECUT_LEASE_SECONDS": "3",
    "ZONECUT_IDEMPOTENCY_WAIT_SECONDS": "15",
    "ZONECUT_DRAIN_GRACE_SECONDS": "1",
    "ZONECUT_DRAIN_SECONDS": "10",
}
SWEPT_WITHIN = 30  # seconds: DESIGN's "orphaned objects are removed within 30 s"
GIVE_UP = 60  # seconds one picture may take, retries included, before a client gives up
PICTURE = picture_bytes(1600, 1200)
ZONES = [
    zone(f"z{i}", f"forms/{i % 3}", (i % 4) * 100, (i // 4) * 100, 100, 100) for i in range(12)
]

# issue 19 item 1; until then a dead holder's key is 409 and its files stay for 300 s


@pytest.fixture
def nginx() -> str:
    binary = nginx_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed: .ci/run installs it")
        pytest.skip("needs nginx (apt-get install nginx)")
    return binary


@dataclass
class Load:
    """Client threads posting pictures with keys until stopped, counting what they see."""

    url: str
    model: str
    clients: int = 4
    answers: dict[str, str] = field(default_factory=dict)  # key -> extraction id
    errors: list[str] = field(default_factory=list)
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> first try, 201
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, prefix: str) -> None:
        for n in range(self.clients):
            thread = threading.Thread(target=self._client, args=(f"{prefix}-{n}",))
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=GIVE_UP + 30)
        assert not any(thread.is_alive() for thread in self.threads)

    def _client(self, name: str) -> None:
        with httpx.Client(base_url=self.url, headers=bearer(ADMIN_KEY), timeout=120) as client:
            count = 0
            while not self.stopping.is_set():
                self._cut(client, f"{name}-{count}")
                count += 1

    def _cut(self, client: httpx.Client, key: str) -> None:
        started = time.monotonic()
        while time.monotonic() < started + GIVE_UP:
            try:
                answer = client.post(
                    "/extract",
                    data={"model": self.model},
                    files={"image": (f"{key}.png", PICTURE, "image/png")},
                    headers={"Idempotency-Key": key},
                )
            except httpx.TransportError as error:
                self._error(f"{key}: {error!r}")
                time.sleep(0.5)
                continue
            if answer.status_code == 201:
                with self.lock:
                    self.answers[key] = answer.json()["id"]
                    self.spans[key] = (started, time.monotonic())
                return
            if answer.status_code in (409, 503):  # the same key again, when told to
                time.sleep(min(float(answer.headers.get("retry-after", "1")), 2))
                continue
            self._error(f"{key}: {answer.status_code} {answer.text[:200]}")
            time.sleep(0.5)
        self._error(f"{key}: not cut within {GIVE_UP} s")

    def _error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def wait_for_work(load: Load, count: int) -> None:
    deadline = time.monotonic() + 120
    while len(load.answers) < count:
        assert time.monotonic() < deadline, load.errors
        time.sleep(0.1)


@dataclass
class Replica:
    env: dict[str, str]
    port: int
    log: Path
    process: Popen[bytes] | None = None

    def start(self, wait: bool = True) -> None:
        self.process = start_server(self.env, self.port, self.log, workers=1, wait=wait)


@dataclass
class Cluster:
    replicas: list[Replica]
    nginx: Nginx
    database_url: str
    s3_server: S3Server
    bucket: str

    def extracted_once(self, keys: dict[str, str]) -> None:
        """Each key's picture was cut exactly once: one finished extraction per key."""
        engine = create_engine(self.database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT source_filename, count(*) FROM extractions "
                    "WHERE status = 'done' GROUP BY source_filename"
                )
            ).all()
        engine.dispose()
        counts = {name.removesuffix(".png"): n for name, n in rows}
        assert {k: n for k, n in counts.items() if n != 1} == {}
        assert set(counts) == set(keys)
        assert len(set(keys.values())) == len(keys)

    def orphans(self) -> tuple[set[str], set[str]]:
        """Objects under outputs/ with no output file recorded, and records with no object."""
        engine = create_engine(self.database_url)
        with engine.connect() as connection:
            recorded = {
                f"zonecut/outputs/{path}"
                for (path,) in connection.execute(text("SELECT path FROM output_files"))
            }
        engine.dispose()
        paginator = self.s3_server.client().get_paginator("list_objects_v2")
        stored = {
            item["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix="zonecut/outputs/")
            for item in page.get("Contents", [])
        }
        return stored - recorded, recorded - stored

    def swept(self) -> tuple[float, int]:
        """Seconds until no orphan is left (polled up to SWEPT_WITHIN), and what is left."""
        started = time.monotonic()
        while True:
            orphans, missing = self.orphans()
            assert missing == set(), missing  # a recorded crop is never lost
            if not orphans or time.monotonic() > started + SWEPT_WITHIN:
                return time.monotonic() - started, len(orphans)
            time.sleep(0.5)


@pytest.fixture
def cluster(
    nginx: str, tmp_path: Path, postgres: PostgresDatabases | None, s3_server: S3Server
) -> Iterator[Cluster]:
    if postgres is None:
        pytest.skip("needs PostgreSQL (ZONECUT_TEST_DATABASE_URL)")
    database = postgres.create_empty()
    bucket = s3_server.new_bucket()
    replicas = [
        Replica(
            env={
                "ZONECUT_DATA_DIR": str(tmp_path / name),  # nothing shared on disk
                "ZONECUT_DATABASE_URL": database,
                "ZONECUT_STORAGE_URL": f"s3://{bucket}/zonecut",
                "ZONECUT_S3_ENDPOINT_URL": s3_server.endpoint_url,
                "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
                "ZONECUT_FRONTEND_DIR": str(tmp_path / "none"),
                "ZONECUT_FORWARDED_ALLOW_IPS": "127.0.0.1",
                "ZONECUT_LOG_LEVEL": "warning",
                **RECOVERY,
            },
            port=free_port(),
            log=tmp_path / f"{name}.log",
        )
        for name in ("zonecut-1", "zonecut-2")
    ]
    for replica in replicas:
        replica.start(wait=False)
    for replica in replicas:
        assert replica.process is not None
        wait_until_serving(replica.process, replica.port, replica.log)
    proxy = Nginx(tmp_path / "nginx", [r.port for r in replicas])
    try:
        yield Cluster(replicas, proxy, database, s3_server, bucket)
    finally:
        proxy.stop()
        for replica in replicas:
            if replica.process is not None:
                stop(replica.process)
        postgres.drop(database)


def new_load(cluster: Cluster) -> Load:
    url = f"{cluster.nginx.url}/api/v1"
    with httpx.Client(base_url=url, headers=bearer(ADMIN_KEY), timeout=60) as client:
        model = model_with_zones(client, zones=ZONES)
    return Load(url, model["id"])


def test_a_replica_killed_mid_load_costs_clients_nothing(cluster: Cluster) -> None:
    load = new_load(cluster)
    load.start("kill")
    wait_for_work(load, 8)
    killed_at = time.monotonic()
    kill(cluster.replicas[0].process)  # type: ignore[arg-type]
    wait_for_work(load, len(load.answers) + 16)
    load.stop()

    # the requests in flight at the kill: how long after it their keys were cut
    in_flight = [end - killed_at for start, end in load.spans.values() if start < killed_at < end]
    swept_after, orphans = cluster.swept()
    print(
        f"\nSIGKILL of one replica under 4 clients: {len(load.answers)} pictures, "
        f"{len(load.errors)} client errors; keys in flight at the kill usable again after "
        f"{max(in_flight, default=0):.1f} s ({len(in_flight)} keys); orphans gone after "
        f"{swept_after:.1f} s, {orphans} left after {SWEPT_WITHIN} s"
    )
    assert load.errors == []
    cluster.extracted_once(load.answers)
    assert orphans == 0


def test_a_rolling_restart_costs_clients_nothing(cluster: Cluster) -> None:
    load = new_load(cluster)
    load.start("roll")
    wait_for_work(load, 8)
    for replica in cluster.replicas:
        stop(replica.process)  # type: ignore[arg-type]  # SIGTERM: drain, then exit
        replica.start()
        done = len(load.answers)
        # as a rolling update waits for the new replica to be healthy in the balancer:
        # nginx keeps a replica it could not reach out of rotation for fail_timeout
        time.sleep(fail_timeout_seconds() + 1)
        wait_for_work(load, done + 4)
    load.stop()

    swept_after, orphans = cluster.swept()
    print(
        f"\nrolling restart (SIGTERM, start, each replica) under 4 clients: "
        f"{len(load.answers)} pictures, {len(load.errors)} client errors; "
        f"{orphans} orphans after {swept_after:.1f} s"
    )
    assert load.errors == []
    cluster.extracted_once(load.answers)
    assert orphans == 0


def test_the_embedded_default_killed_mid_load_leaves_no_orphan_and_no_missing_crop(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    env = {
        "ZONECUT_DATA_DIR": str(data),
        "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
        "ZONECUT_FRONTEND_DIR": str(tmp_path / "none"),
        "ZONECUT_LOG_LEVEL": "warning",
        **RECOVERY,
    }
    port = free_port()
    log = tmp_path / "zonecut.log"
    process = start_server(env, port, log, workers=2)
    url = f"http://127.0.0.1:{port}/api/v1"
    with httpx.Client(base_url=url, headers=bearer(ADMIN_KEY), timeout=60) as client:
        model = model_with_zones(client, zones=ZONES)
    load = Load(url, model["id"], clients=2)
    load.start("embedded")
    try:
        wait_for_work(load, 6)
        kill(process)
        process = start_server(env, port, log, workers=2)  # the same address, as a supervisor
        wait_for_work(load, len(load.answers) + 6)
    finally:
        load.stop()
        stop(process)  # nothing is swept while we look: the files are what it left
        process = start_server(env, port, log, workers=2)

    def orphans() -> tuple[set[str], set[str]]:
        engine = create_engine(f"sqlite:///{data / 'zonecut.db'}")
        with engine.connect() as connection:
            recorded = {p for (p,) in connection.execute(text("SELECT path FROM output_files"))}
        engine.dispose()
        outputs = data / "outputs"
        on_disk = {str(p.relative_to(outputs)) for p in outputs.rglob("*") if p.is_file()}
        return on_disk - recorded, recorded - on_disk

    try:
        started = time.monotonic()
        while True:
            extra, missing = orphans()
            assert missing == set(), missing
            if not extra or time.monotonic() > started + SWEPT_WITHIN:
                break
            time.sleep(0.5)
        print(
            f"\nSIGKILL of the embedded default under 2 clients: {len(load.errors)} client "
            f"errors; {len(extra)} orphans after {time.monotonic() - started:.1f} s"
        )
        assert extra == set()
    finally:
        stop(process)
