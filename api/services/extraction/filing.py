"""Filing the crops of an extraction: names reserved, files written side by side, the
record marked done, or everything undone; the picture kept for the overlay."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
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


def file_and_record(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    record: Extraction,
    crops: Sequence[CutCrop],
    started: float,
) -> ExtractionOutcome:
    """Record the intent with its names reserved, write the files, then mark it done
    (keeping the answer for the request's Idempotency-Key in the same transaction)."""
    with pipeline.in_flight.holding(record.id):
        return _file_and_record(pipeline, request, model, record, crops, started)


def _file_and_record(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    record: Extraction,
    crops: Sequence[CutCrop],
    started: float,
) -> ExtractionOutcome:
    """Two transactions: the intent (the record pending, every name reserved in one
    statement), then, once every file is written, the record done with its crops and
    files. The picture kept for the overlay is written beside the crops, its path in the
    intent, so that undoing the intent removes it too."""
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
            cut.zone.folder,
            render_filename(
                model.filename_template,
                source=source,
                zone=cut.zone.name,
                model=model.name,
                extraction=str(record.id)[:8],
                moment=record.created_at,
            ),
            cut.extension,
        )
        for cut in crops
    ]
    with session_scope(pipeline.sessions) as session:
        session.add(record)
        session.flush()  # the intent, before the names it reserves
        planned = intents.reserve_paths(session, wanted, extraction_id=record.id)
    try:
        # Writing releases the GIL too: the files are written side by side. Every write
        # has ended before anything is undone, so no file lands after the clean-up.
        writes = [
            _filing_threads().submit(_write_reserved, pipeline, record.id, path, cut)
            for path, cut in zip(planned, crops, strict=True)
        ]
        keeping = (
            _filing_threads().submit(_keep_source, pipeline, record, request.data)
            if kept is not None
            else None
        )
        wait(writes)
        source_written = keeping is not None and keeping.result()
        for cut, write in zip(crops, writes, strict=True):
            if write.exception() is None:
                cut.stored = write.result()
        for write in writes:
            write.result()  # the first failure, if any
        pipeline.in_flight.check()  # a drain that ran out: the crops go with the rest
        duration_ms = elapsed_ms(started)
        if kept is not None and not source_written:
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
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise errors.ServiceUnavailable(
                    "the extraction took too long and was swept; nothing was filed, try again",
                    headers={"Retry-After": "1"},
                )
            session.add_all(
                [crop_record(position, cut, record.id) for position, cut in enumerate(crops)]
            )
            session.add_all(_output_file(cut, record) for cut in crops)
            intents.release(session, record.id)
            if request.claim is not None:
                replay.keep_filed(session, request.claim, record.id)
            if pipeline.events is not None:
                pipeline.events.extraction_created(session, record)
    except BaseException:
        _undo(pipeline, record, crops)
        raise
    record.status = "done"
    record.holder = None
    record.duration_ms = duration_ms
    filed = [crop_record(position, cut, record.id) for position, cut in enumerate(crops)]
    set_committed_value(record, "crops", filed)  # as stored: the record is detached now
    return ExtractionOutcome(record, list(crops))


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
