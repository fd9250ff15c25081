"""Where the time of one ``POST /extract`` goes, and every database round trip it makes.

Run with ``.venv/bin/python bench/profile.py`` (add ``--database-url postgresql://…`` to
count on PostgreSQL; ``--requests N`` for longer profiles). Two parts, on the pictures
of ``bench/pictures.py``:

1. **Round trips**: the app in this process, a real API key (its credentials looked up
   like any client's), an Idempotency-Key on every request; a SQLAlchemy listener records
   every statement and transaction that one extraction sends, grouped by what it is for.
2. **CPU by part**: the same app, one client posting the picture back to back while
   yappi measures the CPU time of every thread; each function's own time is given to the
   part of the code it belongs to: decode, place, crop, encode, store, database, auth,
   metrics, HTTP (the web stack, multipart parsing, JSON), services (the rest of the
   extraction's own code, the upload's hash). The client's own work is left out.
   (py-spy on a real ``zonecut serve`` would be closer still, where it can attach.)

yappi must be installed (``pip install yappi``): it is a tool of this script alone.
"""

from __future__ import annotations

import argparse
import collections
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extract import BENCH_KEY, create_model
from pictures import Scenario, photo_scenario, scan_scenario
from sqlalchemy import event
from starlette.testclient import TestClient

from api.main import create_app
from api.settings import Settings

# --- 1. round trips ---------------------------------------------------------------------

# What a statement is for, by the first table it names (checked in this order).
PURPOSES = (
    ("api_keys", "credentials"),
    ("sessions", "credentials"),
    ("idempotent_requests", "idempotency"),
    ("file_reservations", "name reservations"),
    ("output_files", "output-file rows"),
    ("crops", "crop rows"),
    ("extractions", "extraction record"),
    ("reference_pages", "model"),
    ("zones", "model"),
    ("models", "model"),
    ("instances", "leases"),
)
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN)\s+\"?(\w+)", re.IGNORECASE)


def purpose(statement: str) -> str:
    """What a statement is for: the area of the first table it reads or writes."""
    text = statement.strip()
    word = text.split(None, 1)[0].upper() if text else ""
    if word in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return "savepoints"
    if word == "BEGIN":
        return "BEGIN"
    tables = _TABLE.findall(text)
    if word == "SELECT" and "output_files" in tables:
        return "name reservations"  # is the name filed already?
    for table, area in PURPOSES:
        if table in tables:
            return area
    return "other: " + text[:40]


@dataclass
class RoundTrips:
    statements: collections.Counter[str] = field(default_factory=collections.Counter)
    transactions: int = 0

    @property
    def total(self) -> int:
        return sum(self.statements.values())


@contextmanager
def counting(engine: Any, thread_names: tuple[str, ...]) -> Iterator[RoundTrips]:
    """Count the statements and transactions of the threads not named ``thread_names``
    (the heartbeat and the sweeper run on their own schedule, not per request)."""
    counts = RoundTrips()
    lock = threading.Lock()

    def mine() -> bool:
        return not threading.current_thread().name.startswith(thread_names)

    def on_statement(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if mine():
            with lock:
                counts.statements[purpose(statement)] += 1

    def on_begin(_connection: Any) -> None:
        if mine():
            with lock:
                counts.transactions += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_begin)


@contextmanager
def serving(scenario: Scenario, database_url: str | None) -> Iterator[tuple[TestClient, str]]:
    """The app in this process with the scenario's model, and a client holding a real
    (operator) API key, whose credentials are looked up like any client's."""
    with tempfile.TemporaryDirectory(prefix="zonecut-profile-") as scratch:
        settings = Settings(
            data_dir=Path(scratch),
            database_url=database_url,
            admin_api_key=BENCH_KEY,
            log_level="warning",
        )
        app = create_app(settings)
        with TestClient(app, base_url="http://testserver/api/v1") as admin:
            admin.headers["Authorization"] = f"Bearer {BENCH_KEY}"
            model_id = create_model(admin, scenario)  # type: ignore[arg-type]
            secret = admin.post("/api-keys", json={"name": "profile"}).json()["secret"]
            client = TestClient(app, base_url="http://testserver/api/v1")
            client.headers["Authorization"] = f"Bearer {secret}"
            yield client, model_id
        app.state.engine.dispose()


