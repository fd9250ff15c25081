"""The review queue: items listed and read, discarded, and drawn where the guess puts them."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Collection, Sequence

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from api import errors
from api.db import on_commit
from api.imaging.align.homography import fit_homography
from api.imaging.geometry import Box
from api.imaging.overlay import Outline
from api.services import audit
from api.services.models.references import reference_pages
from api.storage import FileNotFoundInStorage, Storage
from api.tables import Model, Review, utcnow


def load_review(session: Session, review_id: uuid.UUID) -> Review:
    """One review item, or 404."""
    review = session.get(Review, review_id)
    if review is None:
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
    """Drop a review item and its picture; 409 unless it is open."""
    check_open(review)
    review.status, review.decided_by, review.decided_at = "discarded", actor, utcnow()
    audit.record(session, actor, "review.discard", str(review.id))
    path = review.picture_path

    def remove() -> None:
        with contextlib.suppress(FileNotFoundInStorage):
            storage.delete(path)

    on_commit(session, remove)


def review_model(session: Session, review: Review) -> Model | None:
    if review.model_id is None:
        return None
    model: Model | None = session.scalar(
        select(Model).where(Model.id == review.model_id).options(selectinload(Model.zones))
    )
    return model


def page_size(session: Session, review: Review, page: int) -> tuple[int, int]:
    """The size of the reference page a page of the review's document stands for (it
    renders at its width, at most twice its pixels); past the model's pages, the picture
    as it was refused."""
    model = review_model(session, review)
    pages = reference_pages(model) if model is not None else []
    if page <= len(pages):
        return pages[page - 1].width, pages[page - 1].height
    return review.source_width, review.source_height


def overlay_outlines(
    session: Session, review: Review, page: int = 1, size: tuple[int, int] | None = None
) -> list[Outline]:
    """Where the model's zones of ``page`` land on that page of the review's picture (of
    ``size``) by the best guess: the guessed homography when there is one (for a model of
    one page), else the reference page stretched over the whole picture."""
    model = review_model(session, review)
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
