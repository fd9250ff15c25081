"""A job survives the death of its worker: another takes it up where it stopped, once the
dead one's lease lapsed, and cuts nothing twice.

Real processes (``zonecut serve``, ``zonecut worker``) on this test's database (SQLite,
or PostgreSQL when ZONECUT_TEST_DATABASE_URL is set), SIGKILLed mid-job: no clean-up of
any kind runs. Crops are written a little slowly, so that a kill often lands while a
page is being filed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from api.tables import Extraction, Instance, Job
from tests.api.conftest import ADMIN_KEY, bearer
from tests.api.factories import encode, model_with_zones, quadrant_picture
from tests.api.processes import free_port, kill, start_server, start_worker, stop
from tests.api.test_jobs import SMALL, ZONES, all_items, document
from tests.recovery.slow_writes import slow_writes_env

LEASE = "2"
PAGES = 300


def _env(data_dir: Path, database_url: str, **more: str) -> dict[str, str]:
    return {
        "ZONECUT_DATA_DIR": str(data_dir),
        "ZONECUT_DATABASE_URL": database_url,
        "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
        "ZONECUT_FRONTEND_DIR": str(data_dir / "none"),
        "ZONECUT_LOG_LEVEL": "warning",
        "ZONECUT_LEASE_SECONDS": LEASE,
        "ZONECUT_JOB_POLL_SECONDS": "0.2",
        **more,
    }


def _wait_for(condition: Callable[[], bool], seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


class Database:
    """The test's database, read directly (what the API does not show: holders, intents)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def scalar(self, statement: Any) -> Any:
        with Session(self.engine) as session:
            return session.scalar(statement)

    def job(self, job_id: str) -> Job:
        with Session(self.engine, expire_on_commit=False) as session:
            job = session.get(Job, uuid.UUID(job_id))
            assert job is not None
            return job

    def holder_name(self, job_id: str) -> str | None:
        holder = self.job(job_id).holder
        if holder is None:
            return None
        name: str | None = self.scalar(select(Instance.name).where(Instance.id == holder))
        return name

    def pending_extractions(self) -> int:
        return int(
            self.scalar(select(func.count(Extraction.id)).where(Extraction.status == "pending"))
        )


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    found = Database(database_url)
    yield found
    found.engine.dispose()


def _start_job(client: httpx.Client) -> tuple[dict[str, Any], str]:
    model = model_with_zones(client, ZONES, image=encode(quadrant_picture(*SMALL)))
    answer = client.post(
        "/extract",
        data={"model": model["id"], "pages": "each"},
        files={"image": ("scan.pdf", document(PAGES), "application/pdf")},
        headers={"Prefer": "respond-async"},
    )
    assert answer.status_code == 202, answer.text
    return model, answer.json()["id"]


def _assert_every_page_once(
    client: httpx.Client, database: Database, data_dir: Path, model: dict[str, Any], job_id: str
) -> None:
    """The job is done, each page filed exactly once, and no file is left over."""
    job = client.get(f"/jobs/{job_id}").json()
    assert job["status"] == "done", job
    assert job["progress"] == {"done": PAGES, "total": PAGES}
    assert job["filed"] == PAGES
    assert [item["page"] for item in all_items(client, job_id)] == list(range(1, PAGES + 1))
    pages: Counter[int] = Counter()
    offset = 0
    while offset < PAGES:
        answer = client.get(
            "/extractions", params={"model_id": model["id"], "limit": 200, "offset": offset}
        ).json()
        pages.update(record["source"]["page"] for record in answer["items"])
        offset += len(answer["items"])
        assert answer["items"], "fewer extractions than pages"
    assert pages == Counter(range(1, PAGES + 1)), "every page filed exactly once"
    # the page a dead worker was filing: its files swept with its intent
    _wait_for(lambda: database.pending_extractions() == 0, 30)
    on_disk = [path for path in (data_dir / "outputs").rglob("*") if path.is_file()]
    assert len(on_disk) == 2 * PAGES, "no crop written twice or left behind"


def test_a_job_survives_the_death_of_its_server(
    tmp_path: Path, database_url: str, database: Database
) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    env = _env(data_dir, database_url, **slow_writes_env(tmp_path / "slow", 0.01))
    port = free_port()
    first = start_server(env, port, log, workers=1)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        with httpx.Client(base_url=base, headers=bearer(ADMIN_KEY), timeout=60) as client:
            model, job_id = _start_job(client)
            _wait_for(lambda: client.get(f"/jobs/{job_id}").json()["progress"]["done"] >= 30)
        kill(first)
        killed = database.job(job_id)
        assert killed.status == "running" and killed.holder is not None
        assert 30 <= killed.done < PAGES, "killed mid-job"

        second = start_server(env, port, log, workers=1)
        try:
            with httpx.Client(base_url=base, headers=bearer(ADMIN_KEY), timeout=60) as client:
                _wait_for(lambda: client.get(f"/jobs/{job_id}").json()["status"] == "done")
                _assert_every_page_once(client, database, data_dir, model, job_id)
        finally:
            stop(second)
    finally:
        stop(first)


def test_two_workers_one_killed_mid_job_the_other_finishes_it(
    tmp_path: Path, database_url: str, database: Database
) -> None:
    data_dir = tmp_path / "data"
    env = _env(data_dir, database_url, **slow_writes_env(tmp_path / "slow", 0.01))
    port = free_port()
    server = start_server(env | {"ZONECUT_JOB_RUNNER": "false"}, port, tmp_path / "server.log")
    workers: dict[int, subprocess.Popen[bytes]] = {}
    try:
        for number in range(2):
            process = start_worker(env, tmp_path / f"worker-{number}.log")
            workers[process.pid] = process
        _wait_for(
            lambda: (
                database.scalar(
                    select(func.count(Instance.id)).where(Instance.name.startswith("worker"))
                )
                == 2
            ),
            60,
        )
        base = f"http://127.0.0.1:{port}/api/v1"
        with httpx.Client(base_url=base, headers=bearer(ADMIN_KEY), timeout=60) as client:
            model, job_id = _start_job(client)
            _wait_for(lambda: client.get(f"/jobs/{job_id}").json()["progress"]["done"] >= 30)
            holder = database.holder_name(job_id)
            assert holder is not None and holder.startswith("worker pid "), holder
            pid = int(holder.split()[2])
            kill(workers.pop(pid))
            done_at_kill = database.job(job_id).done
            assert done_at_kill < PAGES, "killed mid-job"
            # only the other worker cuts now (the server runs no jobs)
            _wait_for(lambda: client.get(f"/jobs/{job_id}").json()["status"] == "done")
            assert database.holder_name(job_id) is None
            _assert_every_page_once(client, database, data_dir, model, job_id)
    finally:
        for process in workers.values():
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        stop(server)
