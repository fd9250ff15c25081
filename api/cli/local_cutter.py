"""``zonecut extract`` without ``--server``: this instance's extraction service, run
in-process. Unlike the HTTP client it is the server's own code, imported only when used."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from api.cli.extract.answers import REPLAYED, answer_of
from api.cli.extract.cutter import Answer, ModelRef, PagesDone, Result, Submission
from api.cli.extract.plan import Options, UsageError

if TYPE_CHECKING:
    from api.settings import Settings


class LocalCutter:
    """This instance's extraction service, in-process: the configuration, database and
    storage that ``zonecut serve`` uses, the same pipeline, recorded as made by ``cli``.

    It is a caller of its own: its Idempotency-Keys are kept apart from those of the
    server's users and keys, like theirs from each other's."""

    CREATED_BY = "cli"
    CALLER = "cli"

    def __init__(self, settings: Settings | None = None) -> None:
        from api.cli.usage import load_settings
        from api.db import make_engine, make_sessionmaker, upgrade_database
        from api.services.extraction import intents
        from api.services.extraction.alignment import ReferenceCache
        from api.services.extraction.pipeline import Pipeline
        from api.services.leases import Heartbeat
        from api.storage.factory import open_storage

        settings = settings or load_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(settings.effective_database_url)
        self._engine = make_engine(settings.effective_database_url)
        self._max_bytes = settings.max_upload_bytes
        sessions = make_sessionmaker(self._engine)
        # The areas of the store, as the server opens them (api.lifecycle.STORAGE_AREAS).
        outputs, references, reviews, sources = (
            open_storage(
                settings.storage_url,
                area=area,
                local_root=settings.data_dir,
                endpoint_url=settings.s3_endpoint_url,
            )
            for area in ("outputs", "references", "reviews", "sources")
        )
        # an instance of its own while it runs, like each server worker
        self._heartbeat = Heartbeat(sessions, every=settings.heartbeat_every, kind="cli")
        self._heartbeat.start()
        lease = timedelta(seconds=settings.lease_seconds)
        self._pipeline = Pipeline(
            sessions=sessions,
            storage=outputs,
            references=ReferenceCache(references, max_pixels=settings.max_image_pixels),
            max_pixels=settings.max_image_pixels,
            max_pages=settings.max_pages,
            max_request_pixels=settings.max_request_pixels,
            max_parts=settings.max_parts,
            reviews=reviews,
            sources=sources,
            keep_sources=timedelta(days=settings.keep_sources_days),
            pending_timeout=timedelta(seconds=settings.intent_timeout_seconds),
            holder=self._heartbeat.instance_id,
            lease=lease,
            idempotency_wait=timedelta(seconds=settings.idempotency_wait_seconds),
        )
        # what an interrupted run left pending goes now; a live server's work is its own
        intents.sweep(sessions, outputs, timedelta(seconds=settings.intent_timeout_seconds), lease)

    def resolve_model(self, reference: str) -> ModelRef:
        """The model by id or name, from the database."""
        from api import errors
        from api.db import session_scope
        from api.services.models.catalog import find_model

        try:
            with session_scope(self._pipeline.sessions) as session:
                model = find_model(session, reference)
                return ModelRef(str(model.id), model.name, len(model.zones))
        except errors.NotFound as exc:
            raise UsageError(exc.detail) from exc

    def cut(
        self,
        model: ModelRef,
        submission: Submission,
        options: Options,
        pages_done: PagesDone | None = None,
    ) -> Answer:
        """Run the extraction service on the file, as ``POST /extract`` does: at once, in
        this process (it has no jobs, so ``pages_done`` is never told anything)."""
        from api import errors
        from api.edge.problems import to_problem
        from api.services.extraction.pipeline import ExtractRequest
        from api.services.extraction.run import run_extraction

        try:
            if len(submission.data) > self._max_bytes:
                raise errors.PayloadTooLarge(
                    f"the file is larger than the limit of {self._max_bytes} bytes"
                )
            outcome = run_extraction(
                self._pipeline,
                ExtractRequest(
                    model=model.id,
                    filename=submission.filename,
                    data=submission.data,
                    idempotency_key=submission.idempotency_key,
                    caller=self.CALLER,
                    created_by=self.CREATED_BY,
                ),
            )
        except errors.AppError as exc:
            problem = to_problem(exc).model_dump(mode="json", exclude_none=True)
            return answer_of(exc.status, problem, retry_after=exc.headers.get("Retry-After"))
        record = outcome.record
        return Result(
            "filed",
            (str(record.id),),
            len(record.crops),
            REPLAYED if outcome.replayed else "",
            outcome.replayed,
        )

    def crops(self, extraction_id: str) -> Iterator[tuple[str, bytes]]:
        """The crops, read from the store where they were filed."""
        from api.db import session_scope
        from api.services.extraction.records import load_extraction

        with session_scope(self._pipeline.sessions) as session:
            record = load_extraction(session, uuid.UUID(extraction_id))
            paths = [crop.path for crop in record.crops if crop.path]
        for path in paths:
            yield path, self._pipeline.storage.read(path)

    def interrupt(self) -> None:
        """Nothing to stop: each file is cut at once, in this process."""

    def close(self) -> None:
        """Release this run's leases and close the database connections."""
        self._heartbeat.stop()
        self._engine.dispose()
