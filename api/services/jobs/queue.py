"""Jobs as records: started from an upload, listed per caller, read, cancelled, taken up
by a worker, and their pages (items) listed.

A job is started in steps that leave nothing half-made. Every part of the upload (already
spooled to a temporary file by the form parser) is read once to hash and sniff it; then
the caller's Idempotency-Key is claimed, so that a retry answers the job the first request
started without storing anything; then the job and the names of its parts are recorded
(``uploading``, held by this instance) before a byte is written to the jobs store; then
the parts are streamed there; only then is the job ``queued`` (with the key's answer, in
the same transaction). A process that dies while uploading leaves a job whose holder's
lease lapses: the runner's sweep removes its parts and the job (:func:`sweep_uploads`).

A worker takes a job up with a row claim (:func:`claim_next`): ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL, a conditional ``UPDATE`` on SQLite (whose writers queue on one
lock anyway). A job whose holder's lease lapsed is taken up again like a queued one.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from api import errors
from api.db import on_commit, session_scope
from api.imaging.documents import sniff_document
from api.services import leases
from api.services.extraction import replay
from api.services.extraction.batch import too_many_parts
from api.services.extraction.pipeline import ModelSnapshot
from api.services.extraction.run import check_has_zones
from api.services.models.catalog import find_model
from api.storage import FileNotFoundInStorage, Storage
from api.tables import Extraction, IdempotentRequest, Job, JobPart, utcnow

HASH_CHUNK = 1024 * 1024
# how a job's status reads from the outside: "uploading" is never shown
VISIBLE = ("queued", "running", "done", "failed", "cancelled")
ACTIVE = ("queued", "running")


def job_caller(job_id: uuid.UUID) -> str:
    """The caller under which the pages of a job are kept (:mod:`.work`)."""
    return f"job:{job_id}"


def unit_key(part: int, page: int) -> str:
    """The key of one page of a part (page 0: the part as a whole); keys sort in order."""
    return f"{part:06d}/{page:06d}"


def parse_unit_key(key: str) -> tuple[int, int | None]:
    """(part, page or None) of a unit key."""
    part, _, page = key.partition("/")
    return int(part), int(page) or None


@dataclass(frozen=True)
class JobUpload:
    """One uploaded file of a job request, spooled by the form parser."""

    filename: str
    file: BinaryIO


@dataclass(frozen=True)
class JobRequest:
    """What ``POST /extract`` with ``Prefer: respond-async`` asks for."""

    model: str
    parts: tuple[JobUpload, ...]
    caller: str
    created_by: str
    each_page: bool = False
    output_format: str | None = None
    alignment: str | None = None
    idempotency_key: str | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The options as the job keeps them."""
        return {
            "format": self.output_format,
            "alignment": self.alignment,
            "pages": "each" if self.each_page else None,
        }

    def fingerprint(self, model_id: uuid.UUID, hashes: Sequence[str]) -> str:
        """Identity of the request for its Idempotency-Key: a job, the model, the options
        and every part's content in order (never equal to a synchronous request's)."""
        options = [self.options[name] or "" for name in ("format", "alignment", "pages")]
        identity = ["job", str(model_id), *options, *hashes]
        return hashlib.sha256("\x1f".join(identity).encode()).hexdigest()


@dataclass(frozen=True)
class PartFacts:
    """What is known of a part before it is stored."""

    number: int
    filename: str
    bytes: int
    sha256: str
    document: bool


@dataclass(frozen=True)
class StartedJob:
    """The job a request started, or the one a retry with its key is answered."""

    job: Job
    replayed: bool = False


@dataclass(frozen=True)
class Claiming:
    """How this instance claims Idempotency-Keys (as :class:`Pipeline` says)."""

    holder: uuid.UUID | None
    lease: timedelta
    pending_timeout: timedelta
    wait: timedelta


