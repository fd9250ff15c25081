"""Requests of several pictures: every page of a document cut as its own picture
(``pages=each``), or several uploaded parts, each cut alone.

Each page or part is an extraction of its own, filed or refused on its own: a refused
page files nothing and the others are still filed. The request as a whole is bounded
first: at most so many parts, every part opened and measured before anything is
rendered, and all their pages together within the pixels of one request. The answer
lists the extractions and the refusals in order; with an Idempotency-Key it is kept
(:mod:`.replay`) and a retry gets it again. A server error (503: the store or the
database away) ends the request there: what was filed by then stays filed, and the key
is given up so that a retry can run again.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api import errors
from api.db import session_scope
from api.imaging.encode import encode_image
from api.services.extraction import replay
from api.services.extraction.pipeline import (
    ExtractionOutcome,
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
from api.services.models.catalog import find_model
from api.services.uploads import Upload, check_request_pixels, open_upload
from api.tables import Extraction


@dataclass(frozen=True)
class Part:
    """One uploaded file of the request."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class BatchRequest:
    """Several pictures to cut with one model, with the options of a single extraction."""

    model: str
    parts: tuple[Part, ...]
    each_page: bool = False
    output_format: str | None = None
    alignment: str | None = None
    store: bool = True
    idempotency_key: str | None = None
    # who asks: the key's owner (an id, never a name) and the name the records show
    caller: str | None = None
    created_by: str | None = None

    def fingerprint(self, model_id: uuid.UUID, hashes: Sequence[str]) -> str:
        """Identity of the request: the model, every part's content in order and the
        options (``pages=each`` included), not the file names."""
        options = [
            "pages=each" if self.each_page else "",
            self.output_format or "",
            self.alignment or "",
            str(self.store),
        ]
        identity = [str(model_id), *options, *hashes]
        return hashlib.sha256("\x1f".join(identity).encode()).hexdigest()

    def part_request(self, model_id: uuid.UUID, part: Part) -> ExtractRequest:
        """The single extraction that cuts one part (keyless: the batch is the request)."""
        return ExtractRequest(
            model=str(model_id),
            filename=part.filename,
            data=part.data,
            output_format=self.output_format,
            alignment=self.alignment,
            store=self.store,
            created_by=self.created_by,
        )


@dataclass
class BatchOutcome:
    """The extractions filed and the pages or parts refused, in order."""

    items: list[ExtractionOutcome] = field(default_factory=list)
    refused: list[errors.Refusal] = field(default_factory=list)
    replayed: bool = False


def run_batch(pipeline: Pipeline, request: BatchRequest) -> BatchOutcome:
    """Cut every page or part alone; refusals are listed, not raised.

    Raises for what concerns the whole request: more parts than the limit, an unknown
    model, one without zones, ``pages=each`` with a model of several pages, more pixels
    to render than the budget of a request, a reused Idempotency-Key.
    """
    if len(request.parts) > pipeline.max_parts:
        raise too_many_parts(len(request.parts), pipeline.max_parts)
    hashes = [hashlib.sha256(part.data).hexdigest() for part in request.parts]
    with session_scope(pipeline.sessions) as session:
        model = ModelSnapshot.of(find_model(session, request.model))
    key = request.idempotency_key if request.store else None
    claim: uuid.UUID | None = None
    if key is not None:
        claimed = replay.claim(
            pipeline.sessions,
            caller=request.caller,
            key=key,
            fingerprint=request.fingerprint(model.id, hashes),
            stale_after=pipeline.pending_timeout,
            holder=pipeline.holder,
            lease=pipeline.lease,
            wait=pipeline.idempotency_wait,
        )
        if isinstance(claimed, replay.KeptAnswer):
            return _replayed(pipeline, claimed)
        claim = claimed
    try:
        outcome = _cut_all(pipeline, request, model, hashes)
    except BaseException:
        if claim is not None:
            replay.release(pipeline.sessions, claim)
        raise
    if claim is not None:
        replay.finish(
            pipeline.sessions,
            claim,
            [item.record.id for item in outcome.items],
            [refusal.model_dump(mode="json", exclude_none=True) for refusal in outcome.refused],
        )
    return outcome


