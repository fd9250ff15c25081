"""Extractions reserve their names first; what a dead process left is swept, nothing more."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from api.tables import Extraction, FileReservation, utcnow
from tests.api.conftest import ADMIN_KEY, RunningApi, bearer
from tests.api.factories import extract as post_extract
from tests.api.factories import model_with_zones, picture_bytes, zone
from tests.api.processes import free_port, kill, start_server, stop


def _wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_abandoned_intent_is_swept_and_only_its_own_files_go(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(intent_timeout_seconds=1)
    model = model_with_zones(api.client, zones=[zone("z", "forms", 0, 0, 50, 50)])
    filed = post_extract(api.client, model["id"], picture_bytes(), filename="a.png").json()
    # What a process killed mid-write leaves: a pending intent, one of its two reserved
    # files written, the other not.
    engine = create_engine(api.settings.effective_database_url)
    intent = uuid.uuid4()
    with Session(engine) as session, session.begin():
        session.add(
            Extraction(
                id=intent,
                model_id=uuid.UUID(model["id"]),
                model_name="Form",
                model_version=1,
                created_at=utcnow() - timedelta(minutes=5),
                duration_ms=0,
                source_filename="b.png",
                source_format="png",
                source_width=400,
                source_height=300,
                source_bytes=1,
                source_sha256="0" * 64,
                transform={},
                status="pending",
            )
        )
        session.flush()
        for path in ("forms/b_z.png", "forms/b_z-2.png"):
            session.add(FileReservation(path=path, extraction_id=intent, reserved_at=utcnow()))
    (api.outputs / "forms" / "b_z.png").write_bytes(b"half an extraction")

    def swept() -> bool:
        with Session(engine) as session:
            return session.get(Extraction, intent) is None

    _wait_for(swept)
    assert api.output_files() == [filed["crops"][0]["path"]]  # the filed crop stays
    with Session(engine) as session:
        assert session.scalars(select(FileReservation)).all() == []
    engine.dispose()
    # the names are free again
    again = post_extract(api.client, model["id"], picture_bytes(), filename="b.png").json()
    assert again["crops"][0]["path"] == "forms/b_z.png"


def test_names_reserved_by_a_running_extraction_are_not_given_to_another(
    api: RunningApi,
) -> None:
    model = model_with_zones(api.client, zones=[zone("z", "forms", 0, 0, 50, 50)])
    engine = create_engine(api.settings.effective_database_url)
    first = post_extract(api.client, model["id"], picture_bytes(), filename="c.png").json()
    with Session(engine) as session, session.begin():
        session.add(FileReservation(path="forms/c_z-2.png", extraction_id=uuid.UUID(first["id"])))
    second = post_extract(api.client, model["id"], picture_bytes(), filename="c.png").json()
    assert second["crops"][0]["path"] == "forms/c_z-3.png"
    engine.dispose()


def _serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        "ZONECUT_DATA_DIR": str(data_dir),
        "ZONECUT_DATABASE_URL": f"sqlite:///{data_dir / 'zonecut.db'}",
        "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
        "ZONECUT_INTENT_TIMEOUT_SECONDS": "2",
        "ZONECUT_LEASE_SECONDS": "3",  # the killed servers' intents go seconds after
        "ZONECUT_FRONTEND_DIR": str(data_dir / "none"),
        "ZONECUT_LOG_LEVEL": "warning",
    }
    return start_server(env, port, log)


def _pending(data_dir: Path) -> int:
    engine = create_engine(f"sqlite:///{data_dir / 'zonecut.db'}")
    with Session(engine) as session:
        count = len(
            session.scalars(select(Extraction.id).where(Extraction.status == "pending")).all()
        )
    engine.dispose()
    return count


def test_a_server_killed_mid_load_leaves_no_orphan_crop(tmp_path: Path) -> None:
    data_dir, port, log = tmp_path / "data", free_port(), tmp_path / "server.log"
    process = _serve(data_dir, port, log)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", headers=bearer(ADMIN_KEY))
    five = [zone(f"z{i}", f"f{i}", i * 60, 0, 60, 150) for i in range(5)]
    model = model_with_zones(client, zones=five)
    picture = picture_bytes(1600, 1200)
    abandoned = 0
    for _round in range(3):
        halt = threading.Event()

        def load(halt: threading.Event = halt) -> None:
            with httpx.Client(base_url=client.base_url, headers=bearer(ADMIN_KEY)) as mine:
                while not halt.is_set():
                    try:
                        post_extract(mine, model["id"], picture)
                    except httpx.TransportError:
                        return

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(1.5)
        kill(process)
        abandoned += _pending(data_dir)
        halt.set()
        for worker in workers:
            worker.join()
        process = _serve(data_dir, port, log)
    try:
        outputs = data_dir / "outputs"

        def on_disk() -> set[str]:
            return {str(p.relative_to(outputs)) for p in outputs.rglob("*") if p.is_file()}

        def recorded() -> set[str]:
            records = client.get("/extractions", params={"limit": 200}).json()
            assert records["total"] <= 200
            return {c["path"] for r in records["items"] for c in r["crops"]}

        # the restarted server sweeps what the killed ones left (their leases lapse in 3 s)
        _wait_for(lambda: on_disk() == recorded() and _pending(data_dir) == 0, seconds=30)
        assert len(recorded()) >= 5
        print(f"intents abandoned by the kills and swept: {abandoned}")
    finally:
        client.close()
        stop(process)


def _pending_intent(session: Session) -> uuid.UUID:
    """A pending extraction for reservations to belong to."""
    intent = uuid.uuid4()
    session.add(
        Extraction(
            id=intent,
            model_id=None,
            model_name="Form",
            model_version=1,
            created_at=utcnow(),
            duration_ms=0,
            source_filename="scan.png",
            source_format="png",
            source_width=400,
            source_height=300,
            source_bytes=1,
            source_sha256="0" * 64,
            transform={},
            status="pending",
        )
    )
    session.flush()
    return intent


def test_the_names_of_every_crop_are_reserved_in_one_look_and_one_insert(
    database_url: str,
) -> None:
    from sqlalchemy import event

    from api.db import make_engine, make_sessionmaker, session_scope
    from api.services.extraction.intents import WantedName, reserve_paths
    from api.tables import OutputFile

    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as session:
        owner = _pending_intent(session)
        session.add(OutputFile(path="forms/scan_a.png", folder="forms", name="scan_a.png", bytes=1))
        session.add(FileReservation(path="forms/scan_b.png", extraction_id=owner))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    wanted = [
        WantedName("forms", "scan_a", "png"),  # filed already
        WantedName("forms", "scan_b", "png"),  # reserved by another request
        WantedName("forms", "scan_c", "png"),
        WantedName("forms", "scan_c", "png"),  # the same name twice in one extraction
        WantedName("other", "scan_a", "png"),
    ]
    with session_scope(sessions) as session:
        intent = _pending_intent(session)
        del statements[:]
        paths = reserve_paths(session, wanted, extraction_id=intent)
        sent = [s for s in statements if "file_reservations" in s or "output_files" in s]
    assert paths == [
        "forms/scan_a-2.png",
        "forms/scan_b-2.png",
        "forms/scan_c.png",
        "forms/scan_c-2.png",
        "other/scan_a.png",
    ]
    assert len(sent) == 2, sent  # one look at both registers, one insert
    assert not any("SAVEPOINT" in s for s in statements)
    with Session(engine) as session:
        reserved = session.scalars(
            select(FileReservation.path).where(FileReservation.extraction_id == intent)
        ).all()
    assert sorted(reserved) == sorted(paths)
    engine.dispose()


def test_a_name_reserved_meanwhile_is_skipped_for_the_next(database_url: str) -> None:
    from api.db import make_engine, make_sessionmaker, session_scope
    from api.services.extraction import intents

    if database_url.startswith("sqlite"):
        pytest.skip("one SQLite writer at a time: nothing can reserve between look and insert")
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as session:
        other = _pending_intent(session)
        mine = _pending_intent(session)
    looked = intents._taken_paths

    def stale_look(session: Session, paths: list[str]) -> set[str]:
        # what a concurrent request does between this one's look and its insert
        taken = looked(session, paths)
        if "forms/race.png" in paths and "forms/race.png" not in taken:
            with session_scope(sessions) as elsewhere:
                elsewhere.add(FileReservation(path="forms/race.png", extraction_id=other))
        return taken

    intents._taken_paths = stale_look  # type: ignore[assignment]
    try:
        with session_scope(sessions) as session:
            paths = intents.reserve_paths(
                session, [intents.WantedName("forms", "race", "png")], extraction_id=mine
            )
    finally:
        intents._taken_paths = looked  # type: ignore[assignment]
    assert paths == ["forms/race-2.png"]
    engine.dispose()
