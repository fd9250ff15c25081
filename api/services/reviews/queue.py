"""The review queue: items listed and read, discarded, and drawn where the guess puts them
(the overlay kept beside the item's picture, per page and model version)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from api import errors
from api.db import on_commit, session_scope
from api.imaging.geometry import Box
from api.imaging.overlay import Outline, draw_overlay
from api.services import audit, overlays
from api.services.extraction.pipeline import Pipeline
from api.services.models.references import reference_pages
from api.services.uploads import open_upload
from api.storage import FileNotFoundInStorage, Storage
from api.tables import Model, Overlay, Review, utcnow

# The alignment package loads OpenCV, which costs every worker memory at start: the
# functions that fit a homography import it (as api.services.extraction.alignment does).


def load_review(
    session: Session, review_id: uuid.UUID, *, only: Collection[uuid.UUID] | None = None
) -> Review:
    """One review item, or 404; one of a model outside ``only`` (a key's scope) is
    answered exactly as one that does not exist."""
    review = session.get(Review, review_id)
    if review is None or (only is not None and review.model_id not in only):
        raise errors.NotFound(f"review {review_id} does not exist")
    return review


def list_reviews(
    session: Session,
    *,
    limit: int,
    offset: int,
    model_id: uuid.UUID | None,
    status: str | None,
    only: Collection[uuid.UUID] | None = None,
) -> tuple[Sequence[Review], int]:
    """A page of review items, newest first, and the total."""
    query = select(Review)
    if model_id is not None:
        query = query.where(Review.model_id == model_id)
    if status is not None:
        query = query.where(Review.status == status)
    if only is not None:
        query = query.where(Review.model_id.in_(list(only)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Review.created_at.desc(), Review.id).limit(limit).offset(offset)
    ).all()
    return items, total


def check_open(review: Review) -> None:
    if review.status != "open":
        raise errors.Conflict(f"review {review.id} is {review.status} already")


def discard(session: Session, storage: Storage, review: Review, actor: str) -> None:
    """Drop a review item, its picture and its overlays; 409 unless it is open."""
    check_open(review)
    review.status, review.decided_by, review.decided_at = "discarded", actor, utcnow()
    session.flush()  # the item's row is locked: no overlay is kept for it from now on
    audit.record(session, actor, "review.discard", str(review.id))
    kept = [review.picture_path, *overlays.forget_review(session, review.id)]
    on_commit(session, lambda: overlays.remove_files(storage, kept))


def review_model(session: Session, review: Review) -> Model | None:
    if review.model_id is None:
        return None
    model: Model | None = session.scalar(
        select(Model).where(Model.id == review.model_id).options(selectinload(Model.zones))
    )
    return model


def review_overlay(pipeline: Pipeline, review_id: uuid.UUID, page: int) -> bytes:
    """The picture of page ``page`` of a review item with the model's zones outlined where
    the best guess puts them (JPEG): kept beside the picture once drawn for the model's
    version. 404 once the picture is no longer kept, or for a page it does not have."""
    with session_scope(pipeline.sessions) as session:
        review = load_review(session, review_id)
        model = review_model(session, review)
    store = pipeline.reviews
    assert store is not None, "review items are kept in the reviews store"
    pages = [(p.width, p.height) for p in reference_pages(model)] if model is not None else []
    # the page stands for its reference page; a page past the model's, for what was refused
    reference = (
        pages[page - 1] if page <= len(pages) else (review.source_width, review.source_height)
    )

    def draw() -> bytes:
        try:
            data = store.read(review.picture_path)
        except FileNotFoundInStorage as exc:
            raise errors.NotFound(f"the picture of review {review_id} is no longer kept") from exc
        with open_upload(
            data, max_pixels=pipeline.max_pixels, max_pages=pipeline.max_pages
        ) as upload:
            if page > upload.page_count:
                raise errors.NotFound(
                    f"the picture of review {review_id} has {upload.page_count} page(s); "
                    f"there is no page {page}"
                )
            picture = upload.page(page, reference)
        size = (picture.width, picture.height)
        return draw_overlay(picture.image, overlay_outlines(model, review, page, size))

    # the version the zones are drawn from: the model's now (0 once it is deleted)
    version = model.version if model is not None else 0
    overlay = Overlay(
        path=overlays.overlay_path(review.id, page, version),
        review_id=review.id,
        page=page,
        model_version=version,
    )
    return overlays.kept_or_drawn(pipeline.sessions, store, overlay, draw)


def overlay_outlines(
    model: Model | None, review: Review, page: int = 1, size: tuple[int, int] | None = None
) -> list[Outline]:
    """Where the model's zones of ``page`` land on that page of the review's picture (of
    ``size``) by the best guess: the guessed homography when there is one (for a model of
    one page), else the reference page stretched over the whole picture."""
    from api.imaging.align.homography import fit_homography

    if model is None:
        return []
    pages = reference_pages(model)
    if page > len(pages):
        return []
    width, height = size or (review.source_width, review.source_height)
    if review.guess is not None and len(pages) == 1:
        matrix = np.asarray(review.guess, float)
    else:
        reference = rectangle_corners(Box(0, 0, pages[page - 1].width, pages[page - 1].height))
        picture = rectangle_corners(Box(0, 0, width, height))
        matrix = fit_homography(reference, picture)
    return [
        Outline(
            zone.name,
            project(matrix, rectangle_corners(Box(zone.x, zone.y, zone.width, zone.height))),
        )
        for zone in model.zones
        if zone.page == page
    ]


def rectangle_corners(box: Box) -> np.ndarray:
    """A box's corners, clockwise from the top-left."""
    return np.array(
        [[box.x, box.y], [box.right, box.y], [box.right, box.bottom], [box.x, box.bottom]], float
    )


def project(matrix: np.ndarray, points: np.ndarray) -> list[tuple[float, float]]:
    """``points`` mapped through the homography ``matrix``."""
    homogeneous = np.c_[points, np.ones(len(points))] @ matrix.T
    return [(float(x / w), float(y / w)) for x, y, w in homogeneous]
