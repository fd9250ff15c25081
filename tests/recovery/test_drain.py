"""SIGTERM drains `zonecut serve` in DESIGN's order ("Recovery"): /ready answers 503 while
requests are still answered for a grace, then the listener closes, work in flight finishes
within the drain, and what could not finish is undone — no file, no record.

An extraction is held in flight by the gate of ``gate/sitecustomize.py``: its crops wait
until the test releases them. No timing is asserted: the test waits for events.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from api.tables import Extraction, FileReservation, IdempotentRequest
from tests.api.factories import create_model, model_with_zones, picture_bytes, zone
from tests.api.processes import free_port, kill, start_server
from tests.conftest import PostgresDatabases
from tests.recovery.conftest import ADMIN_KEY, bearer

GATE_CODE = Path(__file__).resolve().parent / "gate"
GATED = [zone(f"z{i}", "gated", i * 100, 0, 100, 100) for i in range(3)]


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


@pytest.fixture
def database_url(tmp_path: Path, postgres: PostgresDatabases | None) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite:///{tmp_path / 'zonecut.db'}"
        return
    database = postgres.create_empty()
    try:
        yield database
    finally:
        postgres.drop(database)


class Server:
    """A `zonecut serve` with the gate, its data folder and its database."""

    def __init__(self, tmp_path: Path, database_url: str, workers: int, **settings: str) -> None:
        self.data_dir, self.gate = tmp_path / "data", tmp_path / "gate"
        self.gate.mkdir()
        self.database_url = database_url
        self.port, self.log = free_port(), tmp_path / "server.log"
        env = {
            "ZONECUT_DATA_DIR": str(self.data_dir),
            "ZONECUT_DATABASE_URL": database_url,
            "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
            "ZONECUT_FRONTEND_DIR": str(tmp_path / "none"),
            "ZONECUT_LOG_LEVEL": "warning",
            "ZONECUT_TEST_GATE": str(self.gate),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(GATE_CODE), os.environ.get("PYTHONPATH")])
            ),
            **settings,
        }
        self.process: subprocess.Popen[bytes] = start_server(env, self.port, self.log, workers)
        self.url = f"http://127.0.0.1:{self.port}/api/v1"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=bearer(ADMIN_KEY), timeout=120)

    def extract_in_flight(self, model: dict[str, Any]) -> tuple[threading.Thread, list[Any]]:
        """POST an extraction of ``model`` in a thread; return once its crops are held."""
        outcome: list[Any] = []

        def post() -> None:
            with self.client() as client:
                try:
                    outcome.append(
                        client.post(
                            "/extract",
                            data={"model": model["id"]},
                            files={"image": ("scan.png", picture_bytes(), "image/png")},
                            headers={"Idempotency-Key": "drained-extraction"},
                        )
                    )
                except httpx.TransportError as exc:
                    outcome.append(exc)

        thread = threading.Thread(target=post)
        thread.start()
        _wait_for((self.gate / "entered").exists, "the extraction's crops are being written")
        return thread, outcome

    def release(self) -> None:
        (self.gate / "release").touch()

    def refuses_connections(self) -> bool:
        try:
            httpx.get(f"{self.url}/health", timeout=5)
        except httpx.ConnectError:
            return True
        except httpx.TransportError:
            return False
        return False

    def ready_status(self) -> int | None:
        try:
            return httpx.get(f"{self.url}/ready", timeout=5).status_code
        except httpx.TransportError:
            return None

    def exit_code(self, seconds: float = 60) -> int:
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            kill(self.process)
            raise AssertionError(
                f"still running after {seconds} s:\n{self.log.read_text()}"
            ) from None

    def stop(self) -> None:
        self.release()
        if self.process.poll() is None:
            kill(self.process)

    def records(self) -> tuple[list[Extraction], int, list[str]]:
        """The extractions, the count of names reserved, the states of the keys."""
        engine = create_engine(self.database_url)
        try:
            with Session(engine) as session:
                extractions = list(session.scalars(select(Extraction)).all())
                reservations = session.scalar(select(func.count()).select_from(FileReservation))
                keys = list(session.scalars(select(IdempotentRequest.status)).all())
        finally:
            engine.dispose()
        return extractions, int(reservations or 0), keys

    def gated_files(self) -> list[str]:
        folder = self.data_dir / "outputs" / "gated"
        return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize(
    ("workers", "to_group"),
    [(1, False), (2, False), (2, True)],
    ids=["one worker", "two workers", "two workers, the whole process group"],
)
def test_sigterm_keeps_answering_through_the_grace_then_finishes_the_work_in_flight(
    tmp_path: Path, database_url: str, workers: int, to_group: bool
) -> None:
    server = Server(
        tmp_path,
        database_url,
        workers,
        ZONECUT_DRAIN_GRACE_SECONDS="8",
        ZONECUT_DRAIN_SECONDS="120",
    )
    try:
        with server.client() as client:
            model = model_with_zones(client, zones=GATED)
        thread, outcome = server.extract_in_flight(model)
        # to the supervisor, as a container stop; or to every process at once, as systemd
        # does (then each worker gets it twice: from the group and from the supervisor)
        if to_group:
            os.killpg(server.process.pid, signal.SIGTERM)
        else:
            os.kill(server.process.pid, signal.SIGTERM)

        # the grace: not ready any more, yet new requests are answered
        _wait_for(lambda: server.ready_status() == 503, "/ready answers 503")
        with server.client() as client:
            assert client.get("/health").status_code == 200
            create_model(client, name="made while draining")  # 201
            assert client.get("/models").status_code == 200

        # then the listener closes while the extraction is still held
        _wait_for(server.refuses_connections, "new connections are refused")
        assert server.process.poll() is None, "exited with work in flight"
        server.release()
        thread.join(120)
        answer = outcome[0]
        assert isinstance(answer, httpx.Response), answer
        assert answer.status_code == 201, answer.text
        assert server.exit_code() == 0, server.log.read_text()

        extractions, reservations, keys = server.records()
        assert [e.status for e in extractions] == ["done"]
        assert reservations == 0 and keys == ["done"]
        assert server.gated_files() == sorted(
            c["path"].split("/")[-1] for c in answer.json()["crops"]
        )
        assert len(server.gated_files()) == len(GATED)
    finally:
        server.stop()


@pytest.mark.parametrize("workers", [1, 2])
def test_work_that_outlasts_the_drain_is_undone_before_the_exit(
    tmp_path: Path, database_url: str, workers: int
) -> None:
    server = Server(
        tmp_path,
        database_url,
        workers,
        ZONECUT_DRAIN_GRACE_SECONDS="1",
        ZONECUT_DRAIN_SECONDS="1",
    )
    try:
        with server.client() as client:
            model = model_with_zones(client, zones=GATED)
        thread, outcome = server.extract_in_flight(model)
        os.kill(server.process.pid, signal.SIGTERM)

        # past the drain the extraction is aborted; its held writes then end as they would
        _wait_for(lambda: "aborting" in server.log.read_text(), "the drain gives up")
        server.release()
        assert server.exit_code() == 0, server.log.read_text()
        thread.join(120)
        answer = outcome[0]
        assert not (isinstance(answer, httpx.Response) and answer.status_code == 201), answer

        # no record, no name held, and the key free for a retry on another instance
        extractions, reservations, keys = server.records()
        assert extractions == [] and reservations == 0 and keys == []
        assert server.gated_files() == []
    finally:
        server.stop()
