"""Intents: output names reserved in the database before a byte is written, and the sweep.

An extraction is first recorded as ``pending`` with a reservation for every file it will
write, in one committed transaction. Only then are the files written, and the record is
turned ``done`` in a second one. A process that dies in between leaves a pending intent;
any instance's sweep removes the files that intent reserved (and nothing else) and the
intent itself once its holder is dead: the instance that wrote it missed its heartbeats
for the lease (:mod:`api.services.leases`); an intent of a live holder stays, however old.
Intents without a holder (of before the leases) go once older than the timeout. A writer
that outlives its own intent notices at the end and removes what it wrote.

The sweep also removes the pictures kept for overlays once their time is over, with the
overlays drawn on them.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from api.db import session_scope
from api.services import leases, overlays
from api.storage import FileNotFoundInStorage, Storage
from api.storage.names import numbered_file_name
from api.tables import Extraction, FileReservation, OutputFile, utcnow

log = logging.getLogger(__name__)
TEMP_SWEEP_INTERVAL = 3600.0


@dataclass(frozen=True)
class WantedName:
    """A file an extraction will write: its folder, its name's stem and extension."""

    folder: str
    stem: str
    extension: str

    def candidate(self, number: int) -> str:
        """The ``number``-th path that may be given to it: ``stem.ext``, ``stem-2.ext``…"""
        return f"{self.folder}/{numbered_file_name(self.stem, self.extension, number)}"


# How many numbered names of each file one look asks about at first (doubled each time
# they are all taken): a picture sent again under the same name finds its next free
# names in one look.
_FIRST_WINDOW = 4


def reserve_paths(
    session: Session, wanted: Sequence[WantedName], *, extraction_id: uuid.UUID
) -> list[str]:
    """Reserve, for each of ``wanted`` in order, the first free ``folder/stem.ext``,
    ``stem-2.ext``… for ``extraction_id``; the paths, in the same order.

    Free means: not filed, not reserved by anyone, and not given to an earlier one of
    ``wanted``. One look asks about the first few candidates of every file at once, and
    one insert reserves them all; concurrent reservers of one name are told apart by the
    unique constraint on the path (a name another request took a moment ago is skipped,
    and the next one tried).
    """
    numbers = [1] * len(wanted)  # each file's next candidate
    chosen: list[str | None] = [None] * len(wanted)
    window = _FIRST_WINDOW
    while True:
        pending = [index for index, path in enumerate(chosen) if path is None]
        if not pending:
            return [path for path in chosen if path is not None]
        candidates = {
            index: [wanted[index].candidate(numbers[index] + step) for step in range(window)]
            for index in pending
        }
        taken = _taken_paths(session, [path for paths in candidates.values() for path in paths])
        taken.update(path for path in chosen if path is not None)
        picks: dict[int, str] = {}
        for index in pending:
            free = next((path for path in candidates[index] if path not in taken), None)
            if free is None:
                numbers[index] += window  # all taken: the next window, larger
                continue
            numbers[index] += candidates[index].index(free) + 1
            picks[index] = free
            taken.add(free)
        reserved = _insert_reservations(session, list(picks.values()), extraction_id)
        for index, path in picks.items():
            if path in reserved:
                chosen[index] = path
        if len(picks) < len(pending):
            window *= 2


def _taken_paths(session: Session, paths: list[str]) -> set[str]:
    """Which of ``paths`` are filed or reserved already: one look at both registers."""
    filed = select(OutputFile.path).where(OutputFile.path.in_(paths))
    reserved = select(FileReservation.path).where(FileReservation.path.in_(paths))
    return set(session.scalars(union_all(filed, reserved)))


def _insert_reservations(session: Session, paths: list[str], extraction_id: uuid.UUID) -> set[str]:
    """Reserve ``paths`` for ``extraction_id`` in one statement; those it got (a path a
    concurrent request reserved first is skipped, not an error)."""
    if not paths:
        return set()
    now = utcnow()
    rows = [
        {"id": uuid.uuid4(), "path": path, "extraction_id": extraction_id, "reserved_at": now}
        for path in paths
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(FileReservation)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[FileReservation.path])
        .returning(FileReservation.path)
    )
    return set(session.scalars(statement))


def reserve_path(
    session: Session, *, folder: str, stem: str, extension: str, extraction_id: uuid.UUID
) -> str:
    """Reserve the first free ``folder/stem.ext``, ``stem-2.ext``… for ``extraction_id``
    (see :func:`reserve_paths`)."""
    return reserve_paths(
        session, [WantedName(folder, stem, extension)], extraction_id=extraction_id
    )[0]


def release(session: Session, extraction_id: uuid.UUID) -> None:
    """Forget the reservations of an intent (its files are filed or removed)."""
    session.execute(
        delete(FileReservation)
        .where(FileReservation.extraction_id == extraction_id)
        .execution_options(synchronize_session=False)  # none of them is in the session
    )


