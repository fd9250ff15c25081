"""The storage interface: where crops are filed, listed, served, zipped and deleted.

Every path handed to a :class:`Storage` is relative to its outputs root and uses ``/``
(``invoices/totals/scan_total.png``); the storage checks it with the rules of
:mod:`api.storage.names` and raises :class:`~api.storage.names.InvalidName` for a bad one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Literal, Protocol

__all__ = [
    "BatchClosed",
    "BatchState",
    "FileBatch",
    "FileNotFoundInStorage",
    "FolderInfo",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "StoredFile",
]

logger = logging.getLogger(__name__)

BatchState = Literal["open", "committed", "rolled_back"]


@dataclass(frozen=True)
class StoredFile:
    """One file in the storage."""

    path: str  # "folder/sub/name.png", relative to the outputs root
    name: str  # "name.png"
    folder: str  # "folder/sub"
    bytes: int
    created_at: datetime  # UTC, timezone-aware


@dataclass(frozen=True)
class FolderInfo:
    """A folder that holds files, with the count and size of its *direct* files."""

    path: str
    file_count: int
    bytes: int


class StorageError(Exception):
    """Base of the errors a storage raises about itself (not about a caller's name)."""


class FileNotFoundInStorage(StorageError, LookupError):
    """The file or folder does not exist (or is not reachable inside the root)."""


class StorageUnavailable(StorageError):
    """The storage cannot be used right now (root missing, not a folder, not writable)."""


class BatchClosed(StorageError, RuntimeError):
    """A batch was used after it was committed or rolled back."""


PutFn = Callable[[str, str, str, bytes], StoredFile]
RemoveFn = Callable[[str], None]


class FileBatch:
    """A group of new files that stand or fall together.

    Files are written at once (atomically, each under a name that did not exist) and are
    visible to readers straight away; the batch remembers them so that it can remove them
    all again. Its life::

        open --commit()--> committed     (the files stay; the batch forgets them)
        open --rollback()-> rolled_back  (every file written by the batch is removed)

    As a context manager, an exception inside the ``with`` block rolls the batch back and
    propagates. Leaving the block normally does **not** commit, so a caller can still
    undo the files when something after the block fails, e.g. a database commit::

        with storage.batch() as batch:
            for crop in crops:
                batch.put_new(crop.folder, crop.stem, "png", crop.data)
            session.add(record)
        try:
            session.commit()
        except BaseException:
            batch.rollback()
            raise
        batch.commit()

    ``rollback()`` is best-effort (a file that cannot be removed is logged, not raised,
    so that it never hides the error that caused the rollback) and may be called again;
    calling it after ``commit()`` raises :class:`BatchClosed`, as does ``put_new`` once the
    batch is closed. A batch may be shared between threads.
    """

    def __init__(self, put: PutFn, remove: RemoveFn) -> None:
        self._put = put
        self._remove = remove
        self._files: list[StoredFile] = []
        self._state: BatchState = "open"
        self._lock = threading.Lock()

    @property
    def state(self) -> BatchState:
        """``"open"``, ``"committed"`` or ``"rolled_back"``."""
        return self._state

    @property
    def files(self) -> tuple[StoredFile, ...]:
        """The files written so far, in the order they were written."""
        with self._lock:
            return tuple(self._files)

    def put_new(self, folder: str, stem: str, ext: str, data: bytes) -> StoredFile:
        """Write ``data`` as ``folder/stem.ext``, or ``stem-2.ext``, ``stem-3.ext``… if taken.

        ``folder`` follows :func:`~api.storage.names.normalize_folder`; ``stem`` must be a
        safe component (as :func:`~api.storage.names.render_filename` returns) and ``ext``
        a short alphanumeric extension such as ``png`` (a leading dot is accepted).
        An existing file is never overwritten, even by concurrent writers.
        """
        with self._lock:
            if self._state != "open":
                raise BatchClosed(f"cannot write to a batch that is {self._state}")
            stored = self._put(folder, stem, ext, data)
            self._files.append(stored)
            return stored

    def commit(self) -> None:
        """Keep the files for good; the batch can no longer be rolled back."""
        with self._lock:
            if self._state == "rolled_back":
                raise BatchClosed("cannot commit a batch that was rolled back")
            self._state = "committed"
            self._files.clear()

    def rollback(self) -> None:
        """Remove every file written by the batch (best-effort; idempotent)."""
        with self._lock:
            if self._state == "committed":
                raise BatchClosed("cannot roll back a batch that was committed")
            self._state = "rolled_back"
            files, self._files = self._files, []
        for stored in reversed(files):
            try:
                self._remove(stored.path)
            except FileNotFoundInStorage:
                pass
            except Exception:
                logger.exception("could not remove %s while rolling back", stored.path)

    def __enter__(self) -> FileBatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and self._state == "open":
            self.rollback()


class Storage(Protocol):
    """Where files live: :class:`~api.storage.local.LocalStorage` (folders on disk) or
    :class:`~api.storage.s3.S3Storage` (an S3-compatible bucket).

    Only single files are asked for by path: which files exist, and their folders, are
    recorded in the database, so neither backend is ever listed to serve a request.
    """

    def exists(self, path: str) -> bool:
        """Whether a file is at ``path``."""
        ...

    def put_exact(self, path: str, data: bytes) -> StoredFile | None:
        """Write ``data`` atomically at exactly ``path``; None (nothing written) if taken.

        An existing file is never overwritten, even by a concurrent writer elsewhere.
        """
        ...

    def read(self, path: str) -> bytes:
        """The whole file (:class:`FileNotFoundInStorage` if missing)."""
        ...

    def stream(self, path: str) -> Iterator[bytes]:
        """The file in chunks; :class:`FileNotFoundInStorage` before the first if missing."""
        ...

    def delete(self, path: str) -> None:
        """Remove one file (:class:`FileNotFoundInStorage` if missing)."""
        ...

    def presigned_url(self, path: str, expires_in: int) -> str | None:
        """A URL that fetches the file for ``expires_in`` seconds, or None if the storage
        cannot hand one out (local folders)."""
        ...

    def check(self) -> None:
        """Raise :class:`StorageUnavailable` unless the storage can be used now."""
        ...

    def sweep_temp_files(self, older_than: timedelta) -> int:
        """Remove what interrupted writes left (never a file in flight); how many."""
        ...
