"""Extraction: cut an uploaded picture with a model; the record of past extractions."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Path, Query, Request, Response, UploadFile

from api import errors, metrics
from api.db import SessionDep, SessionFactoryDep, session_scope
from api.edge.access import Reader
from api.edge.deps import PipelineDep, SettingsDep, StorageDep
from api.edge.forms import PartsCappedRoute
from api.edge.middleware import prefers_async
from api.edge.presenters import API_PREFIX, content_disposition, extraction_read
from api.edge.problems import problem_responses
from api.imaging.encode import OutputFormat
from api.routes.jobs import queue_job
from api.schemas.common import MAX_OFFSET, AlignmentMethod
from api.schemas.extraction import ExtractionBatch, ExtractionList, ExtractionRead, PagesMode
from api.schemas.jobs import JobRead
from api.services.extraction.batch import BatchOutcome, BatchRequest, Part, nothing_filed, run_batch
from api.services.extraction.pipeline import ExtractionOutcome, ExtractRequest, Pipeline
from api.services.extraction.records import extraction_overlay, load_extraction
from api.services.extraction.records import list_extractions as list_records
from api.services.extraction.run import run_extraction
from api.services.models.catalog import find_model
from api.storage import FileNotFoundInStorage, Storage
from api.tables import Extraction

# POST /extract reads at most ZONECUT_MAX_PARTS files from its form: see api.edge.forms
router = APIRouter(tags=["extraction"], route_class=PartsCappedRoute)

ZIP_MEDIA_TYPE = "application/zip"
ZIP_SCHEMA = {"schema": {"type": "string", "format": "binary"}}


@router.post(
    "/extract",
    status_code=201,
    operation_id="extract",
    summary="Cut a picture with a model",
    description=(
        "Cuts every zone of the model out of the picture and files each crop in its zone's "
        "folder. Answers the extraction record, or with `Accept: application/zip` a ZIP of "
        "`<folder>/<file>` entries plus `manifest.json`. `store=false` files nothing and "
        "records nothing. A retry with the same `Idempotency-Key` and the same body answers "
        "the first result and files nothing new; the same key with another body is a 422.\n\n"
        "A PDF or multi-page TIFF is cut with a model of as many pages, each page aligned on "
        "its own (a PDF page rendered at the width of its reference page). With "
        "`pages=each`, every page of the document is cut as its own picture with a model of "
        "one page; several `image` parts are each cut alone. Both answer "
        "`{items, refused}`: an extraction for each page or part filed, and why the others "
        "were refused (nothing is filed for those) — or 422 with `refused` when nothing was "
        "filed.\n\n"
        "A request carries at most ZONECUT_MAX_PARTS `image` parts (50 by default) and "
        "renders at most ZONECUT_MAX_REQUEST_PIXELS pixels over all its parts and pages "
        "(400 MP by default); a PDF page renders at most twice its reference page's pixels. "
        "Past any of these it is 413, before anything is rendered.\n\n"
        "With `Prefer: respond-async` the request is a **job**: the upload is stored and "
        "the answer is 202 at once, with the job and `Location: /api/v1/jobs/{id}` to follow "
        "its progress; its pages are cut in the background and listed at "
        "`/api/v1/jobs/{id}/items`. A job has its own limits, chosen from this header before "
        "the body is read: ZONECUT_JOB_MAX_UPLOAD_BYTES (2 GiB), ZONECUT_JOB_MAX_PAGES (2000 "
        "a document) and ZONECUT_JOB_MAX_PARTS. A retry with the same `Idempotency-Key` "
        "answers 202 with the same job."
    ),
    responses=problem_responses(
        errors.NotFound,
        errors.PayloadTooLarge,
        errors.UnsupportedPicture,
        errors.UndecodablePicture,
        errors.PictureDoesNotMatch,
        errors.PageCountMismatch,
        errors.NothingFiled,
        errors.IdempotencyKeyReused,
        errors.StillRunning,
        errors.NotAcceptable,
        success={
            201: {
                "description": "The extraction (JSON), or its crops as a ZIP; for `pages=each` "
                "or several parts, the extractions filed and the refusals.",
                "model": ExtractionRead | ExtractionBatch,
                "content": {ZIP_MEDIA_TYPE: ZIP_SCHEMA},
            },
            200: {
                "description": "With `store=false`: the crops were cut but not kept.",
                "model": ExtractionRead | ExtractionBatch,
                "content": {ZIP_MEDIA_TYPE: ZIP_SCHEMA},
            },
            202: {
                "description": "With `Prefer: respond-async`: the job, queued; `Location` "
                "names it.",
                "model": JobRead,
            },
        },
    ),
)
def extract(
    reader: Reader,
    request: Request,
    sessions: SessionFactoryDep,
    pipeline: PipelineDep,
    storage: StorageDep,
    settings: SettingsDep,
    model: Annotated[str, Form(min_length=1, max_length=200, description="Model id or name.")],
    image: Annotated[
        list[UploadFile],
        File(description="The picture or document to cut; several parts are each cut alone."),
    ],
    output_format: Annotated[
        OutputFormat | None,
        Form(alias="format", description="Output format for this run; default the model's."),
    ] = None,
    alignment: Annotated[
        AlignmentMethod | None, Form(description="Alignment for this run; default the model's.")
    ] = None,
    store: Annotated[bool, Form(description="File the crops and record the run.")] = True,
    pages: Annotated[
        PagesMode | None,
        Form(description="`each`: cut every page of a document as its own picture."),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(min_length=1, max_length=255, description="Makes retries safe: see above."),
    ] = None,
    prefer: Annotated[
        str | None,
        Header(
            max_length=200,
            description="`respond-async`: queue a job and answer 202 at once (see above).",
        ),
    ] = None,
) -> Response:
    job = prefers_async(request.headers)
    wants_zip = False if job else _wants_zip(request.headers.get("accept"))
    if reader.models is not None:  # a model outside the key's scope is one that does not exist
        with session_scope(sessions) as session:
            model_id = find_model(session, model, only=reader.models).id
        model = str(model_id)  # the model checked is the model cut, even if renamed meanwhile
    each_page = pages is PagesMode.EACH
    if job:
        if not store:
            raise errors.validation_failed(
                [errors.FieldError(field="store", message="a job files what it cuts")]
            )
        return queue_job(
            request,
            reader,
            sessions,
            settings,
            model=model,
            image=image,
            output_format=output_format,
            alignment=alignment,
            each_page=each_page,
            idempotency_key=idempotency_key,
        )
    if len(image) > 1 or each_page:
        batch = BatchRequest(
            model=model,
            parts=tuple(Part(part.filename or "picture", part.file.read()) for part in image),
            each_page=each_page,
            output_format=output_format,
            alignment=alignment,
            store=store,
            idempotency_key=idempotency_key,
            caller=reader.caller,
            created_by=reader.actor,
        )
        return _batch_answer(_counted_batch(pipeline, batch), store, wants_zip, storage)
    upload = image[0]
    outcome = _counted(
        pipeline,
        ExtractRequest(
            model=model,
            filename=upload.filename or "picture",
            data=upload.file.read(),
            output_format=output_format,
            alignment=alignment,
            store=store,
            idempotency_key=idempotency_key,
            caller=reader.caller,
            created_by=reader.actor,
        ),
    )
    status = 201 if store else 200
    headers = {"Location": f"{API_PREFIX}/extractions/{outcome.record.id}"} if store else {}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    body = extraction_read(outcome.record, stored=store)
    if wants_zip:
        return Response(
            _zip(outcome, body, storage),
            status_code=status,
            media_type=ZIP_MEDIA_TYPE,
            headers=headers
            | {"Content-Disposition": content_disposition(f"extraction-{outcome.record.id}.zip")},
        )
    return Response(
        body.model_dump_json(), status_code=status, media_type="application/json", headers=headers
    )


def _counted(pipeline: Pipeline, request: ExtractRequest) -> ExtractionOutcome:
    """Run the extraction, counting its outcome for ``/metrics``."""
    try:
        outcome = run_extraction(pipeline, request)
    except errors.AppError as exc:
        if exc.status < 500:
            metrics.EXTRACTIONS.labels("refused", request.alignment or "model").inc()
            metrics.REFUSALS.labels(exc.slug).inc()
        else:
            metrics.EXTRACTIONS.labels("failed", request.alignment or "model").inc()
        raise
    except Exception:
        metrics.EXTRACTIONS.labels("failed", request.alignment or "model").inc()
        raise
    _count_cut(outcome.record, replayed=outcome.replayed, stored=request.store)
    return outcome


def _count_cut(record: Extraction, *, replayed: bool, stored: bool) -> None:
    """Count one extraction that was cut (or replayed) for ``/metrics``."""
    method = str(record.transform.get("method", "unknown"))
    if replayed:
        metrics.EXTRACTIONS.labels("replayed", method).inc()
    elif not stored:
        metrics.EXTRACTIONS.labels("unstored", method).inc()
    else:
        metrics.EXTRACTIONS.labels("filed", method).inc()
        metrics.BYTES_FILED.inc(sum(crop.bytes for crop in record.crops))


def _counted_batch(pipeline: Pipeline, request: BatchRequest) -> BatchOutcome:
    """Run a request of several pictures, counting each one's outcome for ``/metrics``."""
    try:
        outcome = run_batch(pipeline, request)
    except errors.AppError as exc:
        state = "refused" if exc.status < 500 else "failed"
        metrics.EXTRACTIONS.labels(state, request.alignment or "model").inc()
        if exc.status < 500:
            metrics.REFUSALS.labels(exc.slug).inc()
        raise
    except Exception:
        metrics.EXTRACTIONS.labels("failed", request.alignment or "model").inc()
        raise
    for refusal in outcome.refused:
        metrics.EXTRACTIONS.labels("refused", request.alignment or "model").inc()
        metrics.REFUSALS.labels(refusal.type.rsplit("/", 1)[-1]).inc()
    for item in outcome.items:
        _count_cut(item.record, replayed=outcome.replayed, stored=request.store)
    return outcome


