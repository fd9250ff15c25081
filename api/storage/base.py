"""The storage interface: where crops are filed, listed, served, zipped and deleted.

Every path handed to a :class:`Storage` is relative to its outputs root and uses ``/``
(``invoices/totals/scan_total.png``); the storage checks it with the rules of
:mod:`api.storage.names` and raises :class:`~api.storage.names.InvalidName` for a bad one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

__all__ = [
    "FileNotFoundInStorage",
    "FolderInfo",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "StoredFile",
]


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

    def put_file(self, path: str, source: BinaryIO) -> StoredFile | None:
        """Like :meth:`put_exact`, with the bytes read from ``source`` (from where it
        stands to its end) in chunks, never whole in memory: for uploads of any size."""
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
