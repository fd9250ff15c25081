"""The review queue: refused pictures and how a person places them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Corners, InputModel, Page, PageNumber
from api.schemas.extraction import Source

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


ReviewList = Page[ReviewRead]
