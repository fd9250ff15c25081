"""Events told to webhooks: each becomes a delivery row per webhook subscribed to it,
written in the transaction of what it tells, so an event is sent if and only if what it
tells was committed. Sending happens later, off the request (:mod:`.sender`).

Which webhooks want which event is read once every few seconds per process, not at every
event: with no webhook at all, an extraction costs no query more. A webhook made or
deleted on another instance is therefore seen here within :data:`FRESH_FOR` seconds.

The body follows the Standard Webhooks payload shape: ``{"type", "timestamp", "data"}``,
``data`` holding the ids and the API paths (``links``) of what the event is about.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import on_commit
from api.tables import Extraction, Job, Review, Webhook, WebhookDelivery, utcnow

EVENTS = ("extraction.created", "review.created", "review.resolved", "job.done", "job.failed")
# sent by POST /webhooks/{id}/test to that webhook alone, whatever it subscribed to
TEST_EVENT = "webhook.test"
FRESH_FOR = 2.0
API = "/api/v1"


def body(event: str, data: dict[str, Any]) -> str:
    """A delivery's body, as signed and sent on every attempt."""
    payload = {"type": event, "timestamp": utcnow().isoformat(), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def delivery(webhook_id: uuid.UUID, event: str, data: dict[str, Any]) -> WebhookDelivery:
    """A new delivery of ``event`` to one webhook, due now."""
    now = utcnow()
    return WebhookDelivery(
        id=uuid.uuid4(),
        webhook_id=webhook_id,
        event=event,
        body=body(event, data),
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )


class Events:
    """Where this process's events go: the webhooks subscribed to them.

    ``wake`` is called once a transaction that queued deliveries commits (the sender of
    this process then sends them at once instead of at its next look).
    """

    def __init__(self, *, fresh_for: float = FRESH_FOR) -> None:
        self._fresh_for = fresh_for
        self._lock = threading.Lock()
        self._subscribed: dict[str, list[uuid.UUID]] = {}
        self._loaded_at = -math.inf
        self.wake: Callable[[], None] | None = None

    def changed(self) -> None:
        """Forget what was read of the webhooks (one was made or deleted here)."""
        with self._lock:
            self._loaded_at = -math.inf

    def emit(self, session: Session, event: str, data: dict[str, Any]) -> int:
        """Queue ``event`` for every webhook subscribed to it, in ``session``'s
        transaction; how many deliveries."""
        webhooks = self._webhooks_for(session, event)
        for webhook_id in webhooks:
            session.add(delivery(webhook_id, event, data))
        if webhooks and self.wake is not None:
            on_commit(session, self.wake)
        return len(webhooks)

    def _webhooks_for(self, session: Session, event: str) -> list[uuid.UUID]:
        with self._lock:
            if time.monotonic() - self._loaded_at < self._fresh_for:
                return self._subscribed.get(event, [])
        subscribed: dict[str, list[uuid.UUID]] = {}
        for webhook_id, events in session.execute(select(Webhook.id, Webhook.events)):
            for name in events:
                subscribed.setdefault(name, []).append(webhook_id)
        with self._lock:
            self._subscribed, self._loaded_at = subscribed, time.monotonic()
        return subscribed.get(event, [])

    def extraction_created(self, session: Session, record: Extraction) -> None:
        """An extraction was filed (in ``session``'s transaction)."""
        self.emit(
            session,
            "extraction.created",
            {
                "id": str(record.id),
                "model_id": str(record.model_id) if record.model_id else None,
                "model_name": record.model_name,
                "model_version": record.model_version,
                "created_by": record.created_by,
                "created_at": record.created_at.isoformat(),
                "source": {"filename": record.source_filename, "page": record.source_page},
                "links": {
                    "self": f"{API}/extractions/{record.id}",
                    "archive": f"{API}/extractions/{record.id}/archive",
                },
            },
        )

    def review_created(self, session: Session, review: Review) -> None:
        """A refused picture was kept for review."""
        self.emit(
            session,
            "review.created",
            {
                "id": str(review.id),
                "model_id": str(review.model_id) if review.model_id else None,
                "model_name": review.model_name,
                "reason": review.reason,
                "created_by": review.created_by,
                "links": {
                    "self": f"{API}/reviews/{review.id}",
                    "picture": f"{API}/reviews/{review.id}/picture",
                },
            },
        )

    def review_resolved(
        self, session: Session, review_id: uuid.UUID, extraction_id: uuid.UUID, actor: str
    ) -> None:
        """A review item was resolved by hand into an extraction."""
        self.emit(
            session,
            "review.resolved",
            {
                "id": str(review_id),
                "extraction_id": str(extraction_id),
                "decided_by": actor,
                "links": {
                    "self": f"{API}/reviews/{review_id}",
                    "extraction": f"{API}/extractions/{extraction_id}",
                },
            },
        )

    def job_finished(self, session: Session, job: Job) -> None:
        """A job ended: ``job.done`` or ``job.failed`` (a cancelled job tells nothing)."""
        if job.status not in ("done", "failed"):
            return
        self.emit(
            session,
            f"job.{job.status}",
            {
                "id": str(job.id),
                "status": job.status,
                "model_id": str(job.model_id) if job.model_id else None,
                "model_name": job.model_name,
                "created_by": job.created_by,
                "progress": {"done": job.done, "total": job.total},
                "filed": job.filed,
                "refused": job.refused,
                "error": job.error,
                "links": {"self": f"{API}/jobs/{job.id}", "items": f"{API}/jobs/{job.id}/items"},
            },
        )
