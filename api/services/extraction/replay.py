"""Idempotency-Keys: a retry gets the answer the first request was given.

A request that cuts several pictures (every page of a document, or several parts) files
several extractions and refuses some pages, so no single extraction can stand for its
answer. Before anything is cut, the request claims its (caller, key) with a ``pending``
record holding its fingerprint; once done, the record holds the answer given: the
extractions filed and the refusals. A retry with the same key and fingerprint gets that
answer again, one while the first is still being cut a 409, and one with another
fingerprint a 422. A claim left pending by a process that died is taken over once it is
older than the pending timeout.

A request of one picture keeps its key on its extraction (written by :mod:`.filing`,
found again by :func:`replay_single`); a key is never good for both kinds.
"""

from __future__ import annotations

import uuid
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


@dataclass(frozen=True)
class KeptAnswer:
    """The answer given the first time: the extractions filed and the refusals."""

    extraction_ids: list[uuid.UUID]
    refused: list[dict[str, Any]]


def check_not_batch(session: Session, caller: str | None, key: str) -> None:
    """422 when ``key`` already named a request of several pictures of this caller."""
    used = session.scalar(
        select(IdempotentRequest.id).where(
            IdempotentRequest.caller == (caller or ""), IdempotentRequest.key == key
        )
    )
    if used is not None:
        raise _reused(key)


def claim(
    sessions: sessionmaker[Session],
    *,
    caller: str | None,
    key: str,
    fingerprint: str,
    stale_after: timedelta,
) -> uuid.UUID | KeptAnswer:
    """Claim ``key`` for a new request (its claim's id), or the answer it was given.

    409 while the first request is still being cut, 422 for a key used for another
    request.
    """
    for _ in range(2):  # a second look when a concurrent request claimed it meanwhile
        with session_scope(sessions) as session:
            earlier = session.scalar(
                select(IdempotentRequest).where(
                    IdempotentRequest.caller == (caller or ""), IdempotentRequest.key == key
                )
            )
            if earlier is not None:
                return _earlier(session, earlier, key, fingerprint, stale_after)
            if session.scalar(select(Extraction.id).where(Extraction.idempotency_key == key)):
                raise _reused(key)  # the key of a request of one picture
        try:
            with session_scope(sessions) as session:
                record = IdempotentRequest(
                    id=uuid.uuid4(),
                    caller=caller or "",
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
        raise _reused(key)
    if earlier.status == "done" and earlier.answer is not None:
        return KeptAnswer(
            [uuid.UUID(value) for value in earlier.answer.get("extractions", [])],
            list(earlier.answer.get("refused", [])),
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
    extraction_ids: list[uuid.UUID],
    refused: list[dict[str, Any]],
) -> None:
    """Keep the answer given, for the retries to come."""
    answer = {"extractions": [str(value) for value in extraction_ids], "refused": refused}
    with session_scope(sessions) as session:
        session.execute(
            update(IdempotentRequest)
            .where(IdempotentRequest.id == claim_id)
            .values(status="done", answer=answer)
        )


def release(sessions: sessionmaker[Session], claim_id: uuid.UUID) -> None:
    """Give the key up again: the request failed, a retry may run it anew."""
    with session_scope(sessions) as session:
        session.execute(delete(IdempotentRequest).where(IdempotentRequest.id == claim_id))


def _reused(key: str) -> errors.IdempotencyKeyReused:
    return errors.IdempotencyKeyReused(
        f"Idempotency-Key '{key}' was already used for a different request; "
        "use a new key for a new request"
    )


def _still_running(key: str) -> errors.StillRunning:
    return errors.StillRunning(
        f"a request with Idempotency-Key '{key}' is still being cut; ask again shortly",
        headers={"Retry-After": "2"},
    )


def replay_single(session: Session, key: str, fingerprint: str) -> ExtractionOutcome | None:
    """The answer kept for a one-picture request's key: None if the key is new; 409 while
    it is still being cut, 422 when it named a different request."""
    record = session.scalar(
        select(Extraction)
        .where(Extraction.idempotency_key == key)
        .options(selectinload(Extraction.crops))
    )
    if record is None:
        return None
    if record.status == "pending":
        raise errors.StillRunning(
            f"a request with Idempotency-Key '{key}' is still being cut; ask again shortly",
            headers={"Retry-After": "2"},
        )
    if record.request_fingerprint != fingerprint:
        raise errors.IdempotencyKeyReused(
            f"Idempotency-Key '{key}' was already used for a different request; "
            "use a new key for a new request"
        )
    return ExtractionOutcome(record, replayed=True)
