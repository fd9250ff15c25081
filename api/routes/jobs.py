"""Jobs: `POST /extract` with `Prefer: respond-async` queues one (:func:`queue_job`); the
caller follows it here, lists its pages, or cancels it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, UploadFile

from api import errors
from api.db import SessionDep, SessionFactoryDep
from api.edge.access import Reader
from api.edge.deps import SettingsDep
from api.edge.presenters import job_item_read, job_read, job_url
from api.edge.problems import problem_responses
from api.schemas.common import MAX_OFFSET
from api.schemas.jobs import JobItemList, JobList, JobRead
from api.services.identity.credentials import Principal
from api.services.jobs import queue
from api.settings import Settings

router = APIRouter(prefix="/jobs", tags=["jobs"])


def _owner(principal: Principal) -> str | None:
    """Whose jobs a principal may read: its own; an admin's (unscoped) anyone's."""
    return None if principal.has_role("admin") and principal.models is None else principal.caller


def queue_job(
    request: Request,
    reader: Principal,
    sessions: SessionFactoryDep,
    settings: Settings,
    *,
    model: str,
    image: Sequence[UploadFile],
    output_format: str | None,
    alignment: str | None,
    each_page: bool,
    idempotency_key: str | None,
) -> Response:
    """Store the upload and queue its job: 202 with ``Location``; a retry with the same
    Idempotency-Key gets the same job."""
    state = request.app.state
    runner = state.job_runner
    started = queue.start_job(
        sessions,
        state.job_uploads,
        queue.JobRequest(
            model=model,
            parts=tuple(queue.JobUpload(part.filename or "picture", part.file) for part in image),
            caller=reader.caller,
            created_by=reader.actor,
            each_page=each_page,
            output_format=output_format,
            alignment=alignment,
            idempotency_key=idempotency_key,
        ),
        queue.Claiming(
            holder=state.heartbeat.instance_id,
            lease=timedelta(seconds=settings.lease_seconds),
            pending_timeout=timedelta(seconds=settings.intent_timeout_seconds),
            wait=timedelta(seconds=settings.idempotency_wait_seconds),
        ),
        max_parts=settings.job_max_parts,
        queued=runner.wake if runner is not None else None,
    )
    headers = {"Location": job_url(started.job), "Preference-Applied": "respond-async"}
    if started.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        job_read(started.job).model_dump_json(),
        status_code=202,
        media_type="application/json",
        headers=headers,
    )


@router.get(
    "",
    operation_id="listJobs",
    summary="List your jobs",
    description="The jobs you started (`POST /extract` with `Prefer: respond-async`), "
    "newest first, with their progress.",
    responses=problem_responses(),
)
def list_jobs(
    reader: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobList:
    jobs, total = queue.list_jobs(session, caller=reader.caller, limit=limit, offset=offset)
    return JobList(items=[job_read(job) for job in jobs], total=total, limit=limit, offset=offset)


@router.get(
    "/{job_id:uuid}",
    operation_id="getJob",
    summary="Get a job",
    description="Its status and progress (`{done, total}` pages, or parts), how many pages "
    "were filed and refused, and where they are listed. Another caller's job is 404 (an "
    "admin reads any).",
    responses=problem_responses(errors.NotFound),
)
def get_job(
    reader: Reader,
    session: SessionDep,
    job_id: Annotated[uuid.UUID, Path(description="The job's id.")],
) -> JobRead:
    return job_read(queue.load_job(session, job_id, caller=_owner(reader)))


@router.get(
    "/{job_id:uuid}/items",
    operation_id="listJobItems",
    summary="List the pages of a job",
    description="Every page (with `pages=each`) or part cut so far, in order: its "
    "extraction, or its refusal (kept for review when the model says so, with `review_id`).",
    responses=problem_responses(errors.NotFound),
)
def list_job_items(
    reader: Reader,
    session: SessionDep,
    job_id: Annotated[uuid.UUID, Path(description="The job's id.")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobItemList:
    job = queue.load_job(session, job_id, caller=_owner(reader))
    items, total = queue.list_items(session, job, limit=limit, offset=offset)
    return JobItemList(
        items=[job_item_read(item) for item in items], total=total, limit=limit, offset=offset
    )


@router.delete(
    "/{job_id:uuid}",
    operation_id="cancelJob",
    summary="Cancel a job",
    description="Stops the job before its next page: what was filed stays filed (the page "
    "being cut when this arrives is finished). 409 for a job that has ended.",
    responses=problem_responses(errors.NotFound, errors.Conflict),
)
def cancel_job(
    reader: Reader,
    session: SessionDep,
    settings: SettingsDep,
    job_id: Annotated[uuid.UUID, Path(description="The job's id.")],
) -> JobRead:
    job = queue.load_job(session, job_id, caller=_owner(reader))
    keep = timedelta(days=settings.keep_sources_days)
    return job_read(queue.cancel_job(session, job, keep_uploads=keep))
