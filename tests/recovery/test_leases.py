"""Leases: a dead instance's work is swept or taken over within seconds, a live one's
never; a retry waits for the request holding its Idempotency-Key instead of a 409.

The servers run as users run them (``zonecut serve``, two workers) on this test's database
(SQLite, or PostgreSQL when ZONECUT_TEST_DATABASE_URL is set) and are SIGKILLed: no
clean-up of any kind runs. Their crops are written slowly so that a kill lands in the
middle of filing.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from api.storage.local import LocalStorage
from api.storage.s3 import S3Storage
from api.tables import Extraction, IdempotentRequest, Instance, Review, utcnow
from tests.api.conftest import ADMIN_KEY, RunningApi, bearer
from tests.api.factories import (
    assert_problem,
    encode,
    model_with_zones,
    picture_bytes,
    quadrant_picture,
    zone,
)
from tests.api.factories import extract as post_extract
from tests.api.processes import free_port, kill, start_server, stop
from tests.conftest import S3Server
from tests.recovery.slow_writes import slow_down, slow_writes_env

CONTRACT_SECONDS = 30  # a dead instance's orphans go and its keys are free within this
LEASE = "3"


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _serve(
    data_dir: Path, database_url: str, port: int, log: Path, **env: str
) -> subprocess.Popen[bytes]:
    return start_server(
        {
            "ZONECUT_DATA_DIR": str(data_dir),
            "ZONECUT_DATABASE_URL": database_url,
            "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
            "ZONECUT_FRONTEND_DIR": str(data_dir / "none"),
            "ZONECUT_LOG_LEVEL": "warning",
            "ZONECUT_LEASE_SECONDS": LEASE,
            **env,
        },
        port,
        log,
        workers=2,
    )


def _count(database_url: str, statement: Any) -> int:
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            return int(session.scalar(statement) or 0)
    finally:
        engine.dispose()


def _pending_extractions(database_url: str) -> int:
    return _count(
        database_url, select(func.count(Extraction.id)).where(Extraction.status == "pending")
    )


def _pending_claims(database_url: str) -> int:
    return _count(
        database_url,
        select(func.count(IdempotentRequest.id)).where(IdempotentRequest.status == "pending"),
    )


def _on_disk(outputs: Path) -> set[str]:
    return {str(p.relative_to(outputs)) for p in outputs.rglob("*") if p.is_file()}


def _recorded(client: httpx.Client) -> set[str]:
    records = client.get("/extractions", params={"limit": 200}).json()
    return {crop["path"] for record in records["items"] for crop in record["crops"]}


def _in_thread(work: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []

    def run() -> None:
        try:
            answers.append(work())
        except httpx.TransportError as exc:
            answers.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answers


@pytest.mark.parametrize("store", ["local", "s3"])
def test_a_dead_servers_orphans_go_and_its_keys_are_free_again_within_seconds(
    tmp_path: Path, database_url: str, store: str, request: pytest.FixtureRequest
) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    env, stored = _store(store, data_dir, request)
    slow = slow_writes_env(tmp_path / "slow", 2.0)
    first = _serve(data_dir, database_url, free_port(), log, **env, **slow)
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        setup = httpx.Client(base_url=_base_of(first), headers=bearer(ADMIN_KEY))
        zones = [zone(f"z{i}", f"f{i}", i * 60, 0, 60, 150) for i in range(4)]
        model = model_with_zones(setup, zones=zones)
        picture = picture_bytes()
        key = {"Idempotency-Key": "dies-with-its-server"}
        thread, _answers = _in_thread(
            lambda: post_extract(
                httpx.Client(base_url=setup.base_url, headers=bearer(ADMIN_KEY), timeout=60),
                model["id"],
                picture,
                headers=key,
            )
        )
        # killed once it has written crops it has not recorded
        _wait_for(lambda: bool(stored()) and _pending_extractions(database_url) > 0, 30)
        setup.close()
        kill(first)
        killed = time.monotonic()
        thread.join()
        orphans = stored()
        assert orphans and _pending_claims(database_url) == 1

        second = _serve(data_dir, database_url, port, log, **env)
        try:
            with httpx.Client(base_url=base, headers=bearer(ADMIN_KEY), timeout=60) as client:
                retried = post_extract(client, model["id"], picture, headers=key)
                usable = time.monotonic() - killed
                assert retried.status_code == 201, retried.text  # cut anew, no 409
                again = post_extract(client, model["id"], picture, headers=key)
                assert again.status_code == 201 and again.json()["id"] == retried.json()["id"]
                assert again.headers["idempotent-replayed"] == "true"

                def clean() -> bool:
                    return stored() == _recorded(client) and _pending_extractions(database_url) == 0

                _wait_for(clean, CONTRACT_SECONDS - (time.monotonic() - killed))
                swept = time.monotonic() - killed
                assert _pending_claims(database_url) == 0
            print(
                f"[{store}] key usable again {usable:.1f} s after the kill; {len(orphans)} "
                f"orphan crops gone {swept:.1f} s after it; orphans left: 0"
            )
        finally:
            stop(second)
    finally:
        stop(first)


def _store(
    store: str, data_dir: Path, request: pytest.FixtureRequest
) -> tuple[dict[str, str], Callable[[], set[str]]]:
    """The servers' settings for ``store``, and what its outputs area holds."""
    if store == "local":
        return {}, lambda: _on_disk(data_dir / "outputs")
    s3: S3Server = request.getfixturevalue("s3_server")
    bucket = s3.new_bucket()
    env = {
        "ZONECUT_STORAGE_URL": f"s3://{bucket}/zc",
        "ZONECUT_S3_ENDPOINT_URL": s3.endpoint_url,
        **s3.credentials,
    }

    def in_bucket() -> set[str]:
        listed = s3.client().list_objects_v2(Bucket=bucket, Prefix="zc/outputs/")
        return {item["Key"].removeprefix("zc/outputs/") for item in listed.get("Contents", [])}

    return env, in_bucket


