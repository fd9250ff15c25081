"""Cutting a job, page after page, so that whoever resumes it cuts nothing twice.

Each page of a part (with ``pages=each``), or each part as a whole, is a unit. A unit is
cut through the extraction's own steps (:mod:`api.services.extraction.run`) as a request
whose Idempotency-Key is the unit's (caller ``job:<id>``, key ``<part>/<page>``): its
claim is kept in the very transaction that files its extraction (:mod:`..filing`) or
keeps its refusal and review item (:mod:`..refusals`), so a unit is done exactly when
what it made is committed. A worker that resumes the job (its holder died, or gave it
back) finds the units done and skips them; a unit whose worker died half-way is taken
over once that worker's lease lapsed, its half-written files swept as any intent's.

Between units the worker counts the progress and looks at the job: cancelled, or taken
up by another worker (its own lease lapsed), it stops there.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, selectinload

from api import errors, metrics
from api.db import session_scope
from api.imaging.encode import encode_image
from api.services.extraction import replay
from api.services.extraction.pipeline import (
    ExtractRequest,
    ModelSnapshot,
    Pipeline,
    SourceFacts,
)
from api.services.extraction.run import (
    check_has_zones,
    cut_pictures,
    extract_upload,
    pixels_to_render,
)
from api.services.jobs.queue import job_caller, unit_key
from api.services.models.catalog import find_model
from api.services.uploads import Upload, check_request_pixels, open_upload
from api.storage import FileNotFoundInStorage, Storage, StorageError
from api.tables import IdempotentRequest, Job, JobPart, utcnow

log = logging.getLogger(__name__)
# a job given back this many times on server errors (the store away) fails
MAX_ATTEMPTS = 5


class Stopped(Exception):
    """The job is no longer this worker's to cut: cancelled, or taken up elsewhere."""


@dataclass(frozen=True)
class JobWork:
    """What cutting jobs needs: the pipeline (with the job limits), the jobs store, how
    long uploads are kept after the end, and whether to stop (the process is stopping)."""

    pipeline: Pipeline
    uploads: Storage
    keep_uploads: timedelta
    stopping: Callable[[], bool] = lambda: False

    @property
    def holder(self) -> uuid.UUID:
        assert self.pipeline.holder is not None, "a worker holds its jobs by its instance"
        return self.pipeline.holder


@dataclass(frozen=True)
class PartToCut:
    number: int
    filename: str
    path: str | None
    sha256: str
    document: bool
    units: int | None


@dataclass(frozen=True)
class JobToCut:
    id: uuid.UUID
    model_id: uuid.UUID | None
    created_by: str
    output_format: str | None
    alignment: str | None
    each_page: bool
    parts: tuple[PartToCut, ...]


def run_job(work: JobWork, job_id: uuid.UUID) -> None:
    """Cut the job this worker took up, from where it stands, to its end; give it back
    when the process stops, and on a server error (failing it past a few)."""
    try:
        _run(work, job_id)
    except Stopped:
        _let_go(work, job_id)
    except (errors.ServiceUnavailable, errors.StillRunning) as exc:
        _give_back(work, job_id, str(exc))
    except errors.AppError as exc:
        if exc.status >= 500:
            _give_back(work, job_id, exc.detail)
        else:
            _finish(work, job_id, "failed", exc.detail)
    except Exception as exc:
        if _is_transient(exc):
            _give_back(work, job_id, str(exc))
        else:
            log.exception("job %s failed", job_id)
            _finish(work, job_id, "failed", "the server failed while cutting; it was logged")


def _run(work: JobWork, job_id: uuid.UUID) -> None:
    job = _snapshot(work, job_id)
    sessions = work.pipeline.sessions
    try:
        with session_scope(sessions) as session:
            if job.model_id is None:
                raise errors.NotFound("the model of this job was deleted")
            model = ModelSnapshot.of(find_model(session, str(job.model_id)))
    except errors.NotFound:
        raise errors.Conflict("the model of this job was deleted: nothing more is cut") from None
    check_has_zones(model)
    if job.each_page and model.page_count > 1:
        raise errors.PageCountMismatch(
            f"model '{model.name}' now has {model.page_count} pages: pages=each needs one"
        )
    done = _recount(work, job.id)
    parts = _plan(work, job, done)
    for part in parts:
        keys = _keys(job, part)
        if keys and keys <= done:
            continue
        _check(work, job.id)
        _cut_part(work, job, model, part, done)
    _finish(work, job.id, "done", None)


def _snapshot(work: JobWork, job_id: uuid.UUID) -> JobToCut:
    with session_scope(work.pipeline.sessions) as session:
        job = session.scalar(select(Job).where(Job.id == job_id).options(selectinload(Job.parts)))
        if job is None or job.holder != work.holder or job.status != "running":
            raise Stopped
        return JobToCut(
            id=job.id,
            model_id=job.model_id,
            created_by=job.created_by,
            output_format=job.options.get("format"),
            alignment=job.options.get("alignment"),
            each_page=job.options.get("pages") == "each",
            parts=tuple(
                PartToCut(p.number, p.filename, p.path, p.sha256, p.document, p.units)
                for p in job.parts
            ),
        )