def _cut_all(
    pipeline: Pipeline, request: BatchRequest, model: ModelSnapshot, hashes: Sequence[str]
) -> BatchOutcome:
    check_has_zones(model)
    if request.each_page and model.page_count > 1:
        raise errors.PageCountMismatch(
            f"pages=each cuts every page as its own picture, with a model of one page; "
            f"model '{model.name}' has {model.page_count} pages (nothing was cut)"
        )
    several = len(request.parts) > 1
    outcome = BatchOutcome()
    with ExitStack() as uploads:
        # Every part is opened and measured first: the budget holds before anything renders.
        opened: list[Upload | errors.AppError] = []
        pixels = pages = 0
        for part in request.parts:
            try:
                upload = uploads.enter_context(
                    open_upload(
                        part.data, max_pixels=pipeline.max_pixels, max_pages=pipeline.max_pages
                    )
                )
                pixels += pixels_to_render(upload, model, each_page=request.each_page)
            except errors.AppError as refusal:
                if not several:
                    raise  # the one file of the request is refused whole: its own answer
                opened.append(refusal)
                continue
            pages += upload.page_count
            opened.append(upload)
        check_request_pixels(pixels, pages, pipeline.max_request_pixels)
        for number, (part, digest, upload_or_refusal) in enumerate(
            zip(request.parts, hashes, opened, strict=True), start=1
        ):
            part_number = number if several else None
            if isinstance(upload_or_refusal, errors.AppError):
                _refuse(outcome, upload_or_refusal, part=part_number)
                continue
            part_request = request.part_request(model.id, part)
            if request.each_page:
                _cut_each_page(
                    pipeline, part_request, model, upload_or_refusal, digest, outcome, part_number
                )
                continue
            try:
                outcome.items.append(
                    extract_upload(
                        pipeline,
                        part_request,
                        model,
                        upload_or_refusal,
                        time.perf_counter(),
                        digest,
                    )
                )
            except errors.AppError as refusal:
                _refuse(outcome, refusal, part=part_number)
    return outcome


def _cut_each_page(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    upload: Upload,
    digest: str,
    outcome: BatchOutcome,
    part: int | None,
) -> None:
    """Cut every page of the upload (measured already) as its own picture with the
    one-page model."""
    reference = model.page_sizes[0]
    for page in range(1, upload.page_count + 1):
        started = time.perf_counter()
        try:
            picture = upload.page(page, reference)
            if upload.page_count > 1:
                # the page alone is what is kept for the overlay, or for review
                alone = replace(request, data=encode_image(picture.image, "png"))
                number: int | None = page
            else:
                alone, number = request, None
            source = SourceFacts(
                filename=request.filename,
                format=upload.format,
                width=picture.width,
                height=picture.height,
                bytes=len(request.data),
                sha256=digest,
                pages=upload.page_count,
                page=number,
            )
            outcome.items.append(cut_pictures(pipeline, alone, model, [picture], source, started))
        except errors.AppError as refusal:
            _refuse(outcome, refusal, part=part, page=page)


def too_many_parts(
    count: int, limit: int, *, at_least: bool = False, job: bool = False
) -> errors.PayloadTooLarge:
    """The 413 for a request (or a job) of more ``image`` parts than the limit."""
    counted = f"at least {count}" if at_least else str(count)
    if job:
        return errors.PayloadTooLarge(
            f"The job carries {counted} `image` parts, more than {limit} parts a job "
            "(ZONECUT_JOB_MAX_PARTS): send them as several jobs."
        )
    return errors.PayloadTooLarge(
        f"The request carries {counted} `image` parts, more than {limit} parts a request "
        "(ZONECUT_MAX_PARTS): send them in several requests."
    )


def _refuse(
    outcome: BatchOutcome, refusal: errors.AppError, *, part: int | None, page: int | None = None
) -> None:
    if refusal.status >= 500:
        raise refusal
    outcome.refused.append(refusal.as_refusal(part=part, page=page))


def _replayed(pipeline: Pipeline, answer: replay.KeptAnswer) -> BatchOutcome:
    with session_scope(pipeline.sessions) as session:
        records = session.scalars(
            select(Extraction)
            .where(Extraction.id.in_(answer.extraction_ids))
            .options(selectinload(Extraction.crops))
        ).all()
    by_id = {record.id: record for record in records}
    return BatchOutcome(
        items=[
            ExtractionOutcome(by_id[value], replayed=True)
            for value in answer.extraction_ids
            if value in by_id
        ],
        refused=[errors.Refusal.model_validate(refusal) for refusal in answer.refused],
        replayed=True,
    )


def nothing_filed(outcome: BatchOutcome) -> errors.NothingFiled:
    """The 422 for a request of several pictures of which every one was refused."""
    first = outcome.refused[0]
    where = ", ".join(
        f"{name} {value}"
        for name, value in (("part", first.part), ("page", first.page))
        if value is not None
    )
    count = len(outcome.refused)
    every = f"all {count} were refused; " if count > 1 else ""
    problem = errors.NothingFiled(
        f"nothing was filed: {every}{where or 'the picture'}: {first.detail}"
    )
    problem.refused = outcome.refused
    return problem
