"""Jobs: cutting asked for with `Prefer: respond-async`, their progress and their pages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.errors import Refusal
from api.schemas.common import Page
from api.schemas.extraction import ExtractionRead

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]


class JobProgress(BaseModel):
    done: int = Field(ge=0, description="Pages (or parts) cut or refused so far.")
    total: int | None = Field(
        default=None,
        ge=0,
        description="Pages (or parts) to cut in all; null until a worker has counted the "
        "pages of the documents.",
    )


class JobRead(BaseModel):
    """A job: what it cuts, how far it is, and where its pages are listed."""

    id: uuid.UUID
    status: JobStatus = Field(
        description="`queued` until a worker takes it up, `running`, then `done` (every page "
        "cut or refused), `failed` (see `error`) or `cancelled`."
    )
    model_id: uuid.UUID | None
    model_name: str
    progress: JobProgress
    filed: int = Field(ge=0, description="Pages (or parts) filed as extractions.")
    refused: int = Field(ge=0, description="Pages (or parts) refused (see `items_url`).")
    parts: int = Field(ge=1, description="Files uploaded.")
    filename: str = Field(description="The first file's name.", examples=["scan-2024-05-17.pdf"])
    error: str | None = Field(default=None, description="Why a failed job failed.")
    created_by: str = Field(examples=["key:scanner"])
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    items_url: str = Field(examples=["/api/v1/jobs/0b9d…/items"])


class JobItem(BaseModel):
    """One page (with `pages=each`) or part of a job: its extraction, or its refusal
    (kept for review like any refused picture, when the model says so)."""

    part: int = Field(ge=1, description="The uploaded file, from 1.")
    page: int | None = Field(
        default=None, description="The page of the file, from 1 (`pages=each`)."
    )
    status: Literal["filed", "refused"]
    extraction: ExtractionRead | None = None
    refusal: Refusal | None = None


JobList = Page[JobRead]
JobItemList = Page[JobItem]
