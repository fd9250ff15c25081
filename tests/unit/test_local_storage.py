"""The local-folder storage (api.storage.local)."""

from __future__ import annotations

import errno
import io
import multiprocessing
import os
import threading
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.storage import (
    TEMP_PREFIX,
    FileNotFoundInStorage,
    FolderInfo,
    InvalidName,
    LocalStorage,
    Storage,
    StorageError,
    StorageUnavailable,
    StoredFile,
    normalize_folder,
)

WRITERS = 20


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "outputs")


def put(storage: LocalStorage, folder: str, stem: str, data: bytes, ext: str = "png") -> StoredFile:
    # The writer that takes the first free name itself; the server reserves names in the
    # database and writes with put_exact instead.
    return storage._put_new(folder, stem, ext, data)


def files_on_disk(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def set_mtime(storage: LocalStorage, path: str, seconds: float) -> None:
    os.utime(storage.open_path(path), (seconds, seconds))


def test_is_a_storage(storage: LocalStorage) -> None:
    as_protocol: Storage = storage
    assert as_protocol is storage


# -- writing ----------------------------------------------------------------------------


def test_put_new_writes_the_file(storage: LocalStorage) -> None:
    stored = put(storage, "invoices/totals", "scan_total", b"picture")

    assert stored.path == "invoices/totals/scan_total.png"
    assert stored.name == "scan_total.png"
    assert stored.folder == "invoices/totals"
    assert stored.bytes == len(b"picture")
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert (storage.root / "invoices" / "totals" / "scan_total.png").read_bytes() == b"picture"
    assert storage.stat(stored.path) == stored


def test_root_is_created_on_first_use(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "outputs"
    storage = LocalStorage(root)
    assert not root.exists()
    assert storage.list_folders() == []
    assert root.is_dir()


def test_second_write_never_overwrites(storage: LocalStorage) -> None:
    names = [put(storage, "a", "name", f"v{i}".encode()).name for i in range(3)]

    assert names == ["name.png", "name-2.png", "name-3.png"]
    assert [storage.open_path(f"a/{n}").read_bytes() for n in names] == [b"v0", b"v1", b"v2"]


def test_next_free_suffix_is_taken(storage: LocalStorage) -> None:
    for _ in range(3):
        put(storage, "a", "name", b"x")
    storage.delete("a/name-2.png")

    assert put(storage, "a", "name", b"y").name == "name-2.png"
    assert put(storage, "a", "name", b"z").name == "name-4.png"


def test_many_taken_names_are_skipped(storage: LocalStorage) -> None:
    names = [put(storage, "a", "same", b"x").name for _ in range(40)]

    assert names == ["same.png"] + [f"same-{n}.png" for n in range(2, 41)]


def test_same_stem_other_extension_is_free(storage: LocalStorage) -> None:
    put(storage, "a", "name", b"x", ext="png")
    assert put(storage, "a", "name", b"x", ext="webp").name == "name.webp"


def test_put_new_never_replaces_a_folder_of_the_same_name(storage: LocalStorage) -> None:
    put(storage, "a/name.png", "inner", b"x")
    assert put(storage, "a", "name", b"y").name == "name-2.png"


def test_put_new_normalises_the_folder(storage: LocalStorage) -> None:
    stored = put(storage, "cafe\u0301", "x", b"x")

    assert stored.folder == "caf\u00e9"
    assert storage.stat("cafe\u0301/x.png") == stored


@pytest.mark.parametrize(
    ("folder", "stem", "ext"),
    [
        ("../escape", "x", "png"),
        ("/etc", "x", "png"),
        ("a\\b", "x", "png"),
        ("a", "../x", "png"),
        ("a", ".hidden", "png"),
        ("a", "CON", "png"),
        ("a", "x", "p/g"),
        ("a", "x", ""),
    ],
)
def test_put_new_rejects_bad_names(storage: LocalStorage, folder: str, stem: str, ext: str) -> None:
    with pytest.raises(InvalidName):
        put(storage, folder, stem, b"x", ext=ext)
    assert files_on_disk(storage.root) == set()


def test_long_stems_still_fit_with_a_suffix(storage: LocalStorage) -> None:
    stem = "\u00e9" * 127  # 254 bytes
    first = put(storage, "a", stem, b"1")
    second = put(storage, "a", stem, b"2")

    assert len(first.name.encode("utf-8")) <= 255
    assert second.name.endswith("-2.png")
    assert len(second.name.encode("utf-8")) <= 255


def test_fsync_mode_writes_too(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "outputs", fsync=True)
    assert put(storage, "a", "x", b"data").bytes == 4


def test_no_temporary_files_are_left(storage: LocalStorage) -> None:
    for _ in range(3):
        put(storage, "a", "x", b"data")
    assert not any(name.startswith(TEMP_PREFIX) for name in os.listdir(storage.root / "a"))


# -- concurrency ------------------------------------------------------------------------


def _assert_distinct_files(storage: LocalStorage, paths: list[str]) -> None:
    assert len(set(paths)) == WRITERS
    expected = {"race/same.png"} | {f"race/same-{n}.png" for n in range(2, WRITERS + 1)}
    assert set(paths) == expected
    contents = {storage.open_path(path).read_bytes() for path in paths}
    assert contents == {f"writer {i}".encode() for i in range(WRITERS)}
    assert files_on_disk(storage.root) == expected


def _write_in_thread(storage: LocalStorage, barrier: threading.Barrier, index: int) -> str:
    barrier.wait(timeout=30)
    return put(storage, "race", "same", f"writer {index}".encode()).path


def test_concurrent_threads_get_distinct_files(storage: LocalStorage) -> None:
    barrier = threading.Barrier(WRITERS)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        futures = [pool.submit(_write_in_thread, storage, barrier, i) for i in range(WRITERS)]
        paths = [future.result(timeout=60) for future in futures]

    _assert_distinct_files(storage, paths)


def test_concurrent_threads_without_hard_links_get_distinct_files(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EPERM, "hard links are not supported here")

    monkeypatch.setattr(os, "link", no_links)
    barrier = threading.Barrier(WRITERS)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        futures = [pool.submit(_write_in_thread, storage, barrier, i) for i in range(WRITERS)]
        paths = [future.result(timeout=60) for future in futures]

    _assert_distinct_files(storage, paths)


def _write_in_process(root: str, barrier: Any, index: int) -> str:
    storage = LocalStorage(Path(root))
    barrier.wait(timeout=60)
    return put(storage, "race", "same", f"writer {index}".encode()).path


def test_concurrent_processes_get_distinct_files(storage: LocalStorage) -> None:
    # Fork where the platform can (fast); elsewhere each writer is a fresh interpreter.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(WRITERS)
        with ProcessPoolExecutor(max_workers=WRITERS, mp_context=context) as pool:
            futures = [
                pool.submit(_write_in_process, str(storage.root), barrier, i)
                for i in range(WRITERS)
            ]
            paths = [future.result(timeout=120) for future in futures]

    _assert_distinct_files(storage, paths)


# -- listing ----------------------------------------------------------------------------


def test_list_files_newest_first_then_by_name(storage: LocalStorage) -> None:
    for stem in ("b", "a", "c", "d"):
        put(storage, "f", stem, b"x")
    set_mtime(storage, "f/a.png", 1_700_000_000)
    set_mtime(storage, "f/b.png", 1_700_000_000)
    set_mtime(storage, "f/c.png", 1_700_000_100)
    set_mtime(storage, "f/d.png", 1_600_000_000)

    files = storage.list_files("f")

    assert [f.name for f in files] == ["c.png", "a.png", "b.png", "d.png"]
    assert files[0].created_at.tzinfo is UTC
    assert files[0].created_at.timestamp() == 1_700_000_100


def test_list_files_only_lists_direct_visible_files(storage: LocalStorage) -> None:
    put(storage, "f", "top", b"x")
    put(storage, "f/sub", "inner", b"x")
    (storage.root / "f" / f"{TEMP_PREFIX}abc").write_bytes(b"partial")
    (storage.root / "f" / ".DS_Store").write_bytes(b"x")

    assert [f.path for f in storage.list_files("f")] == ["f/top.png"]
    assert storage.list_files("f/sub")[0].path == "f/sub/inner.png"


def test_list_files_of_a_missing_folder(storage: LocalStorage) -> None:
    with pytest.raises(FileNotFoundInStorage):
        storage.list_files("nope")
    put(storage, "a", "x", b"x")
    with pytest.raises(FileNotFoundInStorage):
        storage.list_files("a/x.png")  # a file is not a folder
    with pytest.raises(InvalidName):
        storage.list_files("../a")


def test_list_folders(storage: LocalStorage) -> None:
    put(storage, "signatures", "a", b"12")
    put(storage, "signatures", "b", b"345")
    put(storage, "invoices/totals", "t", b"1")
    put(storage, "invoices/totals/deep/er/still", "t", b"1")
    put(storage, "photos", "p", b"1")
    (storage.root / "empty").mkdir()
    (storage.root / "photos" / f"{TEMP_PREFIX}zzz").write_bytes(b"partial")
    (storage.root / ".hidden").mkdir()
    (storage.root / ".hidden" / "x.png").write_bytes(b"x")

    assert storage.list_folders() == [
        FolderInfo(path="invoices/totals", file_count=1, bytes=1),
        FolderInfo(path="invoices/totals/deep/er/still", file_count=1, bytes=1),
        FolderInfo(path="photos", file_count=1, bytes=1),
        FolderInfo(path="signatures", file_count=2, bytes=5),
    ]


def test_listings_skip_names_the_rules_would_not_make(storage: LocalStorage) -> None:
    (storage.root / "bad." / "x").mkdir(parents=True)
    (storage.root / "bad." / "x" / "a.png").write_bytes(b"x")
    (storage.root / "ok").mkdir()
    (storage.root / "ok" / "CON.png").write_bytes(b"x")
    (storage.root / "ok" / "fine.png").write_bytes(b"x")

    assert storage.list_folders() == [FolderInfo(path="ok", file_count=1, bytes=1)]
    assert [f.name for f in storage.list_files("ok")] == ["fine.png"]


# -- stat, open_path, delete ------------------------------------------------------------


def test_stat_and_open_path(storage: LocalStorage) -> None:
    stored = put(storage, "a/b", "x", b"data")

    assert storage.stat("a/b/x.png") == stored
    path = storage.open_path("a/b/x.png")
    assert path.read_bytes() == b"data"
    assert path.is_relative_to(storage.root.resolve())


@pytest.mark.parametrize("path", ["a/missing.png", "missing/x.png", "a/x.png/y.png", "a/b"])
def test_stat_of_a_missing_file(storage: LocalStorage, path: str) -> None:
    put(storage, "a", "x", b"data")
    put(storage, "a/b", "y", b"data")
    with pytest.raises(FileNotFoundInStorage):
        storage.stat(path)
    with pytest.raises(FileNotFoundInStorage):
        storage.open_path(path)
    with pytest.raises(FileNotFoundInStorage):
        storage.delete(path)


@pytest.mark.parametrize(
    "path",
    ["x.png", "../x.png", "a/../x.png", "/etc/passwd", "a\\..\\x.png", "a/.tmp-1", "a//x.png"],
)
def test_bad_paths_are_invalid_names(storage: LocalStorage, path: str) -> None:
    with pytest.raises(InvalidName):
        storage.stat(path)
    with pytest.raises(InvalidName):
        storage.open_path(path)
    with pytest.raises(InvalidName):
        storage.delete(path)


def test_delete_removes_the_file_and_empty_parents(storage: LocalStorage) -> None:
    put(storage, "a/b/c", "x", b"1")
    put(storage, "a", "keep", b"1")

    storage.delete("a/b/c/x.png")

    assert files_on_disk(storage.root) == {"a/keep.png"}
    assert not (storage.root / "a" / "b").exists()
    assert storage.root.is_dir()
    storage.delete("a/keep.png")
    assert list(storage.root.iterdir()) == []
    assert storage.root.is_dir()


def test_write_after_delete_recreates_the_folder(storage: LocalStorage) -> None:
    storage.delete(put(storage, "a/b", "x", b"1").path)
    assert put(storage, "a/b", "x", b"2").path == "a/b/x.png"


# -- symbolic links ---------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    target = tmp_path / "outside"
    target.mkdir()
    (target / "secret.png").write_bytes(b"secret")
    return target


def test_a_symlinked_folder_is_not_followed(storage: LocalStorage, outside: Path) -> None:
    storage.root.mkdir()
    (storage.root / "evil").symlink_to(outside, target_is_directory=True)

    with pytest.raises(FileNotFoundInStorage):
        storage.stat("evil/secret.png")
    with pytest.raises(FileNotFoundInStorage):
        storage.open_path("evil/secret.png")
    with pytest.raises(FileNotFoundInStorage):
        storage.list_files("evil")
    with pytest.raises(FileNotFoundInStorage):
        storage.delete("evil/secret.png")
    with pytest.raises(StorageError):
        put(storage, "evil/sub", "x", b"x")
    assert storage.list_folders() == []
    assert {p.name for p in outside.iterdir()} == {"secret.png"}


def test_a_symlinked_file_is_not_followed(storage: LocalStorage, outside: Path) -> None:
    put(storage, "a", "real", b"x")
    (storage.root / "a" / "link.png").symlink_to(outside / "secret.png")

    with pytest.raises(FileNotFoundInStorage):
        storage.stat("a/link.png")
    with pytest.raises(FileNotFoundInStorage):
        storage.open_path("a/link.png")
    assert [f.name for f in storage.list_files("a")] == ["real.png"]
    with zipfile.ZipFile(_archive(storage, "a")) as archive:
        assert archive.namelist() == ["a/real.png"]


@settings(max_examples=50, deadline=None)
@given(folder=st.text(max_size=30), name=st.text(max_size=30))
def test_any_path_is_refused_or_stays_inside_the_root(
    tmp_path_factory: pytest.TempPathFactory, folder: str, name: str
) -> None:
    root = tmp_path_factory.mktemp("root")
    storage = LocalStorage(root)
    put(storage, "a", "x", b"x")
    try:
        path = storage.open_path(f"{folder}/{name}")
    except (InvalidName, FileNotFoundInStorage):
        return
    assert path.resolve().is_relative_to(root.resolve())


@settings(max_examples=50, deadline=None)
@given(folder=st.text(min_size=1, max_size=40))
def test_accepted_folders_are_written_inside_the_root(
    tmp_path_factory: pytest.TempPathFactory, folder: str
) -> None:
    try:
        canonical = normalize_folder(folder)
    except InvalidName:
        return
    root = tmp_path_factory.mktemp("root")
    storage = LocalStorage(root)
    stored = put(storage, folder, "x", b"x")
    assert stored.folder == canonical
    assert storage.open_path(stored.path).resolve().is_relative_to(root.resolve())


# -- archives ---------------------------------------------------------------------------


def _archive(storage: LocalStorage, folder: str) -> io.BytesIO:
    buffer = io.BytesIO()
    storage.write_archive(folder, buffer)
    buffer.seek(0)
    return buffer


class _Unseekable(io.RawIOBase):
    """A write-only stream without seek/tell, like a streamed HTTP response."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buffer.extend(data)
        return len(data)


def test_archive_holds_the_folder_and_its_subfolders(storage: LocalStorage) -> None:
    put(storage, "invoices", "top", b"top", ext="png")
    put(storage, "invoices/totals", "t", b"total" * 100, ext="jpeg")
    put(storage, "invoices/totals", "meta", b"{}" * 100, ext="json")
    put(storage, "invoices-other", "no", b"no")
    put(storage, "photos", "no", b"no")
    (storage.root / "invoices" / f"{TEMP_PREFIX}abc").write_bytes(b"partial")

    buffer = io.BytesIO()
    count = storage.write_archive("invoices", buffer)
    buffer.seek(0)

    assert count == 3
    with zipfile.ZipFile(buffer) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [
            "invoices/top.png",
            "invoices/totals/meta.json",
            "invoices/totals/t.jpeg",
        ]
        assert archive.read("invoices/totals/t.jpeg") == b"total" * 100
        assert archive.getinfo("invoices/top.png").compress_type == zipfile.ZIP_STORED
        assert archive.getinfo("invoices/totals/t.jpeg").compress_type == zipfile.ZIP_STORED
        meta = archive.getinfo("invoices/totals/meta.json")
        assert meta.compress_type == zipfile.ZIP_DEFLATED


def test_archive_of_a_subfolder(storage: LocalStorage) -> None:
    put(storage, "a", "x", b"x")
    put(storage, "a/b", "y", b"y")

    with zipfile.ZipFile(_archive(storage, "a/b")) as archive:
        assert archive.namelist() == ["a/b/y.png"]


def test_archive_to_an_unseekable_stream(storage: LocalStorage) -> None:
    put(storage, "a", "x", b"picture")
    put(storage, "a", "caf\u00e9", b"unicode")
    sink = _Unseekable()

    assert storage.write_archive("a", cast(BinaryIO, sink)) == 2

    with zipfile.ZipFile(io.BytesIO(bytes(sink.buffer))) as archive:
        assert archive.read("a/x.png") == b"picture"
        assert archive.read("a/caf\u00e9.png") == b"unicode"


def test_archive_of_a_missing_folder(storage: LocalStorage) -> None:
    with pytest.raises(FileNotFoundInStorage):
        storage.write_archive("nope", io.BytesIO())
    with pytest.raises(InvalidName):
        storage.write_archive("../x", io.BytesIO())


def test_archive_keeps_old_timestamps_valid(storage: LocalStorage) -> None:
    put(storage, "a", "old", b"x")
    set_mtime(storage, "a/old.png", 0)  # 1970 is before the ZIP epoch

    with zipfile.ZipFile(_archive(storage, "a")) as archive:
        assert archive.getinfo("a/old.png").date_time == (1980, 1, 1, 0, 0, 0)


# -- readiness and housekeeping ---------------------------------------------------------


def test_check_passes_on_a_writable_root(storage: LocalStorage) -> None:
    storage.check()
    assert list(storage.root.iterdir()) == []


def test_check_fails_when_the_root_is_a_file(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    root.write_bytes(b"not a folder")

    with pytest.raises(StorageUnavailable):
        LocalStorage(root).check()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores modes")
def test_check_fails_when_the_root_is_read_only(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    root.mkdir()
    root.chmod(0o500)
    try:
        with pytest.raises(StorageUnavailable, match="not writable"):
            LocalStorage(root).check()
    finally:
        root.chmod(0o700)


def test_sweep_removes_only_old_temporary_files(storage: LocalStorage) -> None:
    put(storage, "a", "x", b"x")
    old = storage.root / "a" / f"{TEMP_PREFIX}old"
    fresh = storage.root / "a" / f"{TEMP_PREFIX}fresh"
    old.write_bytes(b"x")
    fresh.write_bytes(b"x")
    an_hour_ago = time.time() - 7200
    os.utime(old, (an_hour_ago, an_hour_ago))

    assert storage.sweep_temp_files(older_than=timedelta(hours=1)) == 1

    assert not old.exists()
    assert fresh.exists()
    assert (storage.root / "a" / "x.png").exists()


def _write_forever(root: str, started: Any) -> None:
    """Start writing a file at ``inbox/scan.png`` and never finish (in a child process)."""

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
            return 0

        def readinto(self, buffer: Any) -> int:
            started.set()
            time.sleep(0.01)
            buffer[:1] = b"x"
            return 1

    LocalStorage(root).put_file("inbox/scan.png", cast(BinaryIO, io.BufferedReader(Endless())))


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="files without a name are Linux's")
def test_a_writer_killed_mid_write_leaves_no_file_behind(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    writer = context.Process(target=_write_forever, args=(str(tmp_path), started))
    writer.start()
    assert started.wait(30)
    writer.kill()
    writer.join()
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