def start_job(
    sessions: sessionmaker[Session],
    uploads: Storage,
    request: JobRequest,
    claiming: Claiming,
    *,
    max_parts: int,
    queued: Callable[[], None] | None = None,
) -> StartedJob:
    """Store the upload and queue a job for it, or answer the job an earlier request
    with the same Idempotency-Key started. ``queued`` is called once the job is queued.

    422 for an unknown model, one without zones, ``pages=each`` with a model of several
    pages or an empty part; 413 past ``max_parts`` parts.
    """
    if not request.parts:
        raise errors.validation_failed([errors.FieldError(field="image", message="no file")])
    if len(request.parts) > max_parts:
        raise too_many_parts(len(request.parts), max_parts, job=True)
    with session_scope(sessions) as session:
        model = ModelSnapshot.of(find_model(session, request.model))
    check_has_zones(model)
    if request.each_page and model.page_count > 1:
        raise errors.PageCountMismatch(
            f"pages=each cuts every page as its own picture, with a model of one page; "
            f"model '{model.name}' has {model.page_count} pages (nothing was queued)"
        )
    facts = [_measure(number, part) for number, part in enumerate(request.parts, start=1)]
    claim: uuid.UUID | None = None
    if request.idempotency_key is not None:
        claimed = replay.claim(
            sessions,
            caller=request.caller,
            key=request.idempotency_key,
            fingerprint=request.fingerprint(model.id, [part.sha256 for part in facts]),
            stale_after=claiming.pending_timeout,
            holder=claiming.holder,
            lease=claiming.lease,
            wait=claiming.wait,
        )
        if isinstance(claimed, replay.KeptAnswer):
            return StartedJob(_kept_job(sessions, claimed), replayed=True)
        claim = claimed
    job_id = uuid.uuid4()
    written: list[str] = []
    try:
        with session_scope(sessions) as session:
            session.add(
                Job(
                    id=job_id,
                    caller=request.caller,
                    created_by=request.created_by,
                    model_id=model.id,
                    model_name=model.name,
                    options=request.options,
                    part_count=len(facts),
                    filename=facts[0].filename,
                    status="uploading",
                    done=0,
                    filed=0,
                    refused=0,
                    attempts=0,
                    created_at=utcnow(),
                    holder=claiming.holder,
                    parts=[
                        JobPart(
                            id=uuid.uuid4(),
                            number=part.number,
                            filename=part.filename,
                            path=_part_path(job_id, part.number),
                            bytes=part.bytes,
                            sha256=part.sha256,
                            document=part.document,
                            units=None if part.document and request.each_page else 1,
                        )
                        for part in facts
                    ],
                )
            )
        for number, upload in enumerate(request.parts, start=1):
            path = _part_path(job_id, number)
            upload.file.seek(0)
            if uploads.put_file(path, upload.file) is None:
                raise errors.Conflict(f"the upload of job {job_id} found its name taken")
            written.append(path)
        with session_scope(sessions) as session:
            session.execute(
                update(Job).where(Job.id == job_id).values(status="queued", holder=None)
            )
            if claim is not None:
                replay.keep_job(session, claim, job_id)
            if queued is not None:
                on_commit(session, queued)
            job = _load(session, job_id)
    except BaseException:
        _discard(sessions, uploads, job_id, written)
        if claim is not None:
            replay.release(sessions, claim)
        raise
    return StartedJob(job)


def _measure(number: int, upload: JobUpload) -> PartFacts:
    """Hash, size and sniff a part, reading it once; 422 for an empty one."""
    digest = hashlib.sha256()
    upload.file.seek(0)
    head = upload.file.read(1024)
    size = len(head)
    digest.update(head)
    while chunk := upload.file.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    if size == 0:
        raise errors.validation_failed(
            [errors.FieldError(field=f"image[{number}]", message="the file is empty")]
        )
    return PartFacts(
        number=number,
        filename=(upload.filename or "picture")[:300],
        bytes=size,
        sha256=digest.hexdigest(),
        document=sniff_document(head) is not None,
    )


def _part_path(job_id: uuid.UUID, number: int) -> str:
    return f"{job_id}/part-{number:06d}.upload"


def _kept_job(sessions: sessionmaker[Session], answer: replay.KeptAnswer) -> Job:
    if answer.job is None:  # pragma: no cover - the fingerprints of the kinds never match
        raise errors.IdempotencyKeyReused("this Idempotency-Key was used for a request, not a job")
    with session_scope(sessions) as session:
        return _load(session, answer.job)


def _load(session: Session, job_id: uuid.UUID) -> Job:
    job = session.get(Job, job_id)
    if job is None:  # pragma: no cover - jobs are never deleted
        raise errors.NotFound(f"job {job_id} does not exist")
    return job


def _discard(
    sessions: sessionmaker[Session], uploads: Storage, job_id: uuid.UUID, paths: Sequence[str]
) -> None:
    """Remove what a start that failed stored, then the job; a sweep finishes the rest."""
    for path in paths:
        try:
            uploads.delete(path)
        except FileNotFoundInStorage:
            pass
        except Exception:  # the sweep of uploading jobs tries again
            return
    with session_scope(sessions) as session:
        job = session.get(Job, job_id)
        if job is not None and job.status == "uploading":
            session.delete(job)


def list_jobs(
    session: Session, *, caller: str, limit: int, offset: int
) -> tuple[Sequence[Job], int]:
    """A page of the caller's jobs, newest first, and how many there are."""
    condition = (Job.caller == caller) & Job.status.in_(VISIBLE)
    total = session.scalar(select(func.count()).select_from(Job).where(condition)) or 0
    jobs = session.scalars(
        select(Job)
        .where(condition)
        .order_by(Job.created_at.desc(), Job.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return jobs, total


def load_job(session: Session, job_id: uuid.UUID, *, caller: str | None) -> Job:
    """The job, or 404: also when it is another caller's (``caller`` None: anyone's)."""
    job = session.get(Job, job_id)
    if job is None or job.status not in VISIBLE or (caller is not None and job.caller != caller):
        raise errors.NotFound(f"job {job_id} does not exist")
    return job


def cancel_job(session: Session, job: Job, *, keep_uploads: timedelta) -> Job:
    """Cancel a queued or running job: a worker stops before its next page, and what is
    filed stays. 409 for a job that ended."""
    now = utcnow()
    cancelled = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status.in_(ACTIVE))
        .values(status="cancelled", finished_at=now, kept_until=now + keep_uploads)
    )
    if cancelled.rowcount != 1:  # type: ignore[attr-defined]
        raise errors.Conflict(f"job {job.id} has ended ({job.status}): there is nothing to cancel")
    session.refresh(job)
    return job