def _keys(job: JobToCut, part: PartToCut) -> set[str]:
    """The keys of a part's units, once counted: its pages with ``pages=each``, else the
    part as a whole (page 0), as for a document that cannot be opened (0 units)."""
    if not job.each_page or not part.document or part.units == 0:
        return {unit_key(part.number, 0)}
    if part.units is None:
        return set()
    return {unit_key(part.number, page) for page in range(1, part.units + 1)}


def _recount(work: JobWork, job_id: uuid.UUID) -> set[str]:
    """The keys of the units done, with the progress counted anew from them."""
    with session_scope(work.pipeline.sessions) as session:
        rows = session.execute(
            select(IdempotentRequest.key, IdempotentRequest.answer).where(
                IdempotentRequest.caller == job_caller(job_id),
                IdempotentRequest.status == "done",
            )
        ).all()
        filed = sum(1 for _, answer in rows if (answer or {}).get("extractions"))
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.holder == work.holder)
            .values(done=len(rows), filed=filed, refused=len(rows) - filed)
        )
    return {key for key, _ in rows}


def _plan(work: JobWork, job: JobToCut, done: set[str]) -> list[PartToCut]:
    """Count the pages of the documents not counted yet; the job's total."""
    parts: list[PartToCut] = []
    for part in job.parts:
        if part.units is None:
            _check(work, job.id)
            part = replace(part, units=_count_units(work, part))
            with session_scope(work.pipeline.sessions) as session:
                session.execute(
                    update(JobPart)
                    .where(JobPart.job_id == job.id, JobPart.number == part.number)
                    .values(units=part.units)
                )
        parts.append(part)
    total = sum(max(1, part.units or 0) for part in parts)
    with session_scope(work.pipeline.sessions) as session:
        session.execute(update(Job).where(Job.id == job.id).values(total=total))
    return parts


def _count_units(work: JobWork, part: PartToCut) -> int:
    """A document's pages; 0 for one that cannot be opened (refused whole, one refusal)."""
    try:
        _, upload = _open(work, part)
    except errors.AppError as exc:
        if exc.status >= 500:
            raise
        return 0
    with upload:
        return upload.page_count


def _open(work: JobWork, part: PartToCut) -> tuple[bytes, Upload]:
    """The part's bytes and the part opened within the job limits (nothing rendered)."""
    if part.path is None:
        raise errors.Gone(f"the upload of part {part.number} is no longer kept")
    try:
        data = work.uploads.read(part.path)
    except FileNotFoundInStorage:
        raise errors.Gone(f"the upload of part {part.number} is missing from the store") from None
    pipeline = work.pipeline
    return data, open_upload(data, max_pixels=pipeline.max_pixels, max_pages=pipeline.max_pages)


def _cut_part(
    work: JobWork, job: JobToCut, model: ModelSnapshot, part: PartToCut, done: set[str]
) -> None:
    """Cut the units of one part that are not done yet."""
    pipeline = work.pipeline
    whole = unit_key(part.number, 0)
    try:
        data, upload = _open(work, part)
    except errors.AppError as refusal:
        if refusal.status >= 500:
            raise
        _unit(work, job, whole, _refuser(refusal))
        return
    with upload:
        request = ExtractRequest(
            model=str(model.id),
            filename=part.filename,
            data=data,
            output_format=job.output_format,
            alignment=job.alignment,
            created_by=job.created_by,
        )
        if not job.each_page or not part.document:

            def cut_whole(claim: uuid.UUID) -> None:
                started = time.perf_counter()
                if job.each_page:  # a picture: its one page, as a picture of its own
                    pixels = pixels_to_render(upload, model, each_page=True)
                else:
                    pixels = pixels_to_render(upload, model)
                check_request_pixels(pixels, upload.page_count, pipeline.max_request_pixels)
                extract_upload(
                    pipeline, replace(request, claim=claim), model, upload, started, part.sha256
                )

            _unit(work, job, whole, cut_whole)
            return
        reference = model.page_sizes[0]
        for page in range(1, upload.page_count + 1):
            key = unit_key(part.number, page)
            if key in done:
                continue

            def cut_page(claim: uuid.UUID, page: int = page) -> None:
                started = time.perf_counter()
                picture = upload.page(page, reference)
                alone = replace(request, claim=claim)
                if upload.page_count > 1:  # the page alone is kept for the overlay, or review
                    alone = replace(alone, data=encode_image(picture.image, "png"))
                source = SourceFacts(
                    filename=part.filename,
                    format=upload.format,
                    width=picture.width,
                    height=picture.height,
                    bytes=len(request.data),
                    sha256=part.sha256,
                    pages=upload.page_count,
                    page=page if upload.page_count > 1 else None,
                )
                cut_pictures(pipeline, alone, model, [picture], source, started)

            _unit(work, job, key, cut_page)


