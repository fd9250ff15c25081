"""The files to cut: the files named and, below each folder named, every picture or
document by its extension."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from api.cli.extract.plan import UsageError

# What the server takes as a picture or a document, by file name.
PICTURE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif", ".pdf"}
)


@dataclass(frozen=True)
class InputFile:
    """One file of the run: where it is, how the report names it (``shown``: the path
    given joined with the path below it) and its path below that argument (``relative``)."""

    path: Path
    shown: str
    relative: PurePosixPath


def find_input_files(arguments: Sequence[str]) -> list[InputFile]:
    """The files to cut: each file named, and below each folder named every picture or
    document by extension (recursively, in sorted order, hidden files and folders left
    out). A file reached twice is cut once."""
    files: list[InputFile] = []
    seen: set[Path] = set()
    for argument in arguments:
        root = Path(argument)
        if root.is_dir():
            found = _walk(root, argument)
        elif root.is_file():
            found = [InputFile(root, argument, PurePosixPath(root.name))]
        elif root.exists():
            raise UsageError(f"{argument} is neither a file nor a folder")
        else:
            raise UsageError(f"{argument} does not exist")
        for file in found:
            identity = file.path.resolve()
            if identity not in seen:
                seen.add(identity)
                files.append(file)
    return files


def _walk(root: Path, argument: str) -> list[InputFile]:
    found: list[InputFile] = []
    for folder, folders, names in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            if name.startswith(".") or Path(name).suffix.lower() not in PICTURE_SUFFIXES:
                continue
            path = Path(folder, name)
            if not path.is_file():  # a broken link, a pipe, a socket
                continue
            relative = PurePosixPath(path.relative_to(root).as_posix())
            found.append(InputFile(path, os.path.join(argument, *relative.parts), relative))
    found.sort(key=lambda file: file.relative.parts)
    return found
