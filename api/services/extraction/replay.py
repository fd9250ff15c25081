"""Idempotency-Keys: a retry gets the answer the first request was given.

A key belongs to its caller: one record per (caller, key), the caller being the user's or
the API key's id as the edge hands it over (never a name, which can be given again), so
two callers choosing the same key never meet. Before anything is cut, a request claims
its (caller, key) with a ``pending`` record holding its fingerprint; once done, the record
holds the answer given. A retry with the same key and fingerprint gets that answer again;
one while the first is still being cut waits for it (its answer, or the key when it
failed), with a 409 only past the wait; one with another fingerprint gets a 422. A claim
names its holder, the instance cutting it: a claim whose holder's lease lapsed (the
process died, :mod:`api.services.leases`) is taken over by the next retry at once.

The answer of a request of one picture is the extraction it filed, or its refusal as not
matching (with the review item kept, if any): written in the transaction that files the
record (:mod:`.filing`) or keeps the item (:mod:`.refusals`), so a crash cannot leave
the one without the other. A request of several pictures (every page of a document, or
several parts) keeps the extractions filed and the refusals, in order
(:mod:`.batch`). The fingerprints of the two kinds never match, so a key is never good
for both.
"""

from __future__ import annotations

import time
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
from api.services import leases
from api.services.extraction.pipeline import ExtractionOutcome
from api.tables import Extraction, IdempotentRequest, utcnow

# how often a request waiting for another holding its key looks again
WAIT_POLL_SECONDS = 0.25
# the answer of a request of one picture says so (a batch may file one extraction too)
SINGLE = "single"


@dataclass(frozen=True)
class KeptAnswer:
    """The answer given the first time: the extractions filed and the refusals (for one
    picture refused, the figures of its problem as well)."""

    extraction_ids: list[uuid.UUID]
    refused: list[dict[str, Any]]
    figures: dict[str, float] | None = None
    # the job a request with ``Prefer: respond-async`` started
    job: uuid.UUID | None = None


def claim(
    sessions: sessionmaker[Session],
    *,
    caller: str | None,
    key: str,
    fingerprint: str,
    stale_after: timedelta,
    holder: uuid.UUID | None = None,
    lease: timedelta = timedelta(seconds=15),
    wait: timedelta = timedelta(0),
) -> uuid.UUID | KeptAnswer:
    """Claim the caller's ``key`` for a new request held by the instance ``holder`` (its
    claim's id), or the answer it was given.

    While another request holds the key, wait for it (up to ``wait``, looking again every
    so often): its answer once it has one, the key again if it failed or its holder's
    lease lapsed. 409 once the wait is over, 422 for a key used for another request.
    """
    if caller is None:
        raise ValueError("an Idempotency-Key is kept per caller: say who is asking")
    deadline = time.monotonic() + wait.total_seconds()
    while True:
        claimed = _try_claim(sessions, caller, key, fingerprint, stale_after, holder, lease)
        if claimed is not None:
            return claimed
        if time.monotonic() >= deadline:
            raise _still_running(key)
        time.sleep(min(WAIT_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def _try_claim(
    sessions: sessionmaker[Session],
    caller: str,
    key: str,
    fingerprint: str,
    stale_after: timedelta,
    holder: uuid.UUID | None,
    lease: timedelta,
) -> uuid.UUID | KeptAnswer | None:
    """One look: the claim, the answer, or None while another request holds the key.

    One transaction: the key looked up and, when nobody has it, claimed."""
    try:
        with session_scope(sessions) as session:
            earlier = session.scalar(
                select(IdempotentRequest).where(
                    IdempotentRequest.caller == caller, IdempotentRequest.key == key
                )
            )
            if earlier is not None:
                return _earlier(session, earlier, key, fingerprint, stale_after, holder, lease)
            record = IdempotentRequest(
                id=uuid.uuid4(),
                caller=caller,
                key=key,
                fingerprint=fingerprint,
                status="pending",
                created_at=utcnow(),
                holder=holder,
            )
            session.add(record)
        return record.id
    except IntegrityError:
        return None  # claimed by a concurrent request a moment ago: look again


def _earlier(
    session: Session,
    earlier: IdempotentRequest,
    key: str,
    fingerprint: str,
    stale: timedelta,
    holder: uuid.UUID | None,
    lease: timedelta,
) -> uuid.UUID | KeptAnswer | None:
    if earlier.fingerprint != fingerprint:
        raise errors.IdempotencyKeyReused(
            f"Idempotency-Key '{key}' was already used for a different request; "
            "use a new key for a new request"
        )
    if earlier.status == "done" and earlier.answer is not None:
        job = earlier.answer.get("job")
        return KeptAnswer(
            [uuid.UUID(value) for value in earlier.answer.get("extractions", [])],
            list(earlier.answer.get("refused", [])),
            earlier.answer.get("figures"),
            uuid.UUID(job) if job else None,
        )
    if earlier.holder is not None:
        if leases.is_live(session, earlier.holder, lease):
            return None  # still being cut
        same_holder = IdempotentRequest.holder == earlier.holder
    else:  # a claim of before the leases: abandoned once older than the timeout
        if earlier.created_at > utcnow() - stale:
            return None
        same_holder = IdempotentRequest.holder.is_(None)
    # abandoned by a process that died: taken over, unless another retry just did
    taken = session.execute(
        update(IdempotentRequest)
        .where(
            IdempotentRequest.id == earlier.id,
            IdempotentRequest.status == "pending",
            IdempotentRequest.created_at == earlier.created_at,
            same_holder,
        )
        .values(created_at=utcnow(), holder=holder)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
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


def keep_job(session: Session, claim_id: uuid.UUID, job_id: uuid.UUID) -> None:
    """Keep, in the caller's transaction, the job a request started."""
    _keep(session, claim_id, {"kind": "job", "job": str(job_id), "extractions": [], "refused": []})


def _keep(session: Session, claim_id: uuid.UUID, answer: dict[str, Any]) -> None:
    session.execute(
        update(IdempotentRequest)
        .where(IdempotentRequest.id == claim_id, IdempotentRequest.status == "pending")
        .values(status="done", answer=answer)
        # no object of this row is in the session: nothing to bring up to date
        .execution_options(synchronize_session=False)
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
