"""Reference pictures of models, kept in the references storage (a folder or a bucket)."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from dataclasses import dataclass

from api.imaging.decode import Picture
from api.imaging.encode import encode_image
from api.storage import FileNotFoundInStorage, Storage

# Formats a browser shows as they are; others are kept as PNG of the oriented picture.
BROWSER_FORMATS = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif", "bmp": "bmp"}


@dataclass(frozen=True)
class StoredReference:
    """A reference picture as kept; ``path`` is relative to the references storage."""

    path: str
    format: str
    width: int
    height: int
    bytes: int
    sha256: str


def store_reference(
    storage: Storage, model_id: uuid.UUID, data: bytes, picture: Picture
) -> StoredReference:
    """Keep the uploaded reference in the references storage and describe it.

    The name is the content's hash, so a name that is taken already holds these bytes.
    """
    if picture.format in BROWSER_FORMATS:
        kept, fmt, ext = data, picture.format, BROWSER_FORMATS[picture.format]
    else:
        kept, fmt, ext = encode_image(picture.image, "png", 100), "png", "png"
    digest = hashlib.sha256(kept).hexdigest()
    relative = f"{model_id}/{digest[:16]}.{ext}"
    storage.put_exact(relative, kept)
    return StoredReference(relative, fmt, picture.width, picture.height, len(kept), digest)


def features_path(relative: str) -> str:
    """Where the computed features of a reference picture are kept, beside it."""
    return relative.rsplit(".", 1)[0] + ".features"


def remove_reference(storage: Storage, relative: str) -> None:
    """Remove a kept reference picture and its features; missing ones are fine."""
    for path in (relative, features_path(relative)):
        with contextlib.suppress(FileNotFoundInStorage):
            storage.delete(path)


def read_reference(storage: Storage, relative: str) -> bytes:
    """The bytes of a kept reference picture."""
    return storage.read(relative)
