"""Extractions: the record of a cut, its source, transform and crops."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.errors import Refusal
from api.schemas.common import Page


# An enum, not Literal["each"]: a literal of one value is a `const` in the schema, which
# client generators turn into code that cannot run; an enum they generate as a named type.
class PagesMode(StrEnum):
    """`each`: cut every page of a document as its own picture."""

    EACH = "each"


class Source(BaseModel):
    filename: str
    format: str = Field(examples=["jpeg", "pdf"])
    width: int = Field(description="Pixels of the (first) page cut.")
    height: int
    bytes: int
    sha256: str
    pages: int = Field(default=1, description="How many pages the file has.")
    page: int | None = Field(
        default=None,
        description="The page of the file this extraction cut, when every page was cut as "
        "its own picture (`pages=each`).",
    )


class TransformPage(BaseModel):
    """How one page of a document was placed on its reference page."""

    model_config = ConfigDict(extra="allow")

    page: int
    width: int = Field(description="Pixels of the picture the page was cut from.")
    height: int
    method: Literal["scale", "features", "manual"]
    matrix: list[list[float]]


class LocalRefinement(BaseModel):
    """What the mesh that follows a bent page moved, beyond the page's homography."""

    max_shift_px: float = Field(
        ge=0, description="The largest shift anywhere on the page, reference pixels."
    )
    zones_refined: int = Field(
        ge=0, description="Zones whose corners moved by more than half a pixel."
    )


class Transform(BaseModel):
    model_config = ConfigDict(extra="allow")

    method: Literal["scale", "features", "manual"]
    matrix: list[list[float]] = Field(
        description="3x3 row-major homography from reference pixels to picture pixels.",
        examples=[[[0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 1.0]]],
    )
    local: LocalRefinement | None = Field(
        default=None,
        description="What local refinement moved on a page that is not flat; null when "
        "every zone was placed by `matrix` alone.",
    )
    pages: list[TransformPage] | None = Field(
        default=None,
        exclude_if=lambda pages: pages is None,
        description="For a model of several pages: how each page was placed (`matrix` and "
        "the figures above are page 1's).",
    )


class CropRead(BaseModel):
    zone_id: uuid.UUID
    zone_name: str
    folder: str
    page: int = Field(default=1, description="The page it was cut from, from 1.")
    path: str | None = Field(description="Relative to the outputs root; null when not stored.")
    url: str | None
    width: int
    height: int
    bytes: int
    quad: list[list[float]] | None = Field(
        default=None,
        description="Where the zone was cut: its four corners in picture pixels, clockwise "
        "from the zone's top-left.",
        examples=[[[240.0, 1680.0], [1440.0, 1680.0], [1440.0, 2040.0], [240.0, 2040.0]]],
    )
    confidence: float | None = Field(
        default=None, ge=0, le=1, description="How sure the placement is: 1 for `scale`."
    )


class ExtractionRead(BaseModel):
    id: uuid.UUID
    model_id: uuid.UUID | None
    model_name: str
    model_version: int
    created_at: datetime
    duration_ms: int
    stored: bool = True
    created_by: str | None = Field(
        default=None, description="Who asked: a username or `key:<name>`.", examples=["key:scanner"]
    )
    source: Source
    transform: Transform
    crops: list[CropRead]


class ExtractionBatch(BaseModel):
    """The answer to several pictures in one request: every page of a document cut as
    its own picture (`pages=each`), or several `image` parts."""

    items: list[ExtractionRead] = Field(description="The extractions filed, in order.")
    refused: list[Refusal] = Field(
        description="The pages or parts refused, in order; nothing was filed for them."
    )


ExtractionList = Page[ExtractionRead]
