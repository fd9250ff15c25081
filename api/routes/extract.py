"""Extraction: cut an uploaded picture with a model; the record of past extractions."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
)

from api import errors, metrics
from api.db import SessionDep, SessionFactoryDep, session_scope
from api.imaging.decode import decode_picture
from api.imaging.overlay import Outline, draw_overlay
from api.routes.access import Reader, require_model
from api.routes.deps import PipelineDep, SettingsDep, SourcesDep, StorageDep
from api.routes.presenters import API_PREFIX, extraction_read
from api.schemas import MAX_OFFSET, Alignment, ExtractionList, ExtractionRead, OutputFormat
from api.services.extraction import (
    ExtractionOutcome,
    ExtractRequest,
    Pipeline,
    load_extraction,
    run_extraction,
)
from api.services.extraction import list_extractions as list_records
from api.services.models import find_model
from api.storage import FileNotFoundInStorage, Storage

router = APIRouter(tags=["extraction"])

ZIP_MEDIA_TYPE = "application/zip"
ZIP_SCHEMA = {"schema": {"type": "string", "format": "binary"}}


async def one_picture(request: Request) -> None:
    """422 for a request with several ``image`` parts, rather than cutting only one."""
    form = await request.form()  # parsed once: FastAPI has read it already
    count = len(form.getlist("image"))
    if count > 1:
        raise errors.validation_failed(
            [
                errors.FieldError(
                    field="image",
                    message=f"this request has {count} pictures; send one picture per "
                    "request (nothing was cut)",
                )
            ]
        )


@router.post(
    "/extract",
    status_code=201,
    dependencies=[Depends(one_picture)],
    operation_id="extract",
    summary="Cut a picture with a model",
    description=(
        "Cuts every zone of the model out of the picture and files each crop in its zone's "
        "folder. Answers the extraction record, or with `Accept: application/zip` a ZIP of "
        "`<folder>/<file>` entries plus `manifest.json`. `store=false` files nothing and "
        "records nothing. A retry with the same `Idempotency-Key` and the same body answers "
        "the first result and files nothing new; the same key with another body is a 422."
    ),
    responses=errors.problem_responses(
        errors.NotFound,
        errors.PayloadTooLarge,
        errors.UnsupportedPicture,
        errors.UndecodablePicture,
        errors.PictureDoesNotMatch,
        errors.IdempotencyKeyReused,
        errors.NotAcceptable,
        success={
            201: {
                "description": "The extraction (JSON), or its crops as a ZIP.",
                "model": ExtractionRead,
                "content": {ZIP_MEDIA_TYPE: ZIP_SCHEMA},
            },
            200: {
                "description": "With `store=false`: the crops were cut but not kept.",
                "model": ExtractionRead,
                "content": {ZIP_MEDIA_TYPE: ZIP_SCHEMA},
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
    model: Annotated[str, Form(min_length=1, max_length=200, description="Model id or name.")],
    image: Annotated[UploadFile, File(description="The picture to cut.")],
    output_format: Annotated[
        OutputFormat | None,
        Form(alias="format", description="Output format for this run; default the model's."),
    ] = None,
    alignment: Annotated[
        Alignment | None, Form(description="Alignment for this run; default the model's.")
    ] = None,
    store: Annotated[bool, Form(description="File the crops and record the run.")] = True,
    idempotency_key: Annotated[
        str | None,
        Header(min_length=1, max_length=255, description="Makes retries safe: see above."),
    ] = None,
) -> Response:
    wants_zip = _wants_zip(request.headers.get("accept"))
    if reader.models is not None:
        with session_scope(sessions) as session:
            model_id = find_model(session, model).id
        require_model(reader, model_id)
        model = str(model_id)  # the model checked is the model cut, even if renamed meanwhile
    outcome = _counted(
        pipeline,
        ExtractRequest(
            model=model,
            filename=image.filename or "picture",
            data=image.file.read(),
            output_format=output_format,
            alignment=alignment,
            store=store,
            idempotency_key=idempotency_key,
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
            | {"Content-Disposition": f'attachment; filename="extraction-{outcome.record.id}.zip"'},
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
    method = str(outcome.record.transform.get("method", "unknown"))
    if outcome.replayed:
        metrics.EXTRACTIONS.labels("replayed", method).inc()
    elif not request.store:
        metrics.EXTRACTIONS.labels("unstored", method).inc()
    else:
        metrics.EXTRACTIONS.labels("filed", method).inc()
        metrics.BYTES_FILED.inc(sum(crop.bytes for crop in outcome.record.crops))
    return outcome


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


def _zip(outcome: ExtractionOutcome, body: ExtractionRead, storage: Storage) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        if outcome.crops:
            for cut in outcome.crops:
                archive.writestr(cut.archive_name, cut.data)
        else:  # a replay: the crops are read back from where they were filed
            for crop in body.crops:
                if crop.path:
                    archive.writestr(crop.path, storage.read(crop.path))
        archive.writestr(
            "manifest.json", body.model_dump_json(indent=2), compress_type=zipfile.ZIP_DEFLATED
        )
    return buffer.getvalue()


@router.get(
    "/extractions",
    operation_id="listExtractions",
    summary="List extractions",
    description="Recorded extractions, newest first; `model_id` filters by model.",
    responses=errors.problem_responses(),
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
    responses=errors.problem_responses(errors.NotFound),
)
def get_extraction(
    reader: Reader,
    session: SessionDep,
    extraction_id: Annotated[uuid.UUID, Path(description="The extraction's id.")],
) -> ExtractionRead:
    record = load_extraction(session, extraction_id)
    require_model(reader, record.model_id)
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
    responses=errors.problem_responses(
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
        record = load_extraction(session, extraction_id)
        require_model(reader, record.model_id)
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
        headers={"Content-Disposition": f'attachment; filename="extraction-{extraction_id}.zip"'},
    )


@router.get(
    "/extractions/{extraction_id:uuid}/overlay",
    operation_id="getExtractionOverlay",
    summary="See where the zones were cut",
    description="The picture, longest side at most 1600 px, with every zone outlined and "
    "named where it was cut (JPEG). Pictures are kept ZONECUT_KEEP_SOURCES_DAYS (30 by "
    "default); after that this is 410.",
    response_class=Response,
    responses=errors.problem_responses(
        errors.NotFound, errors.Gone, success={200: {"content": {"image/jpeg": ZIP_SCHEMA}}}
    ),
)
def get_extraction_overlay(
    reader: Reader,
    sessions: SessionFactoryDep,
    sources: SourcesDep,
    settings: SettingsDep,
    extraction_id: Annotated[uuid.UUID, Path(description="The extraction's id.")],
) -> Response:
    with session_scope(sessions) as session:
        record = load_extraction(session, extraction_id)
        require_model(reader, record.model_id)
        outlines = [
            Outline(crop.zone_name, crop.quad) for crop in record.crops if crop.quad is not None
        ]
        path = record.source_path
    gone = errors.Gone(
        f"the picture of extraction {extraction_id} is no longer kept "
        f"(pictures are kept {settings.keep_sources_days} days: ZONECUT_KEEP_SOURCES_DAYS)"
    )
    if path is None:
        raise gone
    try:
        data = sources.read(path)
    except FileNotFoundInStorage as exc:
        raise gone from exc
    picture = decode_picture(data, max_pixels=settings.max_image_pixels)
    return Response(
        draw_overlay(picture.image, outlines),
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=3600"},
    )


__all__ = ["router"]
