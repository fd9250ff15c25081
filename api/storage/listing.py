"""What a folder of the local storage holds: its files and subfolders, as listings show them.

A listing skips symbolic links, hidden entries (``.tmp-…`` included) and names the rules
of :mod:`api.storage.names` would not produce.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from api.storage.base import FolderInfo, StoredFile
from api.storage.names import MAX_FOLDER_SEGMENTS, InvalidName, check_file_name


@dataclass(frozen=True)
class Entry:
    """A file found on disk, with the facts needed to list, sort and zip it."""

    path: str
    real: Path
    size: int
    mtime_ns: int


def _is_listable(name: str) -> bool:
    """Whether a directory entry is one the storage would have made (not hidden, valid)."""
    if name.startswith("."):
        return False
    try:
        return check_file_name(name) == name
    except InvalidName:
        return False


def _created_at(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)


def stored_file(entry: Entry) -> StoredFile:
    """The facts of ``entry`` as the storage answers them."""
    folder, _, name = entry.path.rpartition("/")
    return StoredFile(
        path=entry.path,
        name=name,
        folder=folder,
        bytes=entry.size,
        created_at=_created_at(entry.mtime_ns),
    )


def scan(directory: Path, rel: str) -> tuple[list[Entry], list[tuple[Path, str]]]:
    """The listable files and subfolders directly inside ``directory``."""
    files: list[Entry] = []
    subdirs: list[tuple[Path, str]] = []
    try:
        with os.scandir(directory) as iterator:
            entries = list(iterator)
    except (FileNotFoundError, NotADirectoryError):
        return files, subdirs
    for item in entries:
        if not _is_listable(item.name):
            continue
        child = f"{rel}/{item.name}" if rel else item.name
        try:
            if item.is_dir(follow_symlinks=False):
                subdirs.append((Path(item.path), child))
            elif item.is_file(follow_symlinks=False):
                info = item.stat(follow_symlinks=False)
                files.append(Entry(child, Path(item.path), info.st_size, info.st_mtime_ns))
        except FileNotFoundError:
            continue
    return files, subdirs


def folders_under(root: Path) -> list[FolderInfo]:
    """Every folder below ``root``, at any depth, that directly holds files; sorted by path.

    ``file_count`` and ``bytes`` count the folder's own files, not its subfolders'.
    """
    folders: list[FolderInfo] = []
    pending: list[tuple[Path, str]] = [(root, "")]
    while pending:
        directory, rel = pending.pop()
        files, subdirs = scan(directory, rel)
        if rel and files:
            folders.append(
                FolderInfo(path=rel, file_count=len(files), bytes=sum(f.size for f in files))
            )
        if rel.count("/") + 1 < MAX_FOLDER_SEGMENTS or not rel:
            pending.extend(subdirs)
    return sorted(folders, key=lambda info: info.path)


def files_in(directory: Path, rel: str) -> list[StoredFile]:
    """The direct files of ``directory`` (the folder ``rel``), newest first, then by name."""
    files, _ = scan(directory, rel)
    files.sort(key=lambda entry: (-entry.mtime_ns, entry.path))
    return [stored_file(entry) for entry in files]
