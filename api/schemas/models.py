"""Models, their zones and reference pictures: what comes in and what goes out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.imaging.encode import OutputFormat
from api.imaging.suggest.results import Kind as SuggestionKind
from api.schemas.common import (
    AlignmentMethod,
    Coordinate,
    Extent,
    FolderPath,
    InputModel,
    ModelName,
    OnRefusal,
    OnRefusalField,
    Page,
    PageNumber,
    ZoneName,
)
from api.services.models.rules import ZoneSpec


class ZoneCreate(InputModel):
    """A zone to add: a rectangle in reference-picture pixels and where its crops go."""

    name: ZoneName
    folder: FolderPath
    page: PageNumber | None = Field(
        default=None,
        description="The page of the reference it is drawn on, from 1. Left out: page 1, "
        "or in a replacement the zone's page so far.",
    )
    x: Coordinate = Field(examples=[120])
    y: Coordinate = Field(examples=[840])
    width: Extent = Field(examples=[600])
    height: Extent = Field(examples=[180])

    def spec(self) -> ZoneSpec:
        """The zone as the service takes it."""
        return ZoneSpec(
            name=self.name,
            folder=self.folder,
            x=self.x,
            y=self.y,
            width=self.width,
            height=self.height,
            page=self.page,
            id=getattr(self, "id", None),
        )


class ZoneReplace(ZoneCreate):
    """A zone in a full replacement; give the ``id`` of an existing zone to keep it."""

    id: uuid.UUID | None = None


class ZoneUpdate(InputModel):
    """Fields of a zone to change; the others stay."""

    name: ZoneName | None = None
    folder: FolderPath | None = None
    page: PageNumber | None = None
    x: Coordinate | None = None
    y: Coordinate | None = None
    width: Extent | None = None
    height: Extent | None = None


class ZoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    folder: str
    page: int = Field(description="The page of the reference the zone is drawn on, from 1.")
    x: int
    y: int
    width: int
    height: int


class ZonesReplace(InputModel):
    """All zones of a model, in order; replaces the previous list at once."""

    zones: list[ZoneReplace] = Field(
        examples=[
            [
                {
                    "name": "signature",
                    "folder": "signatures",
                    "x": 120,
                    "y": 840,
                    "width": 600,
                    "height": 180,
                },
                {
                    "name": "total",
                    "folder": "invoices/totals",
                    "x": 900,
                    "y": 1300,
                    "width": 400,
                    "height": 90,
                },
            ]
        ]
    )


class ImagePage(BaseModel):
    """One page of a model's reference."""

    page: int = Field(examples=[1])
    width: int = Field(description="Pixels, after EXIF orientation.")
    height: int
    url: str = Field(examples=["/api/v1/models/5f0c.../image?page=2"])


class ImageInfo(BaseModel):
    """The reference picture: its first page, and the size of every page."""

    width: int = Field(description="Pixels of page 1, after EXIF orientation.")
    height: int
    format: str = Field(examples=["jpeg"])
    bytes: int
    sha256: str
    url: str = Field(examples=["/api/v1/models/5f0c.../image"])
    pages: list[ImagePage] = Field(
        description="Every page of the reference, page 1 first (one for a picture; a PDF "
        "reference is rendered at 200 dpi)."
    )


class ModelRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    version: int = Field(description="Grows on every change; the ETag is this number.")
    alignment: AlignmentMethod
    on_refusal: OnRefusalField
    output_format: OutputFormat
    output_quality: int
    filename_template: str
    image: ImageInfo
    zones: list[ZoneRead]
    created_at: datetime
    updated_at: datetime


