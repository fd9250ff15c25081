"""Two instances behind one address: one PostgreSQL database, one bucket, no shared disk.

Both are `zonecut serve` processes started at once on an empty database (migrations run
once, under the lock); the bucket is moto's S3 server on loopback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ADMIN_KEY, bearer
from tests.api.factories import extract, model_with_zones, picture_bytes, zone
from tests.api.processes import free_port, kill, start_server, stop, wait_until_serving
from tests.conftest import PostgresDatabases, S3Server


@pytest.fixture
def two_instances(
    tmp_path: Path, postgres: PostgresDatabases | None, s3_server: S3Server
) -> Iterator[tuple[list[str], list[object], S3Server, str]]:
    if postgres is None:
        pytest.skip("needs PostgreSQL (ZONECUT_TEST_DATABASE_URL)")
    database = postgres.create_empty()
    bucket = s3_server.new_bucket()
    processes, urls = [], []
    for name in ("a", "b"):
        port = free_port()
        env = {
            "ZONECUT_DATA_DIR": str(tmp_path / name),  # nothing shared on disk
            "ZONECUT_DATABASE_URL": database,
            "ZONECUT_STORAGE_URL": f"s3://{bucket}/zonecut",
            "ZONECUT_S3_ENDPOINT_URL": s3_server.endpoint_url,
            "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
            "ZONECUT_INTENT_TIMEOUT_SECONDS": "2",
            "ZONECUT_FRONTEND_DIR": str(tmp_path / "none"),
            "ZONECUT_LOG_LEVEL": "warning",
        }
        log = tmp_path / f"{name}.log"
        processes.append((start_server(env, port, log, workers=1, wait=False), port, log))
        urls.append(f"http://127.0.0.1:{port}/api/v1")
    for process, port, log in processes:
        wait_until_serving(process, port, log)
    try:
        yield urls, [p for p, _, _ in processes], s3_server, bucket
    finally:
        for process, _, _ in processes:
            stop(process)  # type: ignore[arg-type]
        postgres.drop(database)


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers=bearer(ADMIN_KEY), timeout=60)


def test_two_instances_share_one_database_and_one_bucket(
    two_instances: tuple[list[str], list[object], S3Server, str],
) -> None:
    urls, processes, s3_server, bucket = two_instances
    a, b = _client(urls[0]), _client(urls[1])
    zones = [zone(f"z{i}", "shared", i * 40, 0, 40, 40) for i in range(3)]
    model = model_with_zones(a, zones=zones)

    # concurrent extractions through both, into the same folder, under the same file name
    paths: list[str] = []
    lock = threading.Lock()

    def post(client_url: str) -> None:
        with _client(client_url) as mine:
            for _ in range(6):
                answer = extract(mine, model["id"], picture_bytes(), filename="same.png")
                assert answer.status_code == 201, answer.text
                with lock:
                    paths.extend(c["path"] for c in answer.json()["crops"])

    threads = [threading.Thread(target=post, args=(url,)) for url in urls for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(paths) == 4 * 6 * 3 and len(set(paths)) == len(paths)  # distinct, none lost
    listed = b.get("/folders/shared/files", params={"limit": 1000}).json()
    assert sorted(f["path"] for f in listed["items"]) == sorted(paths)
    # what one instance filed, the other serves
    first = extract(a, model["id"], picture_bytes(), filename="x.png").json()
    assert (
        b.get(first["crops"][0]["url"].removeprefix("/api/v1")).content
        == a.get(first["crops"][0]["url"].removeprefix("/api/v1")).content
    )

    # one instance dies mid-load; its clients retry on the survivor with the same key
    keys = [f"scan-{n}" for n in range(12)]
    done: dict[str, str] = {}

    def post_with_retries(key: str) -> None:
        for base in (urls[0], urls[1], urls[1], urls[1], urls[1], urls[1], urls[1]):
            try:
                with _client(base) as mine:
                    while True:
                        answer = extract(
                            mine, model["id"], picture_bytes(), headers={"Idempotency-Key": key}
                        )
                        if answer.status_code != 409:
                            break
                        time.sleep(float(answer.headers.get("retry-after", "1")))
                if answer.status_code == 201:
                    done[key] = answer.json()["id"]
                    return
            except httpx.TransportError:
                time.sleep(0.5)  # that instance is gone: the load balancer sends us on

    posting = [threading.Thread(target=post_with_retries, args=(k,)) for k in keys]
    for thread in posting:
        thread.start()
    time.sleep(0.4)
    kill(processes[0])  # type: ignore[arg-type]
    for thread in posting:
        thread.join(timeout=120)
    assert sorted(done) == sorted(keys)  # every picture was cut in the end
    records = b.get("/extractions", params={"limit": 200}).json()["items"]
    by_key = [r for r in records if r["id"] in done.values()]
    assert len(by_key) == len(keys)  # once each: nothing filed twice

    # once the survivor has swept what the dead one left, the bucket holds exactly the
    # registered files: no orphan crop
    def registered() -> set[str]:
        folders = b.get("/folders").json()["items"]
        return {
            f"zonecut/outputs/{item['path']}"
            for folder in folders
            for item in b.get(f"/folders/{folder['path']}/files", params={"limit": 1000}).json()[
                "items"
            ]
        }

    def in_bucket() -> set[str]:
        listed = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="zonecut/outputs/")
        return {item["Key"] for item in listed.get("Contents", [])}

    deadline = time.monotonic() + 30
    while in_bucket() != registered():
        assert time.monotonic() < deadline, in_bucket() ^ registered()
        time.sleep(0.5)
    a.close()
    b.close()
