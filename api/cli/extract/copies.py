"""The files a run writes beside the report: the crops mirrored below ``--download`` and
the refused files copied below ``--refused``, never outside those folders, never over
another file."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from api.cli.extract.cutter import Cutter, DownloadFailed, Result
from api.cli.extract.inputs import InputFile


def safe_destination(root: Path, name: str) -> Path:
    """Where the archive entry ``name`` goes below ``root``; DownloadFailed for a name that
    would land anywhere else (``..``, an absolute path, a backslash, a link out)."""
    parts = name.split("/")
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
        or ":" in parts[0]
    ):
        raise DownloadFailed(f"the archive names an unsafe path: {name!r}")
    destination = root.joinpath(*parts)
    if not destination.resolve().is_relative_to(root.resolve()):
        raise DownloadFailed(f"the archive names a path outside {root}: {name!r}")
    return destination


def download(cutter: Cutter, extraction_id: str, root: Path) -> None:
    """Mirror the extraction's crops below ``root`` at their ``<folder>/<file>`` paths."""
    for name, data in cutter.crops(extraction_id):
        destination = safe_destination(root, name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(destination, data)


def _write_atomically(destination: Path, data: bytes) -> None:
    scratch = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        scratch.write_bytes(data)
        os.replace(scratch, destination)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise


def keep_refused(file: InputFile, result: Result, root: Path) -> Result:
    """The refused file's result once it is copied below ``root``; a copy that could not
    be made is said in the reason."""
    try:
        copy_refused(file, root)
    except OSError as exc:
        return Result(
            result.status,
            result.extraction_ids,
            result.crops,
            f"{result.reason} (not copied to {root}: {exc.strerror or exc})",
        )
    return result


def copy_refused(file: InputFile, root: Path) -> Path:
    """Copy a refused file below ``root`` at its relative path, never over another file:
    a different file of the same name gets ``-2``, ``-3``…; the same file already there
    (a second run) is not copied again. Answers where the copy is."""
    data = file.path.read_bytes()
    wanted = root.joinpath(*file.relative.parts)
    wanted.parent.mkdir(parents=True, exist_ok=True)
    stem, suffix = wanted.stem, wanted.suffix
    for number in range(1, 10_000):
        candidate = wanted if number == 1 else wanted.with_name(f"{stem}-{number}{suffix}")
        try:
            with candidate.open("xb") as handle:
                handle.write(data)
            return candidate
        except FileExistsError:
            if candidate.is_file() and candidate.read_bytes() == data:
                return candidate
    raise OSError(f"no free name for {wanted}")