def _batch_answer(
    outcome: BatchOutcome, store: bool, wants_zip: bool, storage: Storage
) -> Response:
    """The answer to a request of several pictures: 201 (200 unstored), or 422 if none
    was filed."""
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if not outcome.items:
        error = nothing_filed(outcome)
        error.headers.update(headers)
        raise error
    body = ExtractionBatch(
        items=[extraction_read(item.record, stored=store) for item in outcome.items],
        refused=outcome.refused,
    )
    status = 201 if store else 200
    if wants_zip:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for item, read in zip(outcome.items, body.items, strict=True):
                _add_crops(archive, item, read, storage)
            archive.writestr(
                "manifest.json", body.model_dump_json(indent=2), compress_type=zipfile.ZIP_DEFLATED
            )
        return Response(
            buffer.getvalue(),
            status_code=status,
            media_type=ZIP_MEDIA_TYPE,
            headers=headers | {"Content-Disposition": content_disposition("extractions.zip")},
        )
    return Response(
        body.model_dump_json(), status_code=status, media_type="application/json", headers=headers
    )


def _wants_zip(accept: str | None) -> bool:
    if not accept:
        return False
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if ZIP_MEDIA_TYPE in types:
        return True
    if any(
        t in ("application/json", "*/*", "application/*", "application/problem+json") for t in types
    ):
        return False
    raise errors.NotAcceptable(
        f"cannot answer in {accept}; ask for application/json or {ZIP_MEDIA_TYPE}"
    )


