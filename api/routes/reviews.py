"""The review queue: refused pictures a person places by hand."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from api import errors
from api.db import SessionDep
from api.edge.access import Editor, Reader
from api.edge.deps import PipelineDep, ReviewsDep
from api.edge.presenters import API_PREFIX, content_disposition, extraction_read, review_read
from api.edge.problems import problem_responses
from api.schemas.common import MAX_OFFSET
from api.schemas.extraction import ExtractionRead
from api.schemas.reviews import ReviewList, ReviewRead, ReviewResolve
from api.services.reviews import queue, resolving
from api.services.uploads import KEPT_EXTENSIONS
from api.storage import FileNotFoundInStorage
from api.tables import Review

router = APIRouter(prefix="/reviews", tags=["reviews"])

ReviewId = Annotated[uuid.UUID, Path(description="The review item's id.")]
PICTURE_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "tiff": "image/tiff",
    "pdf": "application/pdf",
}


def _load(session: SessionDep, reader: Reader, review_id: uuid.UUID) -> Review:
    """The review item, or 404: also for one of a model outside the caller's scope."""
    return queue.load_review(session, review_id, only=reader.models)


@router.get(
    "",
    operation_id="listReviews",
    summary="List review items",
    description="Pictures refused as not matching their model and kept for a person, "
    "newest first; filter by `model_id` and `status`.",
    responses=problem_responses(),
)
def list_reviews(
    reader: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    model_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[Literal["open", "resolved", "discarded"] | None, Query()] = None,
) -> ReviewList:
    items, total = queue.list_reviews(
        session, limit=limit, offset=offset, model_id=model_id, status=status, only=reader.models
    )
    return ReviewList(
        items=[review_read(r) for r in items], total=total, limit=limit, offset=offset
    )


@router.get(
    "/{review_id:uuid}",
    operation_id="getReview",
    summary="Get a review item",
    description="One review item: the model and version, the reason and figures, the best "
    "guess if any, who posted the picture and when.",
    responses=problem_responses(errors.NotFound),
)
def get_review(reader: Reader, session: SessionDep, review_id: ReviewId) -> ReviewRead:
    return review_read(_load(session, reader, review_id))


@router.get(
    "/{review_id:uuid}/picture",
    operation_id="getReviewPicture",
    summary="Get a review item's picture",
    description="The refused picture, as it was posted.",
    response_class=Response,
    responses=problem_responses(
        errors.NotFound,
        success={200: {"content": {media: {} for media in PICTURE_TYPES.values()}}},
    ),
)
def get_review_picture(
    reader: Reader, session: SessionDep, storage: ReviewsDep, review_id: ReviewId
) -> Response:
    review = _load(session, reader, review_id)
    try:
        data = storage.read(review.picture_path)
    except FileNotFoundInStorage as exc:
        raise errors.NotFound(f"the picture of review {review_id} is no longer kept") from exc
    media = PICTURE_TYPES.get(review.source_format, "application/octet-stream")
    name = f"review-{review_id}.{KEPT_EXTENSIONS.get(review.source_format, 'bin')}"
    return Response(
        data, media_type=media, headers={"Content-Disposition": content_disposition(name, "inline")}
    )


@router.get(
    "/{review_id:uuid}/overlay",
    operation_id="getReviewOverlay",
    summary="See the best guess of a review item",
    description="The refused picture, longest side at most 1600 px, with the model's zones "
    "outlined and named where the best guess puts them (the guessed homography, else the "
    "reference stretched over the picture); JPEG. `page` picks a page of a document. Drawn "
    "once for each version of the model and kept with the picture.",
    response_class=Response,
    responses=problem_responses(errors.NotFound, success={200: {"content": {"image/jpeg": {}}}}),
)
def get_review_overlay(
    reader: Reader,
    session: SessionDep,
    pipeline: PipelineDep,
    review_id: ReviewId,
    page: Annotated[int, Query(ge=1, le=10_000, description="The page, from 1.")] = 1,
) -> Response:
    _load(session, reader, review_id)
    session.commit()  # no transaction is held while the picture is drawn
    return Response(queue.review_overlay(pipeline, review_id, page), media_type="image/jpeg")


@router.post(
    "/{review_id:uuid}/resolve",
    status_code=201,
    operation_id="resolveReview",
    summary="Cut a review item by hand",
    description="Places the zones as a person sees them — the reference's four corners in "
    "the picture (`pages`: each page's, for a model of several pages), or one quad per zone "
    "naming every zone of the model as it is now — then "
    "cuts, files and records the crops like an extraction (`transform.method: manual`, the "
    "model version used, the reviewer as `created_by`). A decided item, or one whose model "
    "was deleted, is 409.",
    responses=problem_responses(errors.NotFound, errors.Conflict, errors.PictureDoesNotMatch),
)
def resolve_review(
    reader: Reader,
    session: SessionDep,
    pipeline: PipelineDep,
    storage: ReviewsDep,
    review_id: ReviewId,
    body: ReviewResolve,
    response: Response,
) -> ExtractionRead:
    _load(session, reader, review_id)
    given = [body.corners, body.pages, body.quads]
    if sum(value is not None for value in given) != 1:
        raise errors.validation_failed(
            [errors.FieldError(field="body", message="give exactly one of corners, pages or quads")]
        )
    session.commit()  # no transaction is held while the picture is cut
    placing = resolving.Placing(
        corners=body.corners,
        quads={k: v for k, v in body.quads.items()} if body.quads is not None else None,
        pages=dict(body.pages) if body.pages is not None else None,
    )
    outcome = resolving.resolve(pipeline, storage, review_id, placing, reader.actor)
    response.headers["Location"] = f"{API_PREFIX}/extractions/{outcome.record.id}"
    return extraction_read(outcome.record)


@router.post(
    "/{review_id:uuid}/discard",
    status_code=204,
    operation_id="discardReview",
    summary="Discard a review item",
    description="Drops the item and deletes its picture without cutting (editor and up: "
    "it deletes a file; audited as `review.discard`); a decided item is 409.",
    responses=problem_responses(errors.NotFound, errors.Conflict),
)
def discard_review(
    editor: Editor, session: SessionDep, storage: ReviewsDep, review_id: ReviewId
) -> Response:
    queue.discard(session, storage, queue.load_review(session, review_id), editor.actor)
    return Response(status_code=204)
