"""Samples of a model and the check of a zone change against them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import InputModel, Page
from api.schemas.models import ZoneReplace


class SampleCrop(BaseModel):
    """What one zone gave the sample when it was added."""

    zone_id: uuid.UUID
    zone_name: str
    page: int
    x: int = Field(description="The zone's box then, in reference pixels.")
    y: int
    width: int
    height: int
    crop_width: int = Field(description="The crop's size in the sample's pixels.")
    crop_height: int
    sha256: str = Field(description="SHA-256 of the crop's pixels, mode and size.")
    thumbnail_url: str = Field(description="A small JPEG of the crop.")


class SampleRead(BaseModel):
    """A picture kept with a model, cut again whenever its zones are about to change."""

    id: uuid.UUID
    model_id: uuid.UUID
    filename: str
    format: str = Field(examples=["jpeg"])
    width: int = Field(description="Pixels of page 1 as it is cut, after EXIF orientation.")
    height: int
    pages: int
    bytes: int
    sha256: str
    model_version: int = Field(description="The model's version when the sample was added.")
    extraction_id: uuid.UUID | None = Field(
        description="The extraction whose kept picture the sample was added from, if any."
    )
    created_by: str | None
    created_at: datetime
    thumbnail_url: str = Field(description="A small JPEG of page 1.")
    crops: list[SampleCrop] = Field(description="Each zone's crop when the sample was added.")


SampleList = Page[SampleRead]


class SampleCheckRequest(InputModel):
    """Zones to try on the samples, in the shape `PUT /models/{model_id}/zones` takes;
    nothing is saved."""

    zones: list[ZoneReplace] | None = Field(
        default=None,
        description="The proposed zones; a zone keeps its `id` to be compared with the saved "
        "one, a zone without one is new. Left out: the saved zones.",
    )


class CropPreview(BaseModel):
    """One side of a zone's comparison: the box cut, and a small JPEG of the crop."""

    page: int
    x: int = Field(description="The box in reference pixels.")
    y: int
    width: int
    height: int
    crop_width: int | None = Field(description="The crop's size, when it was cut for the check.")
    crop_height: int | None
    url: str = Field(description="A small JPEG of the crop, cut now.")


ZoneStatus = Literal["new", "removed", "unchanged", "moved", "changed", "refused"]


class ZoneDiff(BaseModel):
    """How one zone fares on one sample."""

    zone_id: uuid.UUID | None = Field(description="Null for a proposed zone not saved yet.")
    index: int | None = Field(
        description="Its position among the proposed zones, from 0; null for a removed zone."
    )
    name: str
    status: ZoneStatus = Field(
        description="`new` / `removed` (by zone id); `unchanged` when under 0.5 % of the "
        "pixels differ; `moved` when it kept its size and shows other pixels; `changed` when "
        "resized; `refused` when it cannot be cut."
    )
    changed_share: float | None = Field(
        description="The share (0-1) of pixels that differ between the two crops, where both "
        "reach; null when the zone was not compared."
    )
    before: CropPreview | None = Field(description="The saved zone's crop.")
    after: CropPreview | None = Field(description="The proposed zone's crop.")
    detail: str | None = Field(description="Why it was refused.")


class SampleDiff(BaseModel):
    """How one sample fares: `unchanged` when every zone is."""

    sample_id: uuid.UUID
    filename: str
    thumbnail_url: str
    status: Literal["unchanged", "changed", "refused"]
    detail: str | None = Field(description="Why the sample was refused.")
    zones: list[ZoneDiff]


class SampleCheck(BaseModel):
    """Every sample cut now with the saved zones and with the proposed ones."""

    model_id: uuid.UUID
    model_version: int = Field(description="The saved version the proposal was compared with.")
    proposed: bool = Field(description="Whether zones were proposed (else the saved ones).")
    unchanged: int = Field(description="Samples whose every zone is unchanged.")
    changed: int
    refused: int
    samples: list[SampleDiff]