def _add_crops(
    archive: zipfile.ZipFile, outcome: ExtractionOutcome, body: ExtractionRead, storage: Storage
) -> None:
    """One extraction's crops as ZIP entries."""
    if outcome.crops:
        for cut in outcome.crops:
            archive.writestr(cut.archive_name, cut.data)
    else:  # a replay: the crops are read back from where they were filed
        for crop in body.crops:
            if crop.path:
                archive.writestr(crop.path, storage.read(crop.path))


def _zip(outcome: ExtractionOutcome, body: ExtractionRead, storage: Storage) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        _add_crops(archive, outcome, body, storage)
        archive.writestr(
            "manifest.json", body.model_dump_json(indent=2), compress_type=zipfile.ZIP_DEFLATED
        )
    return buffer.getvalue()


@router.get(
    "/extractions",
    operation_id="listExtractions",
    summary="List extractions",
    description="Recorded extractions, newest first; `model_id` filters by model.",
    responses=problem_responses(),
)
def list_extractions(
    reader: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    model_id: Annotated[uuid.UUID | None, Query()] = None,
) -> ExtractionList:
    records, total = list_records(
        session, limit=limit, offset=offset, model_id=model_id, only=reader.models
    )
    return ExtractionList(
        items=[extraction_read(record) for record in records],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/extractions/{extraction_id:uuid}",
    operation_id="getExtraction",
    summary="Get an extraction",
    description="The record: model version, source facts, transform used, crops.",
    responses=problem_responses(errors.NotFound),
)
def get_extraction(
    reader: Reader,
    session: SessionDep,
    extraction_id: Annotated[uuid.UUID, Path(description="The extraction's id.")],
) -> ExtractionRead:
    record = load_extraction(session, extraction_id, only=reader.models)
    return extraction_read(record)


