"""Reference pictures of models, kept in the references storage (a folder or a bucket)."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from dataclasses import dataclass, fields
from typing import Any

from api import errors
from api.imaging.decode import Picture
from api.imaging.encode import encode_image
from api.storage import FileNotFoundInStorage, Storage
from api.tables import Model

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
    storage: Storage, model_id: uuid.UUID, data: bytes | None, picture: Picture
) -> StoredReference:
    """Keep one page of a reference in the references storage and describe it.

    ``data`` is the uploaded file the picture was decoded from, kept as it is when a
    browser shows it; None (a page of a document) keeps the picture as PNG. The name is
    the content's hash, so a name that is taken already holds these bytes, and the pages
    of one model lie side by side.
    """
    if data is not None and picture.format in BROWSER_FORMATS:
        kept, fmt, ext = data, picture.format, BROWSER_FORMATS[picture.format]
    else:
        kept, fmt, ext = encode_image(picture.image, "png", 100), "png", "png"
    digest = hashlib.sha256(kept).hexdigest()
    relative = f"{model_id}/{digest[:16]}.{ext}"
    storage.put_exact(relative, kept)
    return StoredReference(relative, fmt, picture.width, picture.height, len(kept), digest)


@dataclass(frozen=True)
class ReferencePage(StoredReference):
    """One page of a model's reference, numbered from 1."""

    number: int


def reference_pages(model: Model) -> list[ReferencePage]:
    """Every page of the model's reference in order: page 1 from the model's image
    columns, where it always was, and the further pages beside it."""
    first = ReferencePage(
        model.image_path,
        model.image_format,
        model.image_width,
        model.image_height,
        model.image_bytes,
        model.image_sha256,
        1,
    )
    further = [
        ReferencePage(**{**page, "number": number})
        for number, page in enumerate(model.extra_pages or [], start=2)
    ]
    return [first, *further]


def reference_page(model: Model, number: int) -> ReferencePage:
    """Page ``number`` (from 1) of the model's reference, or 404 naming how many it has."""
    pages = reference_pages(model)
    if not 1 <= number <= len(pages):
        plural = "s" if len(pages) > 1 else ""
        raise errors.NotFound(
            f"model {model.id} has {len(pages)} reference page{plural}; there is no page {number}"
        )
    return pages[number - 1]


def page_record(stored: StoredReference) -> dict[str, Any]:
    """A kept page as the model records a further page of its reference."""
    return {field.name: getattr(stored, field.name) for field in fields(StoredReference)}


def features_path(relative: str) -> str:
    """Where the computed features of a reference picture are kept, beside it."""
    return relative.rsplit(".", 1)[0] + ".features"


def suggestions_path(relative: str) -> str:
    """Where the zone suggestions of a reference picture are kept, beside it."""
    return relative.rsplit(".", 1)[0] + ".suggestions"


def remove_reference(storage: Storage, relative: str) -> None:
    """Remove a kept reference picture and what was computed from it (its features, its
    suggestions); missing ones are fine."""
    for path in (relative, features_path(relative), suggestions_path(relative)):
        with contextlib.suppress(FileNotFoundInStorage):
            storage.delete(path)


def read_reference(storage: Storage, relative: str) -> bytes:
    """The bytes of a kept reference picture."""
    return storage.read(relative)
