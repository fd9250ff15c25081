"""The storage on a local folder: ``<root>/<folder>/<name>``.

Writes never overwrite and never show a half-written file. The data goes to a temporary
file (``.tmp-…``) in the target folder first; the temporary file is then hard-linked under
the first free name (``stem.ext``, ``stem-2.ext``, ``stem-3.ext``…). ``os.link`` fails when
the name exists, so the check and the claim are one atomic step and concurrent writers,
threads or processes, always end with distinct files. Where hard links are not supported
the name is reserved with ``O_CREAT | O_EXCL`` and the temporary file renamed over the
reservation.

Nothing below the root is reached through a symbolic link: paths are checked against
their resolved form, and listings (:mod:`api.storage.listing`) skip links, hidden entries
(``.tmp-…`` included) and names the rules of :mod:`api.storage.names` would not produce.
"""

from __future__ import annotations

import ctypes
import errno
import itertools
import os
import secrets
import shutil
import stat
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import BinaryIO

from api.storage.base import (
    FileNotFoundInStorage,
    FolderInfo,
    StorageError,
    StorageUnavailable,
    StoredFile,
)
from api.storage.listing import Entry, files_in, folders_under, scan, stored_file
from api.storage.names import (
    MAX_FOLDER_SEGMENTS,
    check_extension,
    check_file_name,
    normalize_folder,
    numbered_file_name,
    split_file_path,
)

__all__ = ["TEMP_PREFIX", "LocalStorage"]

TEMP_PREFIX = ".tmp-"
_FD_LINK_PREFIX = "/proc/self/fd/"
_AT_FDCWD, _AT_SYMLINK_FOLLOW = -100, 0x400