@dataclass(frozen=True)
class JobItem:
    """One page (or part) of a job, cut: its extraction, or why it was refused."""

    part: int
    page: int | None
    extraction: Extraction | None = None
    refusal: errors.Refusal | None = None


def list_items(session: Session, job: Job, *, limit: int, offset: int) -> tuple[list[JobItem], int]:
    """A page of the job's pages cut so far, in order of part and page, and how many."""
    condition = (IdempotentRequest.caller == job_caller(job.id)) & (
        IdempotentRequest.status == "done"
    )
    total = session.scalar(select(func.count()).select_from(IdempotentRequest).where(condition))
    rows = session.execute(
        select(IdempotentRequest.key, IdempotentRequest.answer)
        .where(condition)
        .order_by(IdempotentRequest.key)
        .limit(limit)
        .offset(offset)
    ).all()
    wanted = [
        uuid.UUID(value) for _, answer in rows for value in (answer or {}).get("extractions", [])
    ]
    records = {
        record.id: record
        for record in session.scalars(
            select(Extraction)
            .where(Extraction.id.in_(wanted))
            .options(selectinload(Extraction.crops))
        )
    }
    items: list[JobItem] = []
    for key, answer in rows:
        part, page = parse_unit_key(key)
        filed = [records[uuid.UUID(value)] for value in (answer or {}).get("extractions", [])]
        if filed:
            items.append(JobItem(part, page, extraction=filed[0]))
            continue
        refused = (answer or {}).get("refused") or [{}]
        refusal = errors.Refusal.model_validate(refused[0] | {"part": part, "page": page})
        items.append(JobItem(part, page, refusal=refusal))
    return items, total or 0


def claim_next(
    sessions: sessionmaker[Session], holder: uuid.UUID, lease: timedelta
) -> uuid.UUID | None:
    """Take up the oldest job that waits (queued, given back, or whose holder died), for
    the instance ``holder``; its id, or None when there is none."""
    now = utcnow()
    with session_scope(sessions) as session:
        query = (
            select(Job.id, Job.holder)
            .where(
                Job.status.in_(ACTIVE),
                leases.lapsed(Job.holder, lease),
                or_(Job.not_before.is_(None), Job.not_before <= now),
            )
            .order_by(Job.created_at, Job.id)
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Job)
        found = session.execute(query).first()
        if found is None:
            return None
        job_id, earlier = found
        same_holder = Job.holder.is_(None) if earlier is None else Job.holder == earlier
        taken = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status.in_(ACTIVE), same_holder)
            .values(holder=holder, status="running", started_at=func.coalesce(Job.started_at, now))
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None  # taken by another worker a moment ago
    return job_id


def remove_expired_uploads(sessions: sessionmaker[Session], uploads: Storage) -> int:
    """Remove the uploads of jobs whose keeping time is over; how many."""
    with session_scope(sessions) as session:
        expired = session.execute(
            select(JobPart.id, JobPart.path)
            .join(Job, Job.id == JobPart.job_id)
            .where(JobPart.path.is_not(None), Job.kept_until < utcnow())
        ).all()
    removed = 0
    for part_id, path in expired:
        try:
            uploads.delete(str(path))
        except FileNotFoundInStorage:
            pass
        except Exception:
            continue  # the store is away: next time
        with session_scope(sessions) as session:
            session.execute(update(JobPart).where(JobPart.id == part_id).values(path=None))
        removed += 1
    return removed


def sweep_uploads(sessions: sessionmaker[Session], uploads: Storage, lease: timedelta) -> int:
    """Remove the jobs whose upload was cut short by the death of their instance, with
    what they stored; how many."""
    with session_scope(sessions) as session:
        abandoned = session.execute(
            select(Job.id, JobPart.path)
            .outerjoin(JobPart, JobPart.job_id == Job.id)
            .where(
                Job.status == "uploading",
                Job.holder.is_not(None),
                leases.lapsed(Job.holder, lease),
            )
        ).all()
    paths: dict[uuid.UUID, list[str]] = {}
    for job_id, path in abandoned:
        paths.setdefault(job_id, []).extend([path] if path else [])
    for job_id, kept in paths.items():
        _discard(sessions, uploads, job_id, kept)
    return len(paths)
