"""Idempotency-Keys: a retry gets the answer the first request was given.

A key belongs to its caller: one record per (caller, key), the caller being the user's or
the API key's id as the edge hands it over (never a name, which can be given again), so
two callers choosing the same key never meet. Before anything is cut, a request claims
its (caller, key) with a ``pending`` record holding its fingerprint; once done, the record
holds the answer given. A retry with the same key and fingerprint gets that answer again,
one while the first is still being cut a 409, and one with another fingerprint a 422. A
claim left pending by a process that died is taken over once it is older than the pending
timeout.

The answer of a request of one picture is the extraction it filed, or its refusal as not
matching (with the review item kept, if any): written in the transaction that files the
record (:mod:`.filing`) or keeps the item (:mod:`.refusals`), so a crash cannot leave
the one without the other. A request of several pictures (every page of a document, or
several parts) keeps the extractions filed and the refusals, in order
(:mod:`.batch`). The fingerprints of the two kinds never match, so a key is never good
for both.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from api import errors
from api.db import session_scope
from api.services.extraction.pipeline import ExtractionOutcome
from api.tables import Extraction, IdempotentRequest, utcnow

# the answer of a request of one picture says so (a batch may file one extraction too)
SINGLE = "single"


@dataclass(frozen=True)
class KeptAnswer:
    """The answer given the first time: the extractions filed and the refusals (for one
    picture refused, the figures of its problem as well)."""

    extraction_ids: list[uuid.UUID]
    refused: list[dict[str, Any]]
    figures: dict[str, float] | None = None


def claim(
    sessions: sessionmaker[Session],
    *,
    caller: str | None,
    key: str,
    fingerprint: str,
    stale_after: timedelta,
) -> uuid.UUID | KeptAnswer:
    """Claim the caller's ``key`` for a new request (its claim's id), or the answer it was
    given.

    409 while the first request is still being cut, 422 for a key used for another
    request.
    """
    if caller is None:
        raise ValueError("an Idempotency-Key is kept per caller: say who is asking")
    for _ in range(2):  # a second look when a concurrent request claimed it meanwhile
        with session_scope(sessions) as session:
            earlier = session.scalar(
                select(IdempotentRequest).where(
                    IdempotentRequest.caller == caller, IdempotentRequest.key == key
                )
            )
            if earlier is not None:
                return _earlier(session, earlier, key, fingerprint, stale_after)
        try:
            with session_scope(sessions) as session:
                record = IdempotentRequest(
                    id=uuid.uuid4(),
                    caller=caller,
                    key=key,
                    fingerprint=fingerprint,
                    status="pending",
                    created_at=utcnow(),
                )
                session.add(record)
            return record.id
        except IntegrityError:
            continue
    raise _still_running(key)


def _earlier(
    session: Session, earlier: IdempotentRequest, key: str, fingerprint: str, stale: timedelta
) -> uuid.UUID | KeptAnswer:
    if earlier.fingerprint != fingerprint:
        raise errors.IdempotencyKeyReused(
            f"Idempotency-Key '{key}' was already used for a different request; "
            "use a new key for a new request"
        )
    if earlier.status == "done" and earlier.answer is not None:
        return KeptAnswer(
            [uuid.UUID(value) for value in earlier.answer.get("extractions", [])],
            list(earlier.answer.get("refused", [])),
            earlier.answer.get("figures"),
        )
    if earlier.created_at > utcnow() - stale:
        raise _still_running(key)
    # abandoned by a process that died: taken over, unless another retry just did
    taken = session.execute(
        update(IdempotentRequest)
        .where(
            IdempotentRequest.id == earlier.id,
            IdempotentRequest.created_at == earlier.created_at,
        )
        .values(created_at=utcnow())
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise _still_running(key)
    return earlier.id


def finish(
    sessions: sessionmaker[Session],
    claim_id: uuid.UUID,
    extraction_ids: Sequence[uuid.UUID],
    refused: list[dict[str, Any]],
) -> None:
    """Keep the answer given to a request of several pictures, for the retries to come."""
    answer = {"extractions": [str(value) for value in extraction_ids], "refused": refused}
    with session_scope(sessions) as session:
        _keep(session, claim_id, answer)


def keep_filed(session: Session, claim_id: uuid.UUID, extraction_id: uuid.UUID) -> None:
    """Keep, in the caller's transaction, the extraction a request of one picture filed."""
    _keep(session, claim_id, {"kind": SINGLE, "extractions": [str(extraction_id)], "refused": []})


def keep_refused(session: Session, claim_id: uuid.UUID, refusal: errors.AppError) -> None:
    """Keep, in the caller's transaction, the refusal of a request of one picture as not
    matching (with its review item, when one was kept)."""
    answer = {
        "kind": SINGLE,
        "extractions": [],
        "refused": [refusal.as_refusal().model_dump(mode="json", exclude_none=True)],
        "figures": refusal.figures,
    }
    _keep(session, claim_id, answer)


def _keep(session: Session, claim_id: uuid.UUID, answer: dict[str, Any]) -> None:
    session.execute(
        update(IdempotentRequest)
        .where(IdempotentRequest.id == claim_id, IdempotentRequest.status == "pending")
        .values(status="done", answer=answer)
    )


def release(sessions: sessionmaker[Session], claim_id: uuid.UUID) -> None:
    """Give the key up again: the request failed, a retry may run it anew."""
    with session_scope(sessions) as session:
        session.execute(
            delete(IdempotentRequest).where(
                IdempotentRequest.id == claim_id, IdempotentRequest.status == "pending"
            )
        )


def replay_single(sessions: sessionmaker[Session], answer: KeptAnswer) -> ExtractionOutcome:
    """The answer kept for a request of one picture, again: its extraction, or its
    refusal raised once more (the same review item)."""
    if not answer.extraction_ids:
        kept = errors.Refusal.model_validate(answer.refused[0])
        refusal = errors.PictureDoesNotMatch(
            kept.detail, figures=answer.figures, headers={"Idempotent-Replayed": "true"}
        )
        refusal.review_id, refusal.review_url = kept.review_id, kept.review_url
        raise refusal
    with session_scope(sessions) as session:
        record = session.scalar(
            select(Extraction)
            .where(Extraction.id == answer.extraction_ids[0])
            .options(selectinload(Extraction.crops))
        )
    if record is None:  # pragma: no cover - extractions are never deleted
        raise errors.NotFound(f"extraction {answer.extraction_ids[0]} does not exist")
    return ExtractionOutcome(record, replayed=True)


def _still_running(key: str) -> errors.StillRunning:
    return errors.StillRunning(
        f"a request with Idempotency-Key '{key}' is still being cut; ask again shortly",
        headers={"Retry-After": "2"},
    )
