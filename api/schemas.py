"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.errors import Refusal

Alignment = Literal["scale", "features"]
OutputFormat = Literal["png", "jpeg", "webp"]
OnRefusal = Literal["review", "reject"]
OnRefusalField = Annotated[
    OnRefusal,
    Field(
        description="What happens to a picture refused as not matching: `review` keeps it "
        "for a person to place the zones by hand, `reject` only answers 422."
    ),
]
Point = Annotated[list[float], Field(min_length=2, max_length=2)]
Corners = Annotated[list[Point], Field(min_length=4, max_length=4)]

# Generous absolute bounds so that the schema states them; the tighter, configurable
# MAX_COORDINATE setting is checked by the service.
Coordinate = Annotated[int, Field(ge=0, le=10_000_000)]
Extent = Annotated[int, Field(ge=1, le=10_000_000)]
ZoneName = Annotated[str, Field(min_length=1, max_length=100, examples=["signature"])]
FolderPath = Annotated[str, Field(min_length=1, max_length=1279, examples=["signatures"])]
ModelName = Annotated[str, Field(min_length=1, max_length=200, examples=["Invoice A4"])]
PageNumber = Annotated[
    int, Field(ge=1, le=10_000, description="A page of the model's reference, from 1.")
]

T = TypeVar("T")
MAX_OFFSET = 1_000_000_000


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int = Field(ge=0, description="Number of items across all pages.")
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok"] = "ok"
    database: Literal["ok"] = "ok"
    storage: Literal["ok"] = "ok"


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
    alignment: Alignment
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
    alignment: Alignment
    zone_count: int
    image: ImageInfo
    created_at: datetime
    updated_at: datetime


class ModelUpdate(InputModel):
    """Fields of a model to change; the others stay."""

    name: ModelName | None = None
    description: str | None = Field(default=None, max_length=5000)
    alignment: Alignment | None = None
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
    alignment: Alignment = "scale"
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


class FolderRead(BaseModel):
    path: str = Field(examples=["invoices/totals"])
    file_count: int
    bytes: int
    url: str = Field(description="The folder's files.")


class FileRead(BaseModel):
    path: str = Field(examples=["signatures/scan-0042_signature.png"])
    name: str
    folder: str
    bytes: int
    created_at: datetime
    url: str


Role = Literal["operator", "editor", "admin"]
RoleField = Annotated[
    Role,
    Field(
        description="operator: read models, cut, read results; editor: also change models and "
        "zones, delete files; admin: also users, API keys and the audit log."
    ),
]
Username = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[\w.@+-]+$",
        description="Letters, digits and `. @ + - _`; case does not matter at sign-in.",
        examples=["ada"],
    ),
]
Password = Annotated[
    str,
    Field(
        min_length=8,
        max_length=1024,
        description="At least 8 characters.",
        examples=["a long passphrase"],
    ),
]


class LoginRequest(InputModel):
    username: Annotated[str, Field(min_length=1, max_length=200, examples=["ada"])]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class SetupRequest(InputModel):
    token: Annotated[str, Field(min_length=1, max_length=200, description="From the setup link.")]
    username: Username
    password: Password


class Me(BaseModel):
    """Who the credentials of this request belong to."""

    kind: Literal["user", "api_key"]
    name: str = Field(examples=["ada"])
    role: Role
    models: list[uuid.UUID] | None = Field(
        default=None, description="For an API key limited to some models: those models."
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(InputModel):
    username: Username
    password: Password
    role: RoleField = "operator"


class UserUpdate(InputModel):
    """Fields of a user to change; a new password or disabling signs the user out everywhere."""

    username: Username | None = None
    password: Password | None = None
    role: RoleField | None = None
    disabled: bool | None = None


class ApiKeyRead(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    models: list[uuid.UUID] | None = Field(description="Models the key may use; null for all.")
    prefix: str = Field(description="The secret's first characters, to recognise it.")
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(description="The key itself: shown in this answer only, never again.")


class ApiKeyCreate(InputModel):
    name: Annotated[str, Field(min_length=1, max_length=100, examples=["scanner-2"])]
    role: RoleField = "operator"
    models: list[uuid.UUID] | None = Field(
        default=None,
        max_length=1000,
        description="Limit the key to these models (read them, cut with them); null for all.",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the key stops working (with a time zone)."
    )


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str = Field(examples=["ada", "key:scanner"])
    action: str = Field(examples=["model.update"])
    target: str | None
    detail: dict[str, Any]


ReviewStatus = Literal["open", "resolved", "discarded"]


class ReviewRead(BaseModel):
    """A refused picture waiting for, or given, a person's placement."""

    id: uuid.UUID
    model_id: uuid.UUID | None = Field(description="Null once the model was deleted.")
    model_name: str
    model_version: int = Field(description="The model's version when the picture came.")
    status: ReviewStatus
    reason: str = Field(
        description="The refusal's problem type.", examples=["picture-does-not-match"]
    )
    detail: str
    figures: dict[str, float] | None
    guess: list[list[float]] | None = Field(
        description="The best guess of the reference-to-picture homography, if any."
    )
    source: Source
    picture_url: str
    created_by: str | None
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    extraction_id: uuid.UUID | None = Field(description="The extraction made by resolving.")


class ReviewResolve(InputModel):
    """Where the zones are, as a person sees them: give exactly one of the three."""

    corners: Corners | None = Field(
        default=None,
        description="The reference picture's corners (top-left, top-right, bottom-right, "
        "bottom-left) in picture pixels.",
        examples=[[[40, 30], [1210, 55], [1190, 900], [20, 870]]],
    )
    quads: dict[uuid.UUID, Corners] | None = Field(
        default=None,
        description="For every zone of the model as it is now: its four corners in picture "
        "pixels, clockwise from the zone's top-left.",
    )
    pages: dict[PageNumber, Corners] | None = Field(
        default=None,
        description="For a model of several pages: every page's reference corners in that "
        "page of the document, by page number (as `corners` gives them for one page).",
        examples=[{"1": [[40, 30], [1210, 55], [1190, 900], [20, 870]]}],
    )


ModelList = Page[ModelSummary]
ExtractionList = Page[ExtractionRead]
FolderList = Page[FolderRead]
FileList = Page[FileRead]
UserList = Page[UserRead]
ApiKeyList = Page[ApiKeyRead]
AuditList = Page[AuditEventRead]
ReviewList = Page[ReviewRead]
