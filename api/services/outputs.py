"""Output folders and files: listed from the register in the database, read from storage.

Neither the folders on disk nor a bucket are ever listed to answer a request: every filed
crop is registered in ``output_files`` in the transaction that records its extraction.
"""

from __future__ import annotations

import contextlib
import logging
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from api import errors
from api.db import on_commit, session_scope
from api.storage import FileNotFoundInStorage, FolderInfo, Storage, StoredFile
from api.storage.local import LocalStorage
from api.storage.names import InvalidName, normalize_folder, split_file_path
from api.tables import OutputFile

T = TypeVar("T")
log = logging.getLogger(__name__)
# Entries with these extensions are already compressed: a ZIP stores them as they are.
_STORED_IN_ZIP = frozenset({"png", "jpg", "jpeg", "webp", "gif", "heic", "heif", "avif"})


def _checked(what: str, action: Callable[[], T]) -> T:
    try:
        return action()
    except InvalidName as exc:
        raise errors.validation_failed([errors.FieldError(field=what, message=str(exc))]) from exc


def _stored(row: OutputFile) -> StoredFile:
    return StoredFile(row.path, row.name, row.folder, row.bytes, row.created_at)


def list_folders(session: Session) -> list[FolderInfo]:
    """Every folder that directly holds files, with their count and size, by path."""
    rows = session.execute(
        select(OutputFile.folder, func.count(), func.sum(OutputFile.bytes))
        .group_by(OutputFile.folder)
        .order_by(OutputFile.folder)
    ).all()
    return [FolderInfo(folder, int(count), int(size or 0)) for folder, count, size in rows]


def list_files(session: Session, folder: str) -> list[StoredFile]:
    """A folder's direct files, newest first; 404 for an unknown folder, 422 for a bad name."""
    canonical = _checked("folder", lambda: normalize_folder(folder))
    rows = session.scalars(
        select(OutputFile)
        .where(OutputFile.folder == canonical)
        .order_by(OutputFile.created_at.desc(), OutputFile.name)
    ).all()
    if not rows:
        raise errors.NotFound(f"folder '{canonical}' not found")
    return [_stored(row) for row in rows]


def file_info(session: Session, path: str) -> StoredFile:
    """One output file; 404 when there is none."""
    folder, name = _checked("path", lambda: split_file_path(path))
    row = session.get(OutputFile, f"{folder}/{name}")
    if row is None:
        raise errors.NotFound(f"file '{folder}/{name}' not found")
    return _stored(row)


def open_file(session: Session, storage: Storage, path: str) -> tuple[StoredFile, Iterator[bytes]]:
    """One output file's facts and its bytes as a stream."""
    stored = file_info(session, path)
    try:
        return stored, storage.stream(stored.path)
    except FileNotFoundInStorage as exc:
        raise errors.NotFound(f"file '{stored.path}' is registered but missing") from exc


def delete_file(session: Session, storage: Storage, path: str) -> None:
    """Unregister one output file, and remove it once that is committed."""
    stored = file_info(session, path)
    session.delete(session.get(OutputFile, stored.path))

    def remove() -> None:
        with contextlib.suppress(FileNotFoundInStorage):
            storage.delete(stored.path)

    on_commit(session, remove)


def write_archive(
    sessions: sessionmaker[Session], storage: Storage, folder: str, target: BinaryIO
) -> int:
    """A ZIP of the folder and its subfolders into ``target``; the number of files.

    Entries are ``<folder>/<file>``, as in the ZIP answer of ``POST /extract``; files are
    read one at a time, so the folder is never held in memory, and no transaction is
    open while they are.
    """
    canonical = _checked("folder", lambda: normalize_folder(folder))
    with session_scope(sessions) as session:
        rows = _archive_rows(session, canonical)
    if not rows:
        raise errors.NotFound(f"folder '{canonical}' not found")
    count = 0
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for row in rows:
            extension = row.name.rsplit(".", 1)[-1].lower()
            method = zipfile.ZIP_STORED if extension in _STORED_IN_ZIP else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo(row.path, row.created_at.timetuple()[:6])
            info.compress_type = method
            try:
                chunks = storage.stream(row.path)
            except FileNotFoundInStorage:
                log.warning("registered output %s is missing from storage", row.path)
                continue
            with archive.open(info, "w", force_zip64=row.bytes > 2**31) as entry:
                for chunk in chunks:
                    entry.write(chunk)
            count += 1
    return count


def _archive_rows(session: Session, canonical: str) -> list[OutputFile]:
    rows = session.scalars(
        select(OutputFile)
        .where(
            or_(
                OutputFile.folder == canonical,
                OutputFile.folder.startswith(canonical + "/", autoescape=True),
            )
        )
        .order_by(OutputFile.path)
    ).all()
    return list(rows)


def register_existing(sessions: sessionmaker[Session], storage: Storage) -> int:
    """Register outputs filed on disk before the register existed (once, when it is empty)."""
    if not isinstance(storage, LocalStorage):
        return 0
    with session_scope(sessions) as session:
        if session.scalar(select(OutputFile.path).limit(1)) is not None:
            return 0
        known: set[str] = set()
        for folder in storage.list_folders():
            for stored in storage.list_files(folder.path):
                if stored.path not in known:
                    known.add(stored.path)
                    session.add(
                        OutputFile(
                            path=stored.path,
                            folder=stored.folder,
                            name=stored.name,
                            bytes=stored.bytes,
                            created_at=stored.created_at,
                        )
                    )
    if known:
        log.info("registered %d output files found on disk", len(known))
    return len(known)