def _base_of(process: subprocess.Popen[bytes]) -> str:
    port = process.args[process.args.index("--port") + 1]  # type: ignore[union-attr]
    return f"http://127.0.0.1:{port}/api/v1"


def test_a_retry_waits_for_the_request_holding_its_key_and_gets_its_answer(
    tmp_path: Path, database_url: str
) -> None:
    data_dir, log, port = tmp_path / "data", tmp_path / "server.log", free_port()
    server = _serve(data_dir, database_url, port, log, **slow_writes_env(tmp_path / "slow", 1.5))
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        with httpx.Client(base_url=base, headers=bearer(ADMIN_KEY), timeout=60) as client:
            model = model_with_zones(client, zones=[zone("z", "forms", 0, 0, 50, 50)])
            key = {"Idempotency-Key": "asked-twice"}

            def ask() -> httpx.Response:
                # a connection of its own: the retries may land on either worker
                with httpx.Client(base_url=base, headers=bearer(ADMIN_KEY), timeout=60) as own:
                    return post_extract(own, model["id"], picture_bytes(), headers=key)

            first, first_answer = _in_thread(ask)
            _wait_for(lambda: _pending_claims(database_url) == 1, 20)
            retries = [_in_thread(ask) for _ in range(4)]
            for thread, _ in [(first, first_answer), *retries]:
                thread.join()
            answers = [first_answer[0], *(answer[0] for _, answer in retries)]
            assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
            assert len({a.json()["id"] for a in answers}) == 1
            assert [a.headers.get("idempotent-replayed") for a in answers[1:]] == ["true"] * 4
            assert _recorded(client) == _on_disk(data_dir / "outputs")
    finally:
        stop(server)


def test_a_long_extraction_of_a_live_instance_is_never_swept(
    make_api: Callable[..., RunningApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a lease and a timeout far shorter than the extraction: it lives, so it stays
    api = make_api(lease_seconds=1, heartbeat_seconds=0.2, intent_timeout_seconds=1)
    model = model_with_zones(api.client, zones=[zone("z", "forms", 0, 0, 50, 50)])
    with monkeypatch.context() as patched:
        for store in (LocalStorage, S3Storage):  # put back as they are after the test
            patched.setattr(store, "put_exact", store.put_exact)
        slow_down(4.0)
        answer = post_extract(
            api.client, model["id"], picture_bytes(), headers={"Idempotency-Key": "long"}
        )
    assert answer.status_code == 201, answer.text
    path = answer.json()["crops"][0]["path"]
    assert api.output_files() == [path]


WIDE = encode(quadrant_picture(400, 300).resize((800, 300)))  # another shape: refused
PAGE_CORNERS = [[0, 0], [800, 0], [800, 300], [0, 300]]


def _claim_review(api: RunningApi, review_id: str, holder: uuid.UUID) -> None:
    """What resolving leaves while it cuts: the item claimed by ``holder``."""
    engine = create_engine(api.settings.effective_database_url)
    with Session(engine) as session, session.begin():
        session.execute(
            update(Review)
            .where(Review.id == uuid.UUID(review_id))
            .values(
                status="resolved", decided_by="key:bootstrap", decided_at=utcnow(), holder=holder
            )
        )
    engine.dispose()


def test_a_review_item_claimed_by_a_dead_instance_is_open_again(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(lease_seconds=1, heartbeat_seconds=0.2)
    model = model_with_zones(api.client)
    refused = assert_problem(post_extract(api.client, model["id"], WIDE, "wide.png"), 422)
    review_id = refused["review_id"]
    _claim_review(api, review_id, uuid.uuid4())  # an instance that does not beat: dead

    def status() -> str:
        return str(api.client.get(f"/reviews/{review_id}").json()["status"])

    _wait_for(lambda: status() == "open", CONTRACT_SECONDS)
    answer = api.client.post(f"/reviews/{review_id}/resolve", json={"corners": PAGE_CORNERS})
    assert answer.status_code == 201, answer.text


def test_a_review_item_claimed_by_a_live_instance_stays_claimed(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(lease_seconds=1, heartbeat_seconds=0.2)
    model = model_with_zones(api.client)
    refused = assert_problem(post_extract(api.client, model["id"], WIDE, "wide.png"), 422)
    engine = create_engine(api.settings.effective_database_url)
    with Session(engine) as session:
        live = session.scalars(select(Instance.id)).first()
    engine.dispose()
    assert live is not None  # the server's own instance
    _claim_review(api, refused["review_id"], live)
    time.sleep(3)  # three leases: a sweep would have run several times
    review = api.client.get(f"/reviews/{refused['review_id']}").json()
    assert review["status"] == "resolved"


def test_a_clean_shutdown_releases_the_instances_leases(tmp_path: Path, database_url: str) -> None:
    def instances() -> int:
        return _count(database_url, select(func.count(Instance.id)))

    before = instances()
    server = _serve(tmp_path / "data", database_url, free_port(), tmp_path / "server.log")
    try:
        _wait_for(lambda: instances() == before + 2, 20)  # one per worker
    finally:
        stop(server)  # SIGTERM: the lifespan ends, the heartbeats stop
    assert server.returncode is not None
    assert instances() == before