class ModelSummary(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    version: int
    alignment: AlignmentMethod
    zone_count: int
    image: ImageInfo
    created_at: datetime
    updated_at: datetime


class ModelUpdate(InputModel):
    """Fields of a model to change; the others stay."""

    name: ModelName | None = None
    description: str | None = Field(default=None, max_length=5000)
    alignment: AlignmentMethod | None = None
    on_refusal: OnRefusalField | None = None
    output_format: OutputFormat | None = None
    output_quality: int | None = Field(default=None, ge=1, le=100)
    filename_template: str | None = Field(
        default=None, min_length=1, max_length=200, examples=["{date}_{source}_{zone}"]
    )


class ExportedImage(BaseModel):
    format: str
    data_base64: str


class ModelExport(BaseModel):
    """A model as one portable document, reference picture included."""

    model_config = ConfigDict(extra="forbid")

    zonecut_export: Literal[1] = 1
    name: ModelName
    description: str = Field(default="", max_length=5000)
    alignment: AlignmentMethod = "scale"
    on_refusal: OnRefusal = "review"
    output_format: OutputFormat = "png"
    output_quality: int = Field(default=90, ge=1, le=100)
    filename_template: str = Field(default="{source}_{zone}", min_length=1, max_length=200)
    zones: list[ZoneCreate] = Field(default_factory=list)
    image: ExportedImage
    pages: list[ExportedImage] = Field(
        default_factory=list,
        max_length=10_000,
        description="The reference's further pages (2, 3, …), for a model of several pages.",
    )


ImportFormat = Literal["zonecut", "via", "label-studio", "coco", "cvat", "tabula"]


class ImportRenamed(BaseModel):
    """A zone name or folder that is not the label the file gave it."""

    model_config = ConfigDict(populate_by_name=True)

    field: Literal["name", "folder"]
    original: str = Field(alias="from", description="The label as the file gives it.")
    given: str = Field(alias="to", description="The zone's name or folder.")
    reason: str


class ImportClipped(BaseModel):
    """A zone cut back to the edges of its page."""

    zone: str = Field(description="The zone's name.")
    reason: str


class ImportSkipped(BaseModel):
    """A shape of the file that did not become a zone."""

    label: str = Field(description="Its label in the file (empty when it has none).")
    reason: str


class ImportReport(BaseModel):
    """What an import made of the file."""

    format: ImportFormat = Field(
        description="`zonecut` for a Zonecut export, else the tool the file came from."
    )
    picture: str | None = Field(
        description="The picture of the file whose rectangles became the zones, as the file "
        "names it (null for a Zonecut export or a Tabula template)."
    )
    label_source: str | None = Field(
        description="What the zone names were read from, e.g. \"region attribute 'name'\"."
    )
    renamed: list[ImportRenamed]
    clipped: list[ImportClipped]
    skipped: list[ImportSkipped]
    notes: list[str] = Field(description="Anything else worth knowing, in sentences.")


class ModelImported(ModelRead):
    """The model made by an import, and what the import made of the file."""

    import_report: ImportReport


ModelList = Page[ModelSummary]


class SuggestedZone(BaseModel):
    """A zone suggested on a reference page: the inside of a printed frame, in pixels of
    the page."""

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    kind: SuggestionKind = Field(
        description="`box`; `cell`, a box sharing a side with another (a table's); `frame`, "
        "a box holding others (such as the header's); `checkbox`; `underline`, the room "
        "above a rule to write on."
    )
    score: float = Field(ge=0, le=1, description="How cleanly its printed sides were found.")


class PrintedLine(BaseModel):
    """A printed stroke: its centre line from (x1, y1) to (x2, y2) and its thickness, in
    pixels of the page (pixel edges: a stroke over rows 10 and 11 is centred at y = 11)."""

    x1: float
    y1: float
    x2: float
    y2: float
    thickness: float = Field(gt=0)


class ZoneSuggestions(BaseModel):
    """What the editor suggests on one page of a model's reference."""

    items: list[SuggestedZone] = Field(
        description="Every suggestion, best first, whatever zones the model has already."
    )
    lines: list[PrintedLine] = Field(description="The printed lines drawn edges snap to.")
