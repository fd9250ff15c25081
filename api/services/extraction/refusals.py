"""Keeping a refused picture as a review item (the rest of the queue: services/reviews/)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from api import errors
from api.db import session_scope
from api.services.extraction import replay
from api.services.extraction.pipeline import ExtractRequest, ModelSnapshot
from api.services.uploads import KEPT_EXTENSIONS
from api.services.webhooks.events import Events
from api.storage import Storage
from api.tables import Review, utcnow


def picture_path(review_id: uuid.UUID, source_format: str) -> str:
    """Where a review item's picture is kept in the reviews storage."""
    return f"{review_id}/picture.{KEPT_EXTENSIONS.get(source_format, source_format)}"


@dataclass(frozen=True)
class KeptPicture:
    """What a review item records of the picture it keeps: its format and upright size."""

    format: str
    size: tuple[int, int]


def keep(
    sessions: sessionmaker[Session],
    storage: Storage,
    request: ExtractRequest,
    model: ModelSnapshot,
    picture: KeptPicture,
    refusal: errors.AppError,
    events: Events | None = None,
) -> uuid.UUID:
    """Store the picture (``request.data``, of the format and upright size ``picture``
    tells) and record the review item; answers its id (and sets it on ``refusal``).

    With an Idempotency-Key, the refusal naming the item is kept as the answer in the same
    transaction, so a retry is told of this item instead of keeping a second one.
    """
    review_id = uuid.uuid4()
    path = picture_path(review_id, picture.format)
    storage.put_exact(path, request.data)
    guess = (refusal.figures or {}).get("guess")
    refusal.review_id = str(review_id)
    refusal.review_url = f"/api/v1/reviews/{review_id}"
    try:
        with session_scope(sessions) as session:
            review = Review(
                id=review_id,
                model_id=model.id,
                model_name=model.name,
                model_version=model.version,
                status="open",
                reason=refusal.slug,
                detail=refusal.detail,
                figures={k: v for k, v in (refusal.figures or {}).items() if k != "guess"} or None,
                guess=guess if isinstance(guess, list) else None,
                source_filename=request.filename,
                source_format=picture.format,
                source_width=picture.size[0],
                source_height=picture.size[1],
                source_bytes=len(request.data),
                source_sha256=hashlib.sha256(request.data).hexdigest(),
                picture_path=path,
                created_by=request.created_by,
                created_at=utcnow(),
            )
            session.add(review)
            if request.claim is not None:
                replay.keep_refused(session, request.claim, refusal)
            if events is not None:
                events.review_created(session, review)
    except BaseException:
        refusal.review_id = refusal.review_url = None
        storage.delete(path)
        raise
    return review_id
