"""Reference pictures of models: decoded for checks, kept on disk beside the database."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from api.imaging.decode import Picture
from api.imaging.encode import encode_image

# Formats a browser shows as they are; others are kept as PNG of the oriented picture.
BROWSER_FORMATS = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif", "bmp": "bmp"}


@dataclass(frozen=True)
class StoredReference:
    """A reference picture as kept on disk; ``path`` is relative to the references root."""

    path: str
    format: str
    width: int
    height: int
    bytes: int
    sha256: str


def store_reference(
    root: Path, model_id: uuid.UUID, data: bytes, picture: Picture
) -> StoredReference:
    """Keep the uploaded reference under ``root`` (atomically) and describe it."""
    if picture.format in BROWSER_FORMATS:
        kept, fmt, ext = data, picture.format, BROWSER_FORMATS[picture.format]
    else:
        kept, fmt, ext = encode_image(picture.image, "png", 100), "png", "png"
    digest = hashlib.sha256(kept).hexdigest()
    relative = f"{model_id}/{digest[:16]}.{ext}"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(kept)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return StoredReference(relative, fmt, picture.width, picture.height, len(kept), digest)


def remove_reference(root: Path, relative: str) -> None:
    """Remove a kept reference picture and its folder once empty; missing files are fine."""
    target = root / relative
    target.unlink(missing_ok=True)
    for sidecar in target.parent.glob(target.stem + ".*"):
        sidecar.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        target.parent.rmdir()


def reference_file(root: Path, relative: str) -> Path:
    """The file of a kept reference picture."""
    return root / relative
