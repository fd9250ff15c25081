"""Leases: every process of the deployment keeps a heartbeat, and its pending work is its
own only while the heartbeat is fresh.

A row per instance in the database, renewed every few seconds by a thread, rather than
PostgreSQL advisory locks: it works alike on SQLite (the embedded default, where several
workers share one file) and PostgreSQL, and a sweeper can ask with one query whose work
has lost its holder (pending intents, idempotent requests, review items being resolved).
An instance is live while its ``heartbeat_at`` is younger than the lease; a missing row
is a dead instance. Clocks are the instances' own (UTC), so the lease should stay well
above their drift.

:class:`Heartbeat` is what a process starts and stops: ``Heartbeat.stop()`` releases the
instance's leases at once (its row goes), after which any other instance sweeps or takes
over what it still held. Call it only once its work in flight has finished or was undone.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from api.db import session_scope
from api.tables import Instance, Review, utcnow

log = logging.getLogger(__name__)


def live_instances(lease: timedelta) -> Select[Any]:
    """The ids of the instances whose heartbeat is fresh (a subquery)."""
    return select(Instance.id).where(Instance.heartbeat_at >= utcnow() - lease)


def lapsed(holder: InstrumentedAttribute[Any], lease: timedelta) -> ColumnElement[bool]:
    """A condition on a ``holder`` column: held by an instance that is not live (or by
    nobody: rows of before the leases, which the caller limits by age)."""
    return holder.is_(None) | holder.not_in(live_instances(lease))


def is_live(session: Session, holder: uuid.UUID | None, lease: timedelta) -> bool:
    """Whether ``holder`` is a live instance."""
    if holder is None:
        return False
    return session.scalar(live_instances(lease).where(Instance.id == holder)) is not None


class Heartbeat:
    """This process's instance: registered by :meth:`start`, renewed by a thread every
    ``every`` seconds, removed by :meth:`stop`.

    A renewal that finds its row gone (a sweeper took the instance for dead while the
    database was away) registers it again: its work may have been swept meanwhile, which
    the writers notice when they file.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, every: timedelta, kind: str = "serve"
    ) -> None:
        self.instance_id = uuid.uuid4()
        self._sessions = sessions
        self._every = max(0.05, every.total_seconds())
        self._name = f"{kind} pid {os.getpid()} on {socket.gethostname()}"[:200]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        """Register the instance, then keep it live from a thread."""
        self.beat()
        self._thread.start()

    def beat(self) -> None:
        """Renew the heartbeat now (registering the instance if its row is missing)."""
        now = utcnow()
        with session_scope(self._sessions) as session:
            renewed = session.execute(
                update(Instance).where(Instance.id == self.instance_id).values(heartbeat_at=now)
            )
            if renewed.rowcount != 1:  # type: ignore[attr-defined]
                session.add(
                    Instance(id=self.instance_id, name=self._name, started_at=now, heartbeat_at=now)
                )

    def stop(self) -> None:
        """Stop renewing and release the instance's leases (its row goes). Idempotent."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        try:
            with session_scope(self._sessions) as session:
                session.execute(delete(Instance).where(Instance.id == self.instance_id))
        except Exception:  # its heartbeat lapses all the same
            log.warning("could not release the leases of this instance", exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.beat()
            except Exception:  # the database may be away for a while: try again
                log.warning("could not renew this instance's heartbeat", exc_info=True)


def reopen_abandoned_reviews(sessions: sessionmaker[Session], lease: timedelta) -> int:
    """Open again the review items claimed for resolving by an instance that died before
    it filed their extraction; how many."""
    with session_scope(sessions) as session:
        reopened = session.execute(
            update(Review)
            .where(
                Review.status == "resolved",
                Review.extraction_id.is_(None),
                Review.holder.is_not(None),
                Review.holder.not_in(live_instances(lease)),
            )
            .values(status="open", decided_by=None, decided_at=None, holder=None)
        )
    return int(reopened.rowcount)  # type: ignore[attr-defined]


def forget_dead(sessions: sessionmaker[Session], lease: timedelta) -> None:
    """Remove the rows of instances dead for long (a missing row is a dead instance too)."""
    with session_scope(sessions) as session:
        session.execute(delete(Instance).where(Instance.heartbeat_at < utcnow() - 4 * lease))