def abandon(
    sessions: sessionmaker[Session],
    storage: Storage,
    extraction_id: uuid.UUID,
    *,
    sources: Storage | None = None,
) -> None:
    """Remove the files an intent reserved and the picture it kept (in ``sources``), then
    the intent, if it is still pending.

    Without ``sources``, an intent that kept a picture is left pending once its files are
    gone (with no reservation left): the sweep, which has the sources, finishes it.
    """
    with session_scope(sessions) as session:
        paths = session.scalars(
            select(FileReservation.path).where(FileReservation.extraction_id == extraction_id)
        ).all()
        kept = session.scalar(
            select(Extraction.source_path).where(
                Extraction.id == extraction_id, Extraction.status == "pending"
            )
        )
    for path in paths:
        if not _removed(storage, path, extraction_id):
            return  # keep the intent: the next sweep tries again
    if kept is not None and (sources is None or not _removed(sources, kept, extraction_id)):
        with session_scope(sessions) as session:
            release(session, extraction_id)
        return
    with session_scope(sessions) as session:
        release(session, extraction_id)
        session.execute(
            delete(Extraction).where(Extraction.id == extraction_id, Extraction.status == "pending")
        )


def _removed(storage: Storage, path: str, extraction_id: uuid.UUID) -> bool:
    """Remove ``path`` of an abandoned intent; whether it is gone."""
    try:
        storage.delete(path)
    except FileNotFoundInStorage:
        pass
    except Exception:
        log.exception("could not remove %s of abandoned extraction %s", path, extraction_id)
        return False
    return True


def sweep(
    sessions: sessionmaker[Session],
    storage: Storage,
    older_than: timedelta,
    lease: timedelta | None = None,
    sources: Storage | None = None,
) -> int:
    """Abandon every pending intent whose holder is dead (its heartbeat older than
    ``lease``), and those without a holder once older than ``older_than``; how many.

    An intent whose holder is live is never swept, however old. Without ``lease`` only
    the timeout counts (intents of before the leases)."""
    cutoff = utcnow() - older_than
    unheld = Extraction.holder.is_(None) & (Extraction.created_at < cutoff)
    abandoned = unheld
    if lease is not None:
        abandoned = unheld | (
            Extraction.holder.is_not(None) & leases.lapsed(Extraction.holder, lease)
        )
    with session_scope(sessions) as session:
        stale = session.scalars(
            select(Extraction.id).where(Extraction.status == "pending", abandoned)
        ).all()
    for extraction_id in stale:
        log.warning("sweeping abandoned extraction %s", extraction_id)
        abandon(sessions, storage, extraction_id, sources=sources)
    return len(stale)


class IntentSweeper:
    """A thread of each server process that sweeps abandoned intents: once at start, then
    every so often. Several processes sweeping at once is safe: removing is idempotent."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        storage: Storage,
        timeout: timedelta,
        sources: Storage | None = None,
        lease: timedelta | None = None,
    ) -> None:
        self._sessions = sessions
        self._storage = storage
        self._sources = sources
        self._timeout = timeout
        self._lease = lease
        # often enough that a dead holder's files go within seconds of its lease lapsing:
        # the query is one look at the pending intents
        shortest = min(timeout, lease) if lease is not None else timeout
        self._interval = min(60.0, max(0.5, shortest.total_seconds() / 3))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="intent-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        last_temp_sweep = -math.inf
        while True:
            try:
                sweep(self._sessions, self._storage, self._timeout, self._lease, self._sources)
                if self._lease is not None:
                    leases.reopen_abandoned_reviews(self._sessions, self._lease)
                    leases.forget_dead(self._sessions, self._lease)
                if self._sources is not None:
                    remove_expired_sources(self._sessions, self._sources)
                # temporary files need a walk of every folder: at start, then hourly
                if time.monotonic() - last_temp_sweep >= TEMP_SWEEP_INTERVAL:
                    self._storage.sweep_temp_files(older_than=self._timeout)
                    last_temp_sweep = time.monotonic()
            except Exception:  # the database may be away for a while: try again later
                log.warning("could not sweep abandoned extractions", exc_info=True)
            if self._stop.wait(self._interval):
                return


def remove_expired_sources(sessions: sessionmaker[Session], sources: Storage) -> int:
    """Remove the kept pictures of extractions whose keeping time is over, and the
    overlays drawn on them; how many."""
    now = utcnow()
    with session_scope(sessions) as session:
        expired = session.execute(
            select(Extraction.id, Extraction.source_path).where(
                Extraction.source_path.is_not(None), Extraction.source_kept_until < now
            )
        ).all()
    for extraction_id, path in expired:
        try:
            sources.delete(str(path))
        except FileNotFoundInStorage:
            pass
        except Exception:
            log.warning("could not remove the kept picture %s", path, exc_info=True)
            continue
        with session_scope(sessions) as session:
            # the row locked first: no overlay is kept for the extraction from now on
            session.execute(
                update(Extraction).where(Extraction.id == extraction_id).values(source_path=None)
            )
            drawn = overlays.forget_extraction(session, extraction_id)
        overlays.remove_files(sources, drawn)
    return len(expired)
