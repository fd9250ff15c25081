"""Reading recorded extractions: one with its crops, or a page of them."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from api import errors
from api.tables import Extraction


def load_extraction(session: Session, extraction_id: uuid.UUID) -> Extraction:
    """One recorded extraction with its crops, or 404."""
    record = session.scalar(
        select(Extraction)
        .where(Extraction.id == extraction_id, Extraction.status == "done")
        .options(selectinload(Extraction.crops))
    )
    if record is None:
        raise errors.NotFound(f"extraction {extraction_id} does not exist")
    return record


def list_extractions(
    session: Session,
    *,
    limit: int,
    offset: int,
    model_id: uuid.UUID | None,
    only: Collection[uuid.UUID] | None = None,
) -> tuple[Sequence[Extraction], int]:
    """A page of extractions, newest first, and the total; ``only`` limits the models."""
    query = select(Extraction).where(Extraction.status == "done")
    count = select(func.count()).select_from(Extraction).where(Extraction.status == "done")
    if only is not None:
        query = query.where(Extraction.model_id.in_(list(only)))
        count = count.where(Extraction.model_id.in_(list(only)))
    if model_id is not None:
        query = query.where(Extraction.model_id == model_id)
        count = count.where(Extraction.model_id == model_id)
    total = session.scalar(count) or 0
    records = session.scalars(
        query.options(selectinload(Extraction.crops))
        .order_by(Extraction.created_at.desc(), Extraction.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return records, total