@router.get(
    "/extractions/{extraction_id:uuid}/archive",
    operation_id="downloadExtractionArchive",
    summary="Download an extraction's crops as ZIP",
    description="The crops of one extraction as `<folder>/<file>` entries plus "
    "`manifest.json` (the extraction record), as `POST /extract` answers with "
    "`Accept: application/zip`. A crop deleted since is left out and named in the "
    "manifest's `missing`.",
    response_class=Response,
    responses=problem_responses(
        errors.NotFound, success={200: {"content": {ZIP_MEDIA_TYPE: ZIP_SCHEMA}}}
    ),
)
def download_extraction_archive(
    reader: Reader,
    sessions: SessionFactoryDep,
    storage: StorageDep,
    extraction_id: Annotated[uuid.UUID, Path(description="The extraction's id.")],
) -> Response:
    with session_scope(sessions) as session:
        record = load_extraction(session, extraction_id, only=reader.models)
        body = extraction_read(record)
    buffer = io.BytesIO()
    missing: list[str] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for crop in body.crops:
            if not crop.path:
                continue
            try:
                archive.writestr(crop.path, storage.read(crop.path))
            except FileNotFoundInStorage:
                missing.append(crop.path)
        manifest = body.model_dump(mode="json") | ({"missing": missing} if missing else {})
        archive.writestr(
            "manifest.json", json.dumps(manifest, indent=2), compress_type=zipfile.ZIP_DEFLATED
        )
    return Response(
        buffer.getvalue(),
        media_type=ZIP_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(f"extraction-{extraction_id}.zip")},
    )


@router.get(
    "/extractions/{extraction_id:uuid}/overlay",
    operation_id="getExtractionOverlay",
    summary="See where the zones were cut",
    description="The picture, longest side at most 1600 px, with every zone outlined and "
    "named where it was cut (JPEG); `page` picks a page of a document cut with a model of "
    "several pages (404 for a page it does not have). Drawn once and kept with the "
    "picture, which is kept ZONECUT_KEEP_SOURCES_DAYS (30 by default); after that this "
    "is 410.",
    response_class=Response,
    responses=problem_responses(
        errors.NotFound, errors.Gone, success={200: {"content": {"image/jpeg": ZIP_SCHEMA}}}
    ),
)
def get_extraction_overlay(
    reader: Reader,
    sessions: SessionFactoryDep,
    pipeline: PipelineDep,
    extraction_id: Annotated[uuid.UUID, Path(description="The extraction's id.")],
    page: Annotated[int, Query(ge=1, le=10_000, description="The page, from 1.")] = 1,
) -> Response:
    with session_scope(sessions) as session:
        record = load_extraction(session, extraction_id, only=reader.models)
    return Response(
        extraction_overlay(pipeline, record, page),
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=3600"},
    )


__all__ = ["router"]
