"""The Storage contract, held by both backends: folders on disk and an S3 bucket.

The bucket is on a real S3 API server on loopback (moto's server mode), reached over
HTTP with boto3; "unreachable" is a relay in front of it that the test cuts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from api.storage import FileNotFoundInStorage, Storage, StorageUnavailable
from api.storage.factory import open_storage
from api.storage.names import InvalidName
from api.storage.s3 import parse_s3_url
from tests.conftest import S3Server
from tests.relay import Relay


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return open_storage(None, area="outputs", local_root=tmp_path)
    server: S3Server = request.getfixturevalue("s3_server")
    url = f"s3://{server.new_bucket()}/some/prefix"
    return open_storage(url, area="outputs", local_root=tmp_path, endpoint_url=server.endpoint_url)


def test_a_file_is_written_once_and_never_overwritten(storage: Storage) -> None:
    stored = storage.put_exact("invoices/totals/a.png", b"first")
    assert stored is not None
    assert (stored.path, stored.folder, stored.name, stored.bytes) == (
        "invoices/totals/a.png",
        "invoices/totals",
        "a.png",
        5,
    )
    assert storage.put_exact("invoices/totals/a.png", b"second") is None
    assert storage.read("invoices/totals/a.png") == b"first"
    assert storage.exists("invoices/totals/a.png")
    assert not storage.exists("invoices/totals/b.png")


def test_of_concurrent_writers_of_one_name_exactly_one_wins(storage: Storage) -> None:
    barrier = threading.Barrier(8)
    results: list[bool] = []

    def write(n: int) -> None:
        barrier.wait()
        results.append(storage.put_exact("race/same.png", f"writer {n}".encode()) is not None)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
    assert storage.read("race/same.png").startswith(b"writer ")


def test_streaming_reads_the_whole_file_in_chunks(storage: Storage) -> None:
    data = bytes(range(256)) * 20_000  # 5 MB: several chunks
    storage.put_exact("big/file.bin", data)
    assert b"".join(storage.stream("big/file.bin")) == data


def test_missing_files_are_named(storage: Storage) -> None:
    for action in (
        lambda: storage.read("no/such.png"),
        lambda: storage.stream("no/such.png"),
        lambda: storage.delete("no/such.png"),
    ):
        with pytest.raises(FileNotFoundInStorage):
            action()


def test_deleted_files_are_gone_and_the_name_is_free(storage: Storage) -> None:
    storage.put_exact("a/b/c.png", b"x")
    storage.delete("a/b/c.png")
    assert not storage.exists("a/b/c.png")
    assert storage.put_exact("a/b/c.png", b"y") is not None


@pytest.mark.parametrize(
    "path",
    ["../escape.png", "a/../../b.png", "/etc/passwd", "a\\b.png", "nofolder.png", "a//b.png"],
)
def test_bad_paths_are_refused_before_anything_is_written(storage: Storage, path: str) -> None:
    with pytest.raises(InvalidName):
        storage.put_exact(path, b"x")


def test_a_usable_storage_passes_its_check(storage: Storage) -> None:
    storage.check()
    assert storage.sweep_temp_files(timedelta(hours=1)) == 0


@pytest.fixture
def relayed_s3(s3_server: S3Server, tmp_path: Path) -> Iterator[tuple[Storage, Relay]]:
    host, port = s3_server.endpoint_url.removeprefix("http://").split(":")
    relay = Relay(host, int(port))
    url = f"s3://{s3_server.new_bucket()}"
    try:
        yield (
            open_storage(
                url,
                area="outputs",
                local_root=tmp_path,
                endpoint_url=f"http://127.0.0.1:{relay.port}",
            ),
            relay,
        )
    finally:
        relay.close()


def test_an_unreachable_store_is_unavailable_and_its_contents_survive(
    relayed_s3: tuple[Storage, Relay],
) -> None:
    storage, relay = relayed_s3
    storage.put_exact("kept/one.png", b"1")
    relay.cut()
    with pytest.raises(StorageUnavailable):
        storage.check()
    with pytest.raises(StorageUnavailable):
        storage.put_exact("kept/two.png", b"2")
    relay.restore()
    storage.check()
    assert storage.read("kept/one.png") == b"1"
    assert storage.put_exact("kept/two.png", b"2") is not None


def test_storage_urls_name_a_bucket_and_a_prefix() -> None:
    assert parse_s3_url("s3://bucket") == ("bucket", "")
    assert parse_s3_url("s3://bucket/a/b/") == ("bucket", "a/b/")
    for bad in ("http://bucket", "s3:///prefix"):
        with pytest.raises(ValueError):
            parse_s3_url(bad)


def test_a_missing_bucket_fails_the_check(s3_server: S3Server, tmp_path: Path) -> None:
    storage = open_storage(
        "s3://zonecut-no-such-bucket",
        area="outputs",
        local_root=tmp_path,
        endpoint_url=s3_server.endpoint_url,
    )
    with pytest.raises(StorageUnavailable, match="bucket"):
        storage.check()


def test_a_file_is_streamed_in_from_where_its_source_stands(
    storage: Storage, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 12_000  # 3 MB: several chunks
    source_path = tmp_path / "upload.bin"
    source_path.write_bytes(b"head" + data)
    with source_path.open("rb") as source:
        source.seek(4)
        stored = storage.put_file("jobs/upload.bin", source)
        assert stored is not None
        assert stored.bytes == len(data)
        source.seek(0)
        assert storage.put_file("jobs/upload.bin", source) is None  # never overwritten
    assert storage.read("jobs/upload.bin") == data
