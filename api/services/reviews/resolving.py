"""Resolving a review item: the picture placed by hand, then cut like any other.

A review item is made by the extraction pipeline (:mod:`api.services.extraction.refusals`). A
person resolves it with the reference's four corners in the picture (one homography for
the page; for a document, each page's corners) or with one quad per zone (one homography
per zone); the crops are then cut, filed and recorded exactly as an extraction's, with
``transform.method: "manual"``.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from api import errors
from api.db import session_scope
from api.imaging.decode import Picture
from api.imaging.geometry import Box, Matrix
from api.services import audit, overlays
from api.services.extraction import alignment
from api.services.extraction.pipeline import (
    ExtractionOutcome,
    ExtractRequest,
    ModelSnapshot,
    Pipeline,
    PlacedPage,
    Placement,
    Quad,
    SourceFacts,
    ZonePlacer,
)
from api.services.extraction.run import cut_and_file_pages
from api.services.reviews.queue import (
    check_open,
    load_review,
    project,
    rectangle_corners,
)
from api.services.uploads import check_request_pixels, open_upload
from api.storage import Storage
from api.tables import Model, Review, utcnow

# The alignment package loads OpenCV, which costs every worker memory at start: the
# functions that fit a homography import it (as api.services.extraction.alignment does).


@dataclass(frozen=True)
class Placing:
    """A person's placement: the page's corners, each page's corners by page number, or
    one quad per zone id."""

    corners: Quad | None = None
    quads: dict[uuid.UUID, Quad] | None = None
    pages: dict[int, Quad] | None = None


def resolve(
    pipeline: Pipeline, storage: Storage, review_id: uuid.UUID, placing: Placing, actor: str
) -> ExtractionOutcome:
    """Cut the kept picture where the person placed the zones; 201 extraction or 409."""
    started = time.perf_counter()
    with session_scope(pipeline.sessions) as session:
        review = load_review(session, review_id)
        check_open(review)
        if review.model_id is None:
            raise errors.Conflict(f"the model of review {review_id} was deleted")
        model_row = session.scalar(
            select(Model).where(Model.id == review.model_id).options(selectinload(Model.zones))
        )
        if model_row is None:
            raise errors.Conflict(f"the model of review {review_id} was deleted")
        model = ModelSnapshot.of(model_row)
        # Claim the item first, so two people resolving at once cannot both file crops; the
        # claim is this instance's while it lives (its item reopened if it dies).
        claimed = session.execute(
            update(Review)
            .where(Review.id == review_id, Review.status == "open")
            .values(
                status="resolved", decided_by=actor, decided_at=utcnow(), holder=pipeline.holder
            )
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise errors.Conflict(f"review {review_id} was decided a moment ago")
        source = (review.source_filename, review.picture_path)
    try:
        data = storage.read(source[1])
        with open_upload(
            data, max_pixels=pipeline.max_pixels, max_pages=pipeline.max_pages
        ) as upload:
            if upload.page_count != model.page_count:
                raise errors.Conflict(
                    f"the picture of review {review_id} has {upload.page_count} page(s) but "
                    f"model '{model.name}' now has {model.page_count}"
                )
            check_request_pixels(
                upload.pixels(model.page_sizes), upload.page_count, pipeline.max_request_pixels
            )
            pictures = upload.pages(model.page_sizes)
            facts = SourceFacts(
                filename=source[0],
                format=upload.format,
                width=pictures[0].width,
                height=pictures[0].height,
                bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                pages=upload.page_count,
            )
        placed = _manual_pages(model, pictures, placing)
        request = ExtractRequest(
            model=str(model.id), filename=source[0], data=data, created_by=actor
        )
        outcome = cut_and_file_pages(pipeline, request, model, placed, facts, started)
    except BaseException:
        with session_scope(pipeline.sessions) as session:
            session.execute(
                update(Review)
                .where(Review.id == review_id)
                .values(status="open", decided_by=None, decided_at=None, holder=None)
            )
        raise
    with session_scope(pipeline.sessions) as session:
        session.execute(
            update(Review)
            .where(Review.id == review_id)
            .values(extraction_id=outcome.record.id, holder=None)
        )
        kept = overlays.forget_review(session, review_id)
        if pipeline.events is not None:
            pipeline.events.review_resolved(session, review_id, outcome.record.id, actor)
    # The picture lives on as the extraction's kept source; the review's copy can go, and
    # the overlays drawn on it.
    overlays.remove_files(storage, [source[1], *kept])
    with session_scope(pipeline.sessions) as session:
        audit.record(
            session, actor, "review.resolve", str(review_id), {"extraction": str(outcome.record.id)}
        )
    return outcome


def _manual_pages(
    model: ModelSnapshot, pictures: list[Picture], placing: Placing
) -> list[PlacedPage]:
    """Every page's placer from a person's placement."""
    if model.page_count == 1:
        if placing.pages is not None:
            placing = Placing(corners=_page_corners(placing.pages, 1))
        return [PlacedPage(1, pictures[0], _manual_placer(model, pictures[0].image, placing))]
    if placing.corners is not None:
        raise errors.validation_failed(
            [
                errors.FieldError(
                    field="corners",
                    message=f"the model has {model.page_count} pages: give each page's "
                    "corners in pages",
                )
            ]
        )
    if placing.quads is not None:
        _check_quads(model, placing.quads)
    placed = []
    for number, picture in enumerate(pictures, start=1):
        page = model.page(number)
        if placing.pages is not None:
            per_page = Placing(corners=_page_corners(placing.pages, number))
        elif page.zones:
            quads = placing.quads or {}
            per_page = Placing(quads={zone.id: quads[zone.id] for zone in page.zones})
        else:  # nothing to cut on this page: the reference laid over the whole picture
            whole = rectangle_corners(Box(0, 0, picture.width, picture.height))
            per_page = Placing(corners=whole.tolist())
        placed.append(PlacedPage(number, picture, _manual_placer(page, picture.image, per_page)))
    return placed


def _page_corners(pages: dict[int, Quad], number: int) -> Quad:
    if number not in pages:
        raise errors.validation_failed(
            [errors.FieldError(field="pages", message=f"page {number} has no corners")]
        )
    return pages[number]


def _check_quads(model: ModelSnapshot, quads: dict[uuid.UUID, Quad]) -> None:
    zone_ids = {zone.id for zone in model.zones}
    missing = [str(z) for z in zone_ids - set(quads)]
    unknown = [str(z) for z in set(quads) - zone_ids]
    problems = []
    if missing:
        problems.append(f"every zone of the model needs a quad; missing: {', '.join(missing)}")
    if unknown:
        problems.append(f"not zones of the model: {', '.join(unknown)}")
    if problems:
        raise errors.validation_failed(
            [errors.FieldError(field="quads", message="; ".join(problems))]
        )


def _manual_placer(model: ModelSnapshot, picture: Image.Image, placing: Placing) -> ZonePlacer:
    from api.imaging.align.homography import fit_homography

    width, height = model.reference_size
    if (placing.corners is None) == (placing.quads is None):
        raise errors.validation_failed(
            [errors.FieldError(field="body", message="give exactly one of corners or quads")]
        )
    if placing.corners is not None:
        page = _fit("corners", rectangle_corners(Box(0, 0, width, height)), placing.corners)
        per_zone = {zone.id: page for zone in model.zones}
    else:
        quads = placing.quads or {}
        _check_quads(model, quads)
        per_zone = {
            zone.id: _fit(f"quads.{zone.id}", rectangle_corners(zone.box), quads[zone.id])
            for zone in model.zones
        }
        source = np.concatenate([rectangle_corners(zone.box) for zone in model.zones])
        target = np.concatenate([np.asarray(quads[zone.id], float) for zone in model.zones])
        page = fit_homography(source, target)
    boxes = {zone.box: zone.id for zone in model.zones}

    def place(box: Box) -> Placement:
        matrix = per_zone[boxes[box]]
        quad = project(matrix, rectangle_corners(box))
        return Placement([[round(x, 2), round(y, 2)] for x, y in quad], 1.0)

    def cut(box: Box) -> np.ndarray:
        return np.asarray(alignment.cut(picture, _as_matrix(per_zone[boxes[box]]), box))

    transform: dict[str, Any] = {"method": "manual", "matrix": page.tolist(), "local": None}
    icc_profile = picture.info.get("icc_profile") or None
    return ZonePlacer(transform, place, cut, icc_profile)


def _fit(field: str, source: np.ndarray, quad: Quad) -> np.ndarray:
    from api.imaging.align.homography import fit_homography

    target = np.asarray(quad, float)
    if not _convex_clockwise(target):
        raise errors.validation_failed(
            [
                errors.FieldError(
                    field=field,
                    message="the four corners must make a convex quad, clockwise from the "
                    "top-left (in picture pixels, y down)",
                )
            ]
        )
    try:
        return fit_homography(source, target)
    except ValueError as exc:
        raise errors.validation_failed([errors.FieldError(field=field, message=str(exc))]) from exc


def _convex_clockwise(quad: np.ndarray) -> bool:
    crosses = []
    for i in range(4):
        a, b, c = quad[i], quad[(i + 1) % 4], quad[(i + 2) % 4]
        crosses.append((b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]))
    return all(cross > 0 for cross in crosses)  # clockwise on screen (y grows downwards)


def _as_matrix(matrix: np.ndarray) -> Matrix:
    rows = [(float(r[0]), float(r[1]), float(r[2])) for r in matrix.tolist()]
    return (rows[0], rows[1], rows[2])
