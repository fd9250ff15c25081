"""Filing the crops of an extraction: names reserved first, each crop written as soon as
it is encoded, the record marked done, or everything undone; the picture kept for the
overlay."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, insert, inspect, update
from sqlalchemy.orm import Mapper, Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from api import errors
from api.db import session_scope
from api.services.extraction import intents, replay
from api.services.extraction.pipeline import (
    CutCrop,
    ExtractionOutcome,
    ExtractRequest,
    InFlight,
    ModelSnapshot,
    Pipeline,
    elapsed_ms,
)
from api.services.uploads import KEPT_EXTENSIONS
from api.storage import Storage, StoredFile
from api.storage.names import render_filename, source_stem
from api.tables import Crop, Extraction, OutputFile

log = logging.getLogger(__name__)


def abort_in_flight(
    in_flight: InFlight, sessions: sessionmaker[Session], storage: Storage, wait: float = 10.0
) -> int:
    """Give up on the extractions still filing: each undoes itself (within ``wait``
    seconds, else its reserved files and intent are removed here); how many."""
    count = len(in_flight)
    if count:
        log.warning("drain deadline passed: aborting %d extraction(s) in flight", count)
    for extraction_id in in_flight.abort(wait):
        log.warning("extraction %s did not stop in time: abandoning it", extraction_id)
        intents.abandon(sessions, storage, extraction_id)
    return count


# Writes wait on the disk or the network, not on a core: enough threads for every crop of
# a few requests at once, and as many connections to an object store (api.storage.factory).
FILING_THREADS = 32


@cache
def _filing_threads() -> ThreadPoolExecutor:
    """The threads of this process that write crops and kept pictures."""
    return ThreadPoolExecutor(max_workers=FILING_THREADS, thread_name_prefix="filing")


class Filing:
    """The filing of one extraction's crops, each written as soon as it is encoded.

    Made with :func:`filing`: the intent is recorded first (the record pending, every
    crop's name reserved in one statement, the picture for the overlay being written
    beside), so that a crop can be written the moment it is encoded, while the next ones
    are still being cut. :meth:`finish` waits for the writes and marks the record done
    (keeping the answer for the request's Idempotency-Key in the same transaction).
    """

    def __init__(
        self,
        pipeline: Pipeline,
        request: ExtractRequest,
        record: Extraction,
        planned: dict[uuid.UUID, str],
        keeping: Future[bool] | None,
        started: float,
    ) -> None:
        self._pipeline = pipeline
        self._started = started
        self._request = request
        self._record = record
        self._planned = planned
        self._keeping = keeping
        self._writes: list[tuple[CutCrop, Future[StoredFile]]] = []
        self._undone = False
        self._lock = threading.Lock()

    def write(self, cut: CutCrop) -> CutCrop:
        """Start writing ``cut`` at its zone's reserved name (in the filing threads)."""
        path = self._planned[cut.zone.id]
        with self._lock:
            if self._undone:
                return cut  # a crop cut after the extraction failed: not written
            write = _filing_threads().submit(
                _write_reserved, self._pipeline, self._record.id, path, cut
            )
            self._writes.append((cut, write))
        return cut

    def finish(self, crops: Sequence[CutCrop]) -> ExtractionOutcome:
        """Wait for every crop to be written, then record them all and the record done."""
        pipeline, record, request = self._pipeline, self._record, self._request
        source_written = self._keeping is not None and self._keeping.result()
        self._wait()
        pipeline.in_flight.check()  # a drain that ran out: the crops go with the rest
        duration_ms = elapsed_ms(self._started)
        if self._keeping is not None and not source_written:
            record.source_path = record.source_kept_until = None
        with session_scope(pipeline.sessions) as session:
            claimed = session.execute(
                update(Extraction)
                .where(Extraction.id == record.id, Extraction.status == "pending")
                .values(
                    status="done",
                    duration_ms=duration_ms,
                    holder=None,
                    source_path=record.source_path,
                    source_kept_until=record.source_kept_until,
                )
                # the record is not in this session: nothing to bring up to date
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise errors.ServiceUnavailable(
                    "the extraction took too long and was swept; nothing was filed, try again",
                    headers={"Retry-After": "1"},
                )
            filed = [crop_record(position, cut, record.id) for position, cut in enumerate(crops)]
            # Rows of their own, inserted in one statement each: the unit of work would
            # spend more on twenty objects than the rest of the transaction.
            connection = session.connection()
            connection.execute(insert(_table(Crop)), _rows(filed))
            outputs = [_output_file(cut, record) for cut in crops]
            connection.execute(insert(_table(OutputFile)), _rows(outputs))
            intents.release(session, record.id)
            if request.claim is not None:
                replay.keep_filed(session, request.claim, record.id)
            if pipeline.events is not None:
                pipeline.events.extraction_created(session, record)
        record.status = "done"
        record.holder = None
        record.duration_ms = duration_ms
        set_committed_value(record, "crops", filed)  # as stored: the record is detached now
        return ExtractionOutcome(record, list(crops))

    def undo(self) -> None:
        """Remove what was written and the intent (once every write started has ended,
        so that no file lands after the clean-up)."""
        with self._lock:
            self._undone = True  # the cutting threads may still hand in crops: none written
        with suppress(Exception):
            self._wait()
        if self._keeping is not None:
            wait([self._keeping])
        with self._lock:
            written = [cut for cut, _ in self._writes]
        _undo(self._pipeline, self._record, written)

    def _wait(self) -> None:
        """Wait for the writes started; the first failure, if any, is raised."""
        with self._lock:
            writes = list(self._writes)
        wait([write for _, write in writes])
        for cut, write in writes:
            if write.exception() is None:
                cut.stored = write.result()
        for _, write in writes:
            write.result()


@contextmanager
def filing(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    record: Extraction,
    extension: str,
    started: float,
) -> Iterator[Filing]:
    """File the crops of ``record`` (one per zone of ``model``, each its ``extension``):
    the intent recorded with every name reserved, then the crops written as they are
    handed to :meth:`Filing.write`; whatever goes wrong inside undoes it all."""
    with pipeline.in_flight.holding(record.id):
        source = source_stem(request.filename)
        if record.source_page is not None:
            source = f"{source}-p{record.source_page}"  # the pages of one file apart
        record.status = "pending"
        record.holder = pipeline.holder  # the intent is this instance's while it lives
        record.duration_ms = 0  # known once it is done
        record.crops = []  # the crops are recorded when the files are filed
        kept = _kept_source_path(pipeline, record)
        if kept is not None:
            record.source_path, record.source_kept_until = kept
        wanted = [
            intents.WantedName(
                zone.folder,
                render_filename(
                    model.filename_template,
                    source=source,
                    zone=zone.name,
                    model=model.name,
                    extraction=str(record.id)[:8],
                    moment=record.created_at,
                ),
                extension,
            )
            for zone in model.zones
        ]
        with session_scope(pipeline.sessions) as session:
            session.add(record)
            session.flush()  # the intent, before the names it reserves
            planned = intents.reserve_paths(session, wanted, extraction_id=record.id)
        keeping = (
            _filing_threads().submit(_keep_source, pipeline, record, request.data)
            if kept is not None
            else None
        )
        paths = {zone.id: path for zone, path in zip(model.zones, planned, strict=True)}
        filed = Filing(pipeline, request, record, paths, keeping, started)
        try:
            yield filed
        except BaseException:
            filed.undo()
            raise


def _kept_source_path(pipeline: Pipeline, record: Extraction) -> tuple[str, datetime] | None:
    """Where the picture is kept for the extraction's overlay, and until when; None when
    pictures are not kept. A page cut as its own picture is kept alone, as PNG."""
    if pipeline.sources is None or pipeline.keep_sources <= timedelta(0):
        return None
    kept_format = "png" if record.source_page is not None else record.source_format
    path = f"{record.id}/source.{KEPT_EXTENSIONS.get(kept_format, 'bin')}"
    return path, record.created_at + pipeline.keep_sources


def _keep_source(pipeline: Pipeline, record: Extraction, data: bytes) -> bool:
    """Keep the picture for the extraction's overlay; whether it was (best effort: the
    crops are filed all the same)."""
    assert pipeline.sources is not None and record.source_path is not None
    try:
        return pipeline.sources.put_exact(record.source_path, data) is not None
    except Exception:
        log.warning("could not keep the picture of extraction %s", record.id, exc_info=True)
        return False


def _output_file(cut: CutCrop, record: Extraction) -> OutputFile:
    assert cut.stored is not None
    return OutputFile(
        path=cut.stored.path,
        folder=cut.stored.folder,
        name=cut.stored.name,
        bytes=cut.stored.bytes,
        created_at=record.created_at,
        extraction_id=record.id,
    )


def _write_reserved(
    pipeline: Pipeline, extraction_id: uuid.UUID, path: str, cut: CutCrop
) -> StoredFile:
    """Write a crop at its reserved path; when something else put a file there, reserve
    the next free name and write there instead (nothing is ever overwritten)."""
    pipeline.in_flight.check()
    while True:
        stored = pipeline.storage.put_exact(path, cut.data)
        if stored is not None:
            return stored
        folder, name = path.rsplit("/", 1)
        with session_scope(pipeline.sessions) as session:
            path = intents.reserve_path(
                session,
                folder=folder,
                stem=name.rsplit(".", 1)[0],
                extension=cut.extension,
                extraction_id=extraction_id,
            )


def _undo(pipeline: Pipeline, record: Extraction, crops: Sequence[CutCrop]) -> None:
    """Remove what a failed extraction wrote and its intent; a sweep finishes the rest."""
    for cut in crops:
        if cut.stored is not None:
            try:
                pipeline.storage.delete(cut.stored.path)
            except Exception:
                log.exception("could not remove %s of a failed extraction", cut.stored.path)
            cut.stored = None
    try:
        intents.abandon(pipeline.sessions, pipeline.storage, record.id, sources=pipeline.sources)
    except Exception:
        log.exception("extraction %s is left pending for the sweep", record.id)


def _table(entity: type[Crop] | type[OutputFile]) -> Table:
    """The table an entity is mapped to, for a Core statement (no ORM work per row)."""
    return cast(Table, entity.__table__)


def _rows(objects: Sequence[Crop] | Sequence[OutputFile]) -> list[dict[str, Any]]:
    """Each object's columns, as the rows of a table's insert."""
    if not objects:
        return []
    mapper: Mapper[Any] = inspect(type(objects[0]))
    keys = [(attribute.columns[0].key, attribute.key) for attribute in mapper.column_attrs]
    return [{column: getattr(item, key) for column, key in keys} for item in objects]


def crop_record(position: int, cut: CutCrop, extraction_id: uuid.UUID | None = None) -> Crop:
    return Crop(
        id=uuid.uuid4(),
        extraction_id=extraction_id,
        position=position,
        zone_id=cut.zone.id,
        zone_name=cut.zone.name,
        folder=cut.zone.folder,
        page=cut.zone.page,
        path=cut.stored.path if cut.stored else "",
        width=cut.width,
        height=cut.height,
        bytes=len(cut.data),
        quad=cut.placement.quad,
        confidence=cut.placement.confidence,
    )
