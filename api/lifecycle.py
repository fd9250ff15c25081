"""What the app holds while it runs: database, stores and caches on ``app.state``, and
the work started and stopped with it (migrations, the heartbeat of this worker's
instance, the intent sweeper, and with ``ZONECUT_JOB_RUNNER`` the job runner and the
webhook sender)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.formparsers import MultiPartParser

from api.db import is_at_head, make_sessionmaker, migration_lock, upgrade_database
from api.services.extraction.alignment import ReferenceCache
from api.services.extraction.filing import abort_in_flight
from api.services.extraction.intents import IntentSweeper
from api.services.extraction.pipeline import InFlight, Pipeline
from api.services.identity.passwords import limit_hashing
from api.services.jobs.runner import JobRunner
from api.services.jobs.work import JobWork
from api.services.leases import Heartbeat
from api.services.models.suggestions import SuggestionCache
from api.services.outputs import register_existing
from api.services.samples.parts import PreviewCache
from api.services.webhooks.events import Events
from api.services.webhooks.sender import Sending, WebhookSender
from api.settings import Settings
from api.storage.factory import open_storage

# app.state attribute -> storage area: crops, reference pictures, refused pictures, kept
# sources, models' samples, the uploads of jobs
STORAGE_AREAS = {
    "storage": "outputs",
    "references": "references",
    "reviews": "reviews",
    "sources": "sources",
    "samples": "samples",
    "job_uploads": "jobs",
}
log = logging.getLogger("zonecut")


def attach_state(app: FastAPI, settings: Settings, engine: Engine) -> None:
    """Put what the routes' dependencies read on ``app.state``."""
    app.state.settings = settings
    # An uploaded picture is read whole into memory to be decoded; spooling it to a
    # temporary file first would only add a disk write and read to every request.
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, settings.max_upload_bytes)
    # Argon2 takes 64 MiB a hash: a few at a time per process, whatever arrives at once.
    limit_hashing(settings.hash_concurrency, settings.hash_wait_seconds)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    for state_name, area in STORAGE_AREAS.items():  # laid out like the data folder
        storage = open_storage(
            settings.storage_url,
            area=area,
            local_root=settings.data_dir,
            endpoint_url=settings.s3_endpoint_url,
        )
        setattr(app.state, state_name, storage)
    app.state.heartbeat = Heartbeat(app.state.sessionmaker, every=settings.heartbeat_every)
    app.state.in_flight = InFlight()  # the extractions being filed, for the drain
    app.state.reference_cache = ReferenceCache(
        app.state.references, max_pixels=settings.max_image_pixels
    )
    app.state.sample_previews = PreviewCache()  # crops a samples check cut lately
    app.state.suggestion_cache = SuggestionCache(
        app.state.references, max_pixels=settings.max_image_pixels
    )
    app.state.events = Events()  # extraction.created and the others, to the webhooks
    app.state.job_runner = None  # started with the app when ZONECUT_JOB_RUNNER is on


def make_pipeline(app: FastAPI, *, for_jobs: bool = False) -> Pipeline:
    """The extraction's parts of the app; ``for_jobs``: within the limits of a job (its
    documents may have up to ZONECUT_JOB_MAX_PAGES pages)."""
    settings: Settings = app.state.settings
    return Pipeline(
        sessions=app.state.sessionmaker,
        storage=app.state.storage,
        references=app.state.reference_cache,
        max_pixels=settings.max_image_pixels,
        max_pages=settings.job_max_pages if for_jobs else settings.max_pages,
        max_request_pixels=settings.max_request_pixels,
        max_parts=settings.job_max_parts if for_jobs else settings.max_parts,
        reviews=app.state.reviews,
        sources=app.state.sources,
        keep_sources=timedelta(days=settings.keep_sources_days),
        pending_timeout=timedelta(seconds=settings.intent_timeout_seconds),
        holder=app.state.heartbeat.instance_id,
        lease=timedelta(seconds=settings.lease_seconds),
        idempotency_wait=timedelta(seconds=settings.idempotency_wait_seconds),
        in_flight=app.state.in_flight,
        events=app.state.events,
    )


def start_runner(app: FastAPI) -> tuple[JobRunner, WebhookSender]:
    """Start this process's job runner and webhook sender (:mod:`api.services.jobs.runner`,
    :mod:`api.services.webhooks.sender`), woken by the jobs and events of this process."""
    settings: Settings = app.state.settings
    lease = timedelta(seconds=settings.lease_seconds)
    runner = JobRunner(
        JobWork(
            make_pipeline(app, for_jobs=True),
            app.state.job_uploads,
            keep_uploads=timedelta(days=settings.keep_sources_days),
        ),
        workers=settings.job_workers,
        poll=settings.job_poll_seconds,
        lease=lease,
    )
    sender = WebhookSender(
        app.state.sessionmaker,
        app.state.heartbeat.instance_id,
        Sending(
            allow_private=settings.webhook_allow_private,
            timeout=settings.webhook_timeout_seconds,
            retry=timedelta(seconds=settings.webhook_retry_seconds),
        ),
        lease=lease,
        poll=settings.job_poll_seconds,
    )
    app.state.events.wake = sender.wake
    app.state.job_runner = runner
    runner.start()
    sender.start()
    return runner, sender


def release_leases(app: FastAPI) -> None:
    """Stop this worker's heartbeat and release its leases: what it still holds is then
    swept or taken over by the other instances at once. For the end of a graceful
    shutdown, once the work in flight has finished or was undone; safe to call twice."""
    app.state.heartbeat.stop()


def lifespan(
    settings: Settings, engine: Engine
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up and shut-down of the app: migrate, register files, run the sweeper."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        if not is_at_head(engine):
            log.info("applying database migrations")
            upgrade_database(settings.effective_database_url)
        with migration_lock(settings.effective_database_url):  # once, not once per worker
            register_existing(app.state.sessionmaker, app.state.storage)
        # this worker's instance: the work it starts is its own while it beats
        app.state.heartbeat.start()
        sweeper = IntentSweeper(
            app.state.sessionmaker,
            app.state.storage,
            timedelta(seconds=settings.intent_timeout_seconds),
            sources=app.state.sources,
            lease=timedelta(seconds=settings.lease_seconds),
        )
        sweeper.start()
        background = start_runner(app) if settings.job_runner else None
        yield
        if background is not None:  # each job given back after the page it is cutting
            runner, sender = background
            runner.stop(wait=settings.drain_seconds)
            sender.stop()
        # The server has drained (api.edge.drain): what is still filing now is undone.
        abort_in_flight(app.state.in_flight, app.state.sessionmaker, app.state.storage)
        sweeper.stop()
        release_leases(app)
        engine.dispose()

    return run
