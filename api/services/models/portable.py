"""A model as one portable document (reference pages inside, base64), out and back in."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from api import errors
from api.services.models.catalog import create_model
from api.services.models.references import (
    reference_pages,
)
from api.services.models.rules import Limits, ZoneSpec, zone_spec
from api.storage import Storage
from api.tables import Model


def export_model(model: Model, images: Sequence[bytes]) -> dict[str, Any]:
    """The portable document of a model; ``images`` holds its reference pages' bytes."""
    pages = reference_pages(model)
    return {
        "name": model.name,
        "description": model.description,
        "alignment": model.alignment,
        "on_refusal": model.on_refusal,
        "output_format": model.output_format,
        "output_quality": model.output_quality,
        "filename_template": model.filename_template,
        "zones": [zone_spec(z).fields() for z in model.zones],
        "image": _exported(pages[0].format, images[0]),
        "pages": [
            _exported(page.format, data) for page, data in zip(pages[1:], images[1:], strict=True)
        ],
    }


def _exported(fmt: str, data: bytes) -> dict[str, str]:
    return {"format": fmt, "data_base64": base64.b64encode(data).decode()}


def import_model(
    session: Session,
    references: Storage,
    *,
    name: str,
    description: str,
    settings: Mapping[str, Any],
    zones: Sequence[ZoneSpec],
    image_base64: str,
    pages_base64: Sequence[str],
    limits: Limits,
) -> Model:
    """A new model from the parts of an exported document: its pages in base64."""
    image = _from_base64(image_base64, "image.data_base64")
    more_pages = [
        _from_base64(page, f"pages[{index}].data_base64") for index, page in enumerate(pages_base64)
    ]
    return create_model(
        session,
        references,
        name=name,
        description=description,
        image=image,
        limits=limits,
        settings=settings,
        zones=zones,
        more_pages=more_pages,
    )


def _from_base64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.validation_failed(
            [errors.FieldError(field=field, message="is not valid base64")]
        ) from exc
