"""Output folders and files: storage lookups with their errors made API answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, TypeVar

from api import errors
from api.storage import FileNotFoundInStorage, FolderInfo, Storage, StoredFile
from api.storage.names import InvalidName

T = TypeVar("T")


def _answering(what: str, action: Callable[[], T]) -> T:
    try:
        return action()
    except InvalidName as exc:
        raise errors.validation_failed([errors.FieldError(field=what, message=str(exc))]) from exc
    except FileNotFoundInStorage as exc:
        raise errors.NotFound(str(exc)) from exc


def list_folders(storage: Storage) -> list[FolderInfo]:
    """Every folder that holds files."""
    return storage.list_folders()


def list_files(storage: Storage, folder: str) -> list[StoredFile]:
    """A folder's files, newest first; 404 for an unknown folder, 422 for a bad name."""
    return _answering("folder", lambda: storage.list_files(folder))


def file_info(storage: Storage, path: str) -> StoredFile:
    """One output file."""
    return _answering("path", lambda: storage.stat(path))


def delete_file(storage: Storage, path: str) -> None:
    """Remove one output file."""
    _answering("path", lambda: storage.delete(path))


def write_archive(storage: Storage, folder: str, target: BinaryIO) -> int:
    """A ZIP of the folder into ``target``; the number of files."""
    return _answering("folder", lambda: storage.write_archive(folder, target))