def extractor(client: TestClient, scenario: Scenario, model_id: str) -> Callable[[], None]:
    """One ``POST /extract`` of the scenario's picture, with an Idempotency-Key of its own."""

    def extract() -> None:
        answer = client.post(
            "/extract",
            data={"model": model_id},
            files={"image": (scenario.filename, scenario.data, "image/octet-stream")},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert answer.status_code == 201, answer.text

    return extract


def round_trips(scenario: Scenario, database_url: str | None) -> RoundTrips:
    """The statements and transactions of one extraction (after a first one, warm)."""
    with serving(scenario, database_url) as (client, model_id):
        extract = extractor(client, scenario, model_id)
        extract()  # warm: the key's last use touched, caches filled
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with counting(engine, ("heartbeat", "intent-sweeper")) as counts:
            extract()
    return counts


# --- 2. CPU by part -----------------------------------------------------------------------

# A function's part, by its module file or its name (the first rule that matches): its own
# CPU time (not that of what it calls) is counted there.
PARTS = (
    ("client", ("httpx/", "starlette/testclient", "bench/", "h11/")),
    ("auth", ("api/edge/authentication.py", "api/services/identity/", "hmac")),
    ("metrics", ("prometheus_client/", "api/metrics.py", "mmap")),
    (
        "database",
        ("sqlalchemy/", "sqlite3", "psycopg", "api/db.py", "alembic/", "api/tables.py"),
    ),
    (
        "store",
        (
            "api/storage/",
            "botocore/",
            "boto3/",
            "urllib3/",
            "posix:",
            "fsync",
            "BufferedWriter",
            "FileIO",
            "unicodedata",
        ),
    ),
    ("encode", ("api/imaging/encode.py", "isal", "numpy", "ufunc", "zlib:crc32")),
    ("crop", ("api/imaging/pixels.py", "'crop' of", "Image.py:crop", "api/imaging/align/warp.py")),
    (
        "place",
        ("api/services/extraction/placing.py", "api/imaging/align/", "api/imaging/geometry.py"),
    ),
    (
        "decode",
        (
            "api/imaging/decode.py",
            "api/services/uploads.py",
            "PIL/",
            "PIL.",
            "simplejpeg",
            "Imaging",
            "pillow_heif",
        ),
    ),
    (
        "HTTP",
        (
            "uvicorn/",
            "starlette/",
            "fastapi/",
            "multipart/",
            "python_multipart/",
            "httptools",
            "api/edge/",
            "api/routes/",
            "pydantic",
            "asyncio/",
            "anyio/",
            "json",
            "socket",
            "'find' of 'bytes'",
            "BytesIO",
            "tempfile",
        ),
    ),
    (
        "services",
        ("api/services/", "hashlib", "_sha256"),
    ),
)


def part_of(module: str, name: str) -> str:
    """The part of the code a profiled function belongs to."""
    key = f"{module}:{name}"
    for part, markers in PARTS:
        if any(marker in key for marker in markers):
            return part
    return "other"


def cpu_profile(scenario: Scenario, requests: int) -> dict[str, Any]:
    """CPU seconds of every thread of the app in this process, by part, per request, while
    one client posts ``requests`` pictures (a real API key, an Idempotency-Key each)."""
    import yappi

    with serving(scenario, None) as (client, model_id):
        extract = extractor(client, scenario, model_id)
        extract()
        yappi.set_clock_type("cpu")
        yappi.start(builtins=True, profile_threads=True)
        started = time.perf_counter()
        for _ in range(requests):
            extract()
        wall = time.perf_counter() - started
        yappi.stop()
        seconds: collections.Counter[str] = collections.Counter()
        unclassified: collections.Counter[str] = collections.Counter()
        for stat in yappi.get_func_stats():
            part = part_of(stat.module, stat.name)
            seconds[part] += stat.tsub
            if part == "other":
                unclassified[f"{stat.module}:{stat.name}"] += stat.tsub
        yappi.clear_stats()
    return {
        "ms_per_request": {part: s / requests * 1000 for part, s in seconds.items()},
        "wall_ms": wall / requests * 1000,
        "unclassified": unclassified.most_common(8),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="requests profiled per picture")
    parser.add_argument("--database-url", help="count round trips on this database")
    parser.add_argument("--verbose", action="store_true", help="name what went unclassified")
    args = parser.parse_args()
    scenarios = [photo_scenario(), scan_scenario()]

    print("\nDatabase round trips of one POST /extract (API key, Idempotency-Key):")
    for scenario in scenarios:
        counts = round_trips(scenario, args.database_url)
        detail = ", ".join(f"{area} {n}" for area, n in sorted(counts.statements.items()))
        print(
            f"  {scenario.name}: {counts.total} statements in {counts.transactions} "
            f"transactions ({detail})"
        )

    parts = ("decode", "place", "crop", "encode", "store", "database", "auth", "metrics")
    parts += ("HTTP", "services", "other")
    print(f"\nCPU per request by part, ms (yappi, all threads, {args.requests} requests):")
    print("| picture | wall | CPU | " + " | ".join(parts) + " |")
    print("| --- " * (len(parts) + 3) + "|")
    unclassified = []
    for scenario in scenarios:
        profile = cpu_profile(scenario, args.requests)
        cpu = profile["ms_per_request"]
        total = sum(ms for part, ms in cpu.items() if part != "client")
        cells = " | ".join(f"{cpu.get(part, 0.0):.0f}" for part in parts)
        print(f"| {scenario.name} | {profile['wall_ms']:.0f} | {total:.0f} | {cells} |")
        unclassified += profile["unclassified"]
    if args.verbose:
        print("\nlargest unclassified:", unclassified)


if __name__ == "__main__":
    main()
