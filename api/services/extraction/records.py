"""Reading recorded extractions: one with its crops, or a page of them; the overlay of
where its zones were cut."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from api import errors
from api.imaging.documents import Size
from api.imaging.overlay import Outline, draw_overlay
from api.services import overlays
from api.services.extraction.pipeline import Pipeline
from api.services.uploads import open_upload
from api.storage import FileNotFoundInStorage
from api.tables import Extraction, Overlay


def load_extraction(
    session: Session, extraction_id: uuid.UUID, *, only: Collection[uuid.UUID] | None = None
) -> Extraction:
    """One recorded extraction with its crops, or 404; one of a model outside ``only`` (a
    key's scope) is answered exactly as one that does not exist."""
    query = select(Extraction).where(Extraction.id == extraction_id, Extraction.status == "done")
    if only is not None:
        query = query.where(Extraction.model_id.in_(list(only)))
    record = session.scalar(query.options(selectinload(Extraction.crops)))
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


def extraction_overlay(pipeline: Pipeline, record: Extraction, page: int) -> bytes:
    """The picture of page ``page`` of an extraction with every zone outlined where it was
    cut (JPEG): kept beside the picture once drawn. 404 for a page it did not cut, 410
    once its picture is no longer kept."""
    size = _cut_size(record, page)
    days = pipeline.keep_sources.days
    gone = errors.Gone(
        f"the picture of extraction {record.id} is no longer kept "
        f"(pictures are kept {days} days: ZONECUT_KEEP_SOURCES_DAYS)"
    )
    source, store = record.source_path, pipeline.sources
    if source is None or store is None:
        raise gone
    outlines = [
        Outline(crop.zone_name, crop.quad)
        for crop in record.crops
        if crop.quad is not None and crop.page == page
    ]

    def draw() -> bytes:
        try:
            data = store.read(source)
        except FileNotFoundInStorage as exc:
            raise gone from exc
        with open_upload(
            data, max_pixels=pipeline.max_pixels, max_pages=pipeline.max_pages
        ) as upload:
            # a page cut as its own picture is kept alone
            picture = upload.page(page if upload.page_count > 1 else 1, size)
        return draw_overlay(picture.image, outlines)

    overlay = Overlay(
        path=overlays.overlay_path(record.id, page, record.model_version),
        extraction_id=record.id,
        page=page,
        model_version=record.model_version,
    )
    return overlays.kept_or_drawn(pipeline.sessions, store, overlay, draw)


def _cut_size(record: Extraction, page: int) -> Size:
    """The size in pixels page ``page`` was cut at (a document renders at it again)."""
    pages = record.transform.get("pages")
    if not isinstance(pages, list):
        if page != 1:
            raise errors.NotFound(f"extraction {record.id} cut one page; there is no page {page}")
        return record.source_width, record.source_height
    for entry in pages:
        if isinstance(entry, dict) and entry.get("page") == page:
            return int(entry["width"]), int(entry["height"])
    raise errors.NotFound(f"extraction {record.id} cut {len(pages)} pages; there is no page {page}")