def _refuser(error: errors.AppError) -> Callable[[uuid.UUID], None]:
    """A unit's cut that is its refusal, for a part that cannot be opened."""

    def refuse(claim: uuid.UUID) -> None:
        raise error

    return refuse


def _unit(work: JobWork, job: JobToCut, key: str, cut: Callable[[uuid.UUID], object]) -> None:
    """Cut one unit under its claim, keep a refusal as its answer, count it; skip it when
    it was done meanwhile. Stops when the job is no longer this worker's."""
    pipeline = work.pipeline
    try:
        claimed = replay.claim(
            pipeline.sessions,
            caller=job_caller(job.id),
            key=key,
            fingerprint=str(job.id),
            stale_after=pipeline.pending_timeout,
            holder=pipeline.holder,
            lease=pipeline.lease,
        )
    except errors.StillRunning:
        raise Stopped from None  # another worker, alive, is on this unit: the job is its
    if isinstance(claimed, replay.KeptAnswer):
        return
    filed = 1
    try:
        cut(claimed)
    except errors.AppError as refusal:
        if refusal.status >= 500:
            replay.release(pipeline.sessions, claimed)
            raise
        filed = 0
        with session_scope(pipeline.sessions) as session:  # unless its review item kept it
            replay.keep_refused(session, claimed, refusal)
        metrics.EXTRACTIONS.labels("refused", job.alignment or "model").inc()
        metrics.REFUSALS.labels(refusal.slug).inc()
    except BaseException:
        replay.release(pipeline.sessions, claimed)
        raise
    else:
        metrics.EXTRACTIONS.labels("filed", job.alignment or "model").inc()
    _count(work, job.id, filed)


def _count(work: JobWork, job_id: uuid.UUID, filed: int) -> None:
    """One more unit done; stop here if the job was cancelled or taken up elsewhere."""
    with session_scope(work.pipeline.sessions) as session:
        counted = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.holder == work.holder)
            .values(done=Job.done + 1, filed=Job.filed + filed, refused=Job.refused + 1 - filed)
        )
        if counted.rowcount != 1:  # type: ignore[attr-defined]
            raise Stopped
    _check(work, job_id)


def _check(work: JobWork, job_id: uuid.UUID) -> None:
    """Stop unless the job is still running and this worker's, and the process goes on."""
    with session_scope(work.pipeline.sessions) as session:
        status = session.scalar(
            select(Job.status).where(Job.id == job_id, Job.holder == work.holder)
        )
    if status != "running" or work.stopping():
        raise Stopped


def _finish(work: JobWork, job_id: uuid.UUID, status: str, error: str | None) -> None:
    """End the job (unless it was cancelled or taken up elsewhere meanwhile), telling the
    webhooks in the same transaction."""
    now = utcnow()
    with session_scope(work.pipeline.sessions) as session:
        ended = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.holder == work.holder, Job.status == "running")
            .values(
                status=status,
                error=error,
                finished_at=now,
                kept_until=now + work.keep_uploads,
                holder=None,
            )
        )
        if ended.rowcount != 1:  # type: ignore[attr-defined]
            _let_go_in(session, work, job_id)
            return
        job = session.get(Job, job_id)
        if job is not None and work.pipeline.events is not None:
            work.pipeline.events.job_finished(session, job)
    log.info("job %s %s", job_id, status)


def _let_go(work: JobWork, job_id: uuid.UUID) -> None:
    """No longer hold the job (it stays as it is: another worker takes it up)."""
    with session_scope(work.pipeline.sessions) as session:
        _let_go_in(session, work, job_id)


def _let_go_in(session: Session, work: JobWork, job_id: uuid.UUID) -> None:
    session.execute(
        update(Job).where(Job.id == job_id, Job.holder == work.holder).values(holder=None)
    )


def _give_back(work: JobWork, job_id: uuid.UUID, why: str) -> None:
    """Give the job back after a server error, to be taken up again a little later; fail
    it once that happened :data:`MAX_ATTEMPTS` times."""
    try:
        with session_scope(work.pipeline.sessions) as session:
            attempts = session.scalar(select(Job.attempts).where(Job.id == job_id)) or 0
        if attempts + 1 >= MAX_ATTEMPTS:
            _finish(work, job_id, "failed", f"given up after {MAX_ATTEMPTS} server errors: {why}")
            return
        log.warning("job %s given back after a server error: %s", job_id, why)
        with session_scope(work.pipeline.sessions) as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.holder == work.holder)
                .values(
                    holder=None,
                    attempts=Job.attempts + 1,
                    not_before=utcnow() + timedelta(seconds=5 * 2**attempts),
                )
            )
    except Exception:  # the database is away: the lease lapses and another takes it up
        log.warning("could not give job %s back", job_id, exc_info=True)


def _is_transient(exc: Exception) -> bool:
    """Whether an unexpected error is the database or the store being away."""
    return isinstance(exc, OperationalError | StorageError)