def _link_unnamed(source: Path, target: Path) -> bool:
    """Give the unnamed file open at ``source`` (``/proc/self/fd/N``) the name ``target``
    unless it exists; whether it did. ``os.link`` cannot: it links the ``/proc`` entry
    itself, so ``linkat`` is called with ``AT_SYMLINK_FOLLOW`` as open(2) describes."""
    result = _libc().linkat(
        _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _AT_SYMLINK_FOLLOW
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code == errno.EEXIST:
        return False
    raise OSError(code, os.strerror(code), str(target))


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


# Entries with these extensions are already compressed: a ZIP stores them as they are.
_STORED_IN_ZIP = frozenset({"png", "jpg", "jpeg", "webp", "gif", "heic", "heif", "avif"})
# After this many taken names, read the folder once instead of probing name by name.
_PROBES_BEFORE_SCAN = 16
# A concurrent delete may remove an empty folder between creating it and writing into it.
_WRITE_ATTEMPTS = 5
# errno values meaning "this file system cannot make hard links".
_NO_HARD_LINKS = frozenset(
    code
    for code in (
        getattr(errno, "EPERM", None),
        getattr(errno, "ENOTSUP", None),
        getattr(errno, "EOPNOTSUPP", None),
        getattr(errno, "ENOSYS", None),
        getattr(errno, "EMLINK", None),
    )
    if code is not None
)
_COPY_CHUNK = 1024 * 1024
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _zip_time(mtime_ns: int) -> tuple[int, int, int, int, int, int]:
    local = time.localtime(mtime_ns / 1e9)
    stamp = (local.tm_year, local.tm_mon, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec)
    return max(stamp, _ZIP_EPOCH)


def _fsync_dir(directory: Path) -> None:
    """Make a new directory entry durable (POSIX); a no-op where directories can't be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LocalStorage:
    """A :class:`~api.storage.base.Storage` over a local directory.

    ``root`` is created on first use. With ``fsync=True`` every file and its directory
    entry are flushed to disk before a write returns (slower; for storage that must
    survive a power cut).
    """

    def __init__(self, root: Path | str, *, fsync: bool = False) -> None:
        self._root = Path(root)
        self._fsync = fsync
        self._hard_links = hasattr(os, "link")
        # files made without a name (O_TMPFILE), until the file system says it has none
        self._unnamed_files = hasattr(os, "O_TMPFILE") and Path("/proc/self/fd").is_dir()

    @property
    def root(self) -> Path:
        """The outputs root as configured."""
        return self._root

    # -- the Storage interface -------------------------------------------------------

    def list_folders(self) -> list[FolderInfo]:
        """Every folder, at any depth, that directly holds files; sorted by path.

        ``file_count`` and ``bytes`` count the folder's own files, not its subfolders'.
        """
        return folders_under(self._ready_root())

    def list_files(self, folder: str) -> list[StoredFile]:
        """The direct files of ``folder``, newest first, then by name.

        Raises :class:`~api.storage.names.InvalidName` for a bad folder and
        :class:`FileNotFoundInStorage` for one that does not exist.
        """
        canonical, directory = self._existing_dir(folder)
        return files_in(directory, canonical)

    def stat(self, path: str) -> StoredFile:
        """The facts of the file at ``path`` (``folder/name.ext``).

        Raises :class:`~api.storage.names.InvalidName` for a bad path and
        :class:`FileNotFoundInStorage` when there is no such file.
        """
        return stored_file(self._existing_file(path))

    def exists(self, path: str) -> bool:
        """Whether a file is at ``path`` (checked like :meth:`stat`)."""
        try:
            self._existing_file(path)
        except FileNotFoundInStorage:
            return False
        return True

    def put_exact(self, path: str, data: bytes) -> StoredFile | None:
        """Write ``data`` at exactly ``path`` unless a file is there; None if one is.

        Atomic: the bytes go to a temporary file that is then linked under the name, so a
        reader never sees half a file and an existing file is never overwritten.
        """
        return self._put_at(path, lambda handle: handle.write(data))

    def put_file(self, path: str, source: BinaryIO) -> StoredFile | None:
        """Copy ``source`` from where it stands to ``path`` in chunks, atomically, unless a
        file is there (None then)."""
        start = source.tell()

        def copy(handle: BinaryIO) -> None:
            source.seek(start)  # a folder pruned meanwhile: the next attempt copies anew
            shutil.copyfileobj(source, handle, _COPY_CHUNK)

        return self._put_at(path, copy)

    def _put_at(self, path: str, write: Callable[[BinaryIO], object]) -> StoredFile | None:
        folder, name = split_file_path(path)
        for _ in range(_WRITE_ATTEMPTS):
            directory = self._make_dir(folder)
            try:
                with self._written(directory, write) as (temp, info):
                    claimed = self._link(temp, directory / name)
            except FileNotFoundError:
                continue  # the folder was pruned by a concurrent delete: make it again
            if not claimed:
                return None
            if self._fsync:
                _fsync_dir(directory)
            return stored_file(
                Entry(f"{folder}/{name}", directory / name, info.st_size, info.st_mtime_ns)
            )
        raise StorageError(f"folder '{folder}' keeps disappearing while writing into it")

    def presigned_url(self, path: str, expires_in: int) -> str | None:
        """None: files on disk are served through the API only."""
        return None

    def read(self, path: str) -> bytes:
        """The whole file at ``path`` (checked like :meth:`stat`)."""
        return self._existing_file(path).real.read_bytes()

    def stream(self, path: str) -> Iterator[bytes]:
        """The file at ``path`` in chunks; a missing file is raised before the first."""
        handle = self._existing_file(path).real.open("rb")

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(_COPY_CHUNK):
                    yield chunk

        return chunks()

    def open_path(self, path: str) -> Path:
        """The real path of the file at ``path``, e.g. to stream it with ``FileResponse``.

        Checked like :meth:`stat`.
        """
        return self._existing_file(path).real

    def delete(self, path: str) -> None:
        """Remove the file at ``path`` and every parent folder that this leaves empty.

        Checked like :meth:`stat`.
        """
        entry = self._existing_file(path)
        try:
            entry.real.unlink()
        except FileNotFoundError as exc:
            raise FileNotFoundInStorage(f"file '{entry.path}' not found") from exc
        self._prune(entry.real.parent)

    def write_archive(self, folder: str, target: BinaryIO) -> int:
        """Write a ZIP of ``folder`` and its subfolders to ``target``; return the file count.

        Entry names are the files' storage paths (``invoices/totals/scan.png``), the same
        ``<folder>/<file>`` layout as the ZIP answer of ``POST /extract``, so unzipping
        recreates the folders. Pictures are stored as they are; other files deflated.
        ``target`` may be unseekable (entries then carry data descriptors). Files deleted
        while the archive is written are left out.
        """
        canonical, directory = self._existing_dir(folder)
        entries: list[Entry] = []
        pending: list[tuple[Path, str]] = [(directory, canonical)]
        while pending:
            current, rel = pending.pop()
            files, subdirs = scan(current, rel)
            entries.extend(files)
            if rel.count("/") + 1 < MAX_FOLDER_SEGMENTS:
                pending.extend(subdirs)
        entries.sort(key=lambda entry: entry.path)
        count = 0
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for entry in entries:
                try:
                    source = entry.real.open("rb")
                except FileNotFoundError:
                    continue
                with source:
                    info = zipfile.ZipInfo(entry.path, date_time=_zip_time(entry.mtime_ns))
                    ext = entry.path.rpartition(".")[2].lower()
                    info.compress_type = (
                        zipfile.ZIP_STORED if ext in _STORED_IN_ZIP else zipfile.ZIP_DEFLATED
                    )
                    info.external_attr = (stat.S_IFREG | 0o644) << 16
                    info.file_size = entry.size
                    with archive.open(info, "w") as sink:
                        shutil.copyfileobj(source, sink, _COPY_CHUNK)
                count += 1
        return count

    def check(self) -> None:
        """Raise :class:`StorageUnavailable` unless the root exists and takes a new file."""
        root = self._ready_root()
        probe = root / f"{TEMP_PREFIX}ready-{secrets.token_hex(8)}"
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            probe.unlink()
        except OSError as exc:
            raise StorageUnavailable(
                f"storage root '{self._root}' is not writable: {exc.strerror or exc}"
            ) from exc

    # -- housekeeping ----------------------------------------------------------------

    def sweep_temp_files(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Remove temporary files a crashed writer left behind; return how many.

        Only ``.tmp-…`` files older than ``older_than`` go, so writes in flight are safe.
        """
        root = self._ready_root()
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for directory, dirnames, filenames in os.walk(root):
            dirnames[:] = [name for name in dirnames if not name.startswith(".")]
            for name in filenames:
                if not name.startswith(TEMP_PREFIX):
                    continue
                path = Path(directory, name)
                try:
                    if path.lstat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed

    # -- internals -------------------------------------------------------------------

    def _ready_root(self) -> Path:
        """The resolved root, created when missing."""
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            real = self._root.resolve(strict=True)
        except OSError as exc:
            raise StorageUnavailable(
                f"storage root '{self._root}' cannot be used: {exc.strerror or exc}"
            ) from exc
        if not real.is_dir():
            raise StorageUnavailable(f"storage root '{self._root}' is not a folder")
        return real

    @staticmethod
    def _is_direct(path: Path) -> bool:
        """Whether ``path`` (built on the resolved root) is reached without symbolic links."""
        return os.path.normcase(os.path.realpath(path)) == os.path.normcase(path)

    def _existing_dir(self, folder: str) -> tuple[str, Path]:
        canonical = normalize_folder(folder)
        directory = self._ready_root().joinpath(*canonical.split("/"))
        try:
            info = os.stat(directory, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise FileNotFoundInStorage(f"folder '{canonical}' not found") from exc
        if not stat.S_ISDIR(info.st_mode) or not self._is_direct(directory):
            raise FileNotFoundInStorage(f"folder '{canonical}' not found")
        return canonical, directory

    def _existing_file(self, path: str) -> Entry:
        folder, name = split_file_path(path)
        canonical = f"{folder}/{name}"
        real = self._ready_root().joinpath(*folder.split("/"), name)
        try:
            info = os.stat(real, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise FileNotFoundInStorage(f"file '{canonical}' not found") from exc
        if not stat.S_ISREG(info.st_mode) or not self._is_direct(real):
            raise FileNotFoundInStorage(f"file '{canonical}' not found")
        return Entry(canonical, real, info.st_size, info.st_mtime_ns)

    def _make_dir(self, folder: str) -> Path:
        """Create ``<root>/<folder>`` (checked, canonical) and return it."""
        directory = self._ready_root().joinpath(*folder.split("/"))
        if not self._is_direct(directory):
            raise StorageError(f"folder '{folder}' is reached through a symbolic link")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StorageError(
                f"folder '{folder}' cannot be created: a file has the same name"
            ) from exc
        if not self._is_direct(directory):
            raise StorageError(f"folder '{folder}' is reached through a symbolic link")
        return directory

    def _prune(self, directory: Path) -> None:
        """Remove ``directory`` and its parents while they are empty, up to the root."""
        root = self._ready_root()
        while directory != root and directory.is_relative_to(root):
            try:
                directory.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                return
            directory = directory.parent

    def _put_new(self, folder: str, stem: str, ext: str, data: bytes) -> StoredFile:
        canonical = normalize_folder(folder)
        stem = check_file_name(stem)
        ext = check_extension(ext)
        for _ in range(_WRITE_ATTEMPTS):
            directory = self._make_dir(canonical)
            try:
                # The final name shares the temporary file's inode, hence its facts.
                with self._written(directory, lambda handle: handle.write(data)) as (temp, info):
                    name = self._claim_name(directory, temp, stem, ext)
            except FileNotFoundError:
                continue  # the folder was pruned by a concurrent delete: make it again
            if self._fsync:
                _fsync_dir(directory)
            entry = Entry(f"{canonical}/{name}", directory / name, info.st_size, info.st_mtime_ns)
            return stored_file(entry)
        raise StorageError(f"folder '{canonical}' keeps disappearing while writing into it")

    @contextmanager
    def _written(
        self, directory: Path, write: Callable[[BinaryIO], object]
    ) -> Iterator[tuple[Path, os.stat_result]]:
        """A new file in ``directory`` holding what ``write`` wrote, not yet under any name:
        a path to link it from and its facts, gone once the block ends.

        Where the system has them (Linux), the file is made without a name at all
        (``O_TMPFILE``) and linked through ``/proc/self/fd``: a process killed while
        writing leaves nothing behind. Elsewhere it is a hidden ``.tmp-…`` file, removed
        at the end (and by :meth:`sweep_temp_files` after a crash)."""
        if self._unnamed_files and self._hard_links:
            try:
                fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o666)
            except FileNotFoundError:
                raise
            except OSError:
                self._unnamed_files = False  # this file system has none
            else:
                try:
                    self._write_fd(fd, write)
                    yield Path(f"{_FD_LINK_PREFIX}{fd}"), os.fstat(fd)
                finally:
                    os.close(fd)
                return
        temp = self._write_temp(directory, write)
        try:
            yield temp, os.stat(temp, follow_symlinks=False)
        finally:
            temp.unlink(missing_ok=True)

    def _write_fd(self, fd: int, write: Callable[[BinaryIO], object]) -> None:
        """``write`` into the open file ``fd`` (left open), flushed to disk with fsync."""
        with os.fdopen(fd, "wb", closefd=False) as handle:
            write(handle)
            if self._fsync:
                handle.flush()
                os.fsync(fd)

    def _write_temp(self, directory: Path, write: Callable[[BinaryIO], object]) -> Path:
        """Make a new hidden temporary file in ``directory`` and ``write`` it."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            temp = directory / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
            try:
                fd = os.open(temp, flags, 0o666)
            except FileExistsError:
                continue
            break
        try:
            try:
                self._write_fd(fd, write)
            finally:
                os.close(fd)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp

    def _claim_name(self, directory: Path, temp: Path, stem: str, ext: str) -> str:
        """Give ``temp`` the first free name ``stem.ext``, ``stem-2.ext``…; return it."""
        taken: set[str] = set()
        for number in itertools.count(1):
            name = numbered_file_name(stem, ext, number)
            if name in taken:
                continue
            if self._link(temp, directory / name):
                return name
            if number == _PROBES_BEFORE_SCAN:
                with os.scandir(directory) as iterator:
                    taken = {item.name for item in iterator}
        raise AssertionError("unreachable")  # pragma: no cover

    def _link(self, temp: Path, target: Path) -> bool:
        """Make ``target`` hold ``temp``'s content unless it exists; whether it did."""
        if str(temp).startswith(_FD_LINK_PREFIX):
            return _link_unnamed(temp, target)
        if self._hard_links:
            try:
                os.link(temp, target)
                return True
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in _NO_HARD_LINKS:
                    raise
                self._hard_links = False
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            return False
        os.close(fd)
        os.replace(temp, target)
        return True
