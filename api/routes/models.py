"""Models: create from a reference picture, list, read, change, delete, export, import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile

from api import errors
from api.db import SessionDep
from api.edge import imports
from api.edge.access import Editor, Reader
from api.edge.deps import LimitsDep, ModelDep, ReferencesDep, SamplesStoreDep
from api.edge.presenters import (
    content_disposition,
    model_imported,
    model_read,
    model_summary,
    model_url,
    set_model_headers,
)
from api.edge.problems import problem_responses
from api.schemas.common import MAX_OFFSET
from api.schemas.models import ModelExport, ModelImported, ModelList, ModelRead, ModelUpdate
from api.services import audit
from api.services.models import catalog as service
from api.services.models import foreign, portable
from api.services.models.references import read_reference, reference_page, reference_pages
from api.services.samples.kept import forget_model_samples

# The settings a portable document carries, set on the model it is imported as.
PORTABLE_SETTINGS = {
    "alignment",
    "on_refusal",
    "output_format",
    "output_quality",
    "filename_template",
}

router = APIRouter(prefix="/models", tags=["models"])

IfMatch = Annotated[
    str | None,
    Header(description='The model version the change is based on, e.g. "3"; 412 if stale.'),
]
IMAGE_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
}
PICTURE_ERRORS = (errors.PayloadTooLarge, errors.UnsupportedPicture, errors.UndecodablePicture)


@router.post(
    "",
    status_code=201,
    operation_id="createModel",
    summary="Create a model",
    description="Creates a model from a reference picture, or a PDF or multi-page TIFF "
    "whose pages become the reference's pages (a PDF rendered at 200 dpi). Zones are added "
    "afterwards. Answers the model with `Location` and `ETag`.",
    responses=problem_responses(errors.Conflict, *PICTURE_ERRORS),
)
def create_model(
    editor: Editor,
    session: SessionDep,
    references: ReferencesDep,
    limits: LimitsDep,
    response: Response,
    name: Annotated[str, Form(min_length=1, max_length=200, examples=["Invoice A4"])],
    image: Annotated[UploadFile, File(description="The reference picture.")],
    description: Annotated[str, Form(max_length=5000)] = "",
) -> ModelRead:
    model = service.create_model(
        session,
        references,
        name=name,
        description=description,
        image=image.file.read(),
        limits=limits,
    )
    audit.record(session, editor.actor, "model.create", str(model.id), {"name": model.name})
    response.headers["Location"] = model_url(model)
    set_model_headers(response, model)
    return model_read(model)


@router.get(
    "",
    operation_id="listModels",
    summary="List models",
    description="Models, most recently changed first; `q` filters on name and description.",
    responses=problem_responses(),
)
def list_models(
    reader: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> ModelList:
    rows, total = service.list_models(session, limit=limit, offset=offset, q=q, only=reader.models)
    return ModelList(
        items=[model_summary(model, count) for model, count in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/import",
    status_code=201,
    operation_id="importModel",
    summary="Import a model",
    description="Creates a model from a document made by `GET /models/{model_id}/export` "
    "(`application/json`), or from another tool's zones (`multipart/form-data`): the file "
    "as part `file` — a VIA 2 project, a Label Studio JSON export, a COCO JSON file, a "
    "CVAT for images 1.1 XML file or a Tabula template, told apart by content — and the "
    "picture it was drawn on as part `image` (the PDF, for a Tabula template). A file "
    "describing several pictures is read for the one named like the `image` part, else "
    "for the only one. Zone names and folders come from the labels, made valid; shapes "
    "that are not upright rectangles are skipped. The answer is the model with "
    "`import_report`: what was renamed, clipped or skipped, and why.",
    responses=problem_responses(
        errors.Conflict,
        errors.UnknownImportFormat,
        errors.AmbiguousImport,
        errors.NothingToImport,
        *PICTURE_ERRORS,
    ),
    openapi_extra=imports.OPENAPI_BODY,
)
def import_model(
    editor: Editor,
    session: SessionDep,
    references: ReferencesDep,
    limits: LimitsDep,
    response: Response,
    body: imports.ImportBody,
) -> ModelImported:
    if isinstance(body, imports.PortableBody):
        document = body.document
        model = portable.import_model(
            session,
            references,
            name=document.name,
            description=document.description,
            settings=document.model_dump(include=PORTABLE_SETTINGS),
            zones=[zone.spec() for zone in document.zones],
            image_base64=document.image.data_base64,
            pages_base64=[page.data_base64 for page in document.pages],
            limits=limits,
        )
        report = foreign.PORTABLE_REPORT
    else:
        model, report = foreign.import_foreign(
            session,
            references,
            data=body.data,
            file_name=body.file_name,
            image=body.image,
            image_name=body.image_name,
            name=body.name,
            limits=limits,
        )
    audit.record(
        session,
        editor.actor,
        "model.import",
        str(model.id),
        {"name": model.name, "format": report.format},
    )
    response.headers["Location"] = model_url(model)
    set_model_headers(response, model)
    return model_imported(model, report)


@router.get(
    "/{model_id:uuid}",
    operation_id="getModel",
    summary="Get a model",
    description="One model with its zones; the `ETag` is its version.",
    responses=problem_responses(errors.NotFound),
)
def get_model(_reader: Reader, model: ModelDep, response: Response) -> ModelRead:
    set_model_headers(response, model)
    return model_read(model)


@router.patch(
    "/{model_id:uuid}",
    operation_id="updateModel",
    summary="Change a model",
    description="Renames a model or changes its output settings and alignment.",
    responses=problem_responses(errors.NotFound, errors.Conflict, errors.PreconditionFailed),
)
def update_model(
    editor: Editor,
    session: SessionDep,
    model: ModelDep,
    changes: ModelUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ModelRead:
    service.check_if_match(model, if_match)
    service.update_model(session, model, changes.model_dump(exclude_unset=True))
    audit.record(
        session, editor.actor, "model.update", str(model.id), changes.model_dump(exclude_unset=True)
    )
    set_model_headers(response, model)
    return model_read(model)


@router.delete(
    "/{model_id:uuid}",
    status_code=204,
    operation_id="deleteModel",
    summary="Delete a model",
    description="Deletes the model, its zones, reference picture and samples. Filed crops "
    "and extraction records stay.",
    responses=problem_responses(errors.NotFound, errors.PreconditionFailed),
)
def delete_model(
    editor: Editor,
    session: SessionDep,
    references: ReferencesDep,
    samples: SamplesStoreDep,
    model: ModelDep,
    if_match: IfMatch = None,
) -> Response:
    service.check_if_match(model, if_match)
    forget_model_samples(session, samples, model.id)
    service.delete_model(session, references, model)
    audit.record(session, editor.actor, "model.delete", str(model.id), {"name": model.name})
    return Response(status_code=204)


@router.get(
    "/{model_id:uuid}/image",
    operation_id="getModelImage",
    summary="Get the reference picture",
    description="The model's reference picture, as uploaded (pictures browsers cannot show, "
    "such as TIFF or HEIC, are kept as PNG); `page` picks a page of a reference of several "
    "(pages of a document are kept as PNG, a PDF's rendered at 200 dpi). A page the "
    "reference does not have is 404.",
    response_class=Response,
    responses=problem_responses(
        errors.NotFound,
        success={200: {"content": {media: {} for media in IMAGE_TYPES.values()}}},
    ),
)
def get_model_image(
    _reader: Reader,
    model: ModelDep,
    references: ReferencesDep,
    page: Annotated[int, Query(ge=1, le=10_000, description="The page, from 1.")] = 1,
) -> Response:
    chosen = reference_page(model, page)
    return Response(
        read_reference(references, chosen.path),
        media_type=IMAGE_TYPES.get(chosen.format, "application/octet-stream"),
        headers={
            "Cache-Control": "private, max-age=31536000, immutable",
            "ETag": f'"{chosen.sha256[:32]}"',
        },
    )


@router.put(
    "/{model_id:uuid}/image",
    operation_id="replaceModelImage",
    summary="Replace the reference picture",
    description="Swaps the reference picture or document; every zone must still fit its "
    "page of the new one.",
    responses=problem_responses(
        errors.NotFound, errors.PreconditionFailed, errors.ZoneDoesNotFit, *PICTURE_ERRORS
    ),
)
def replace_model_image(
    editor: Editor,
    session: SessionDep,
    references: ReferencesDep,
    limits: LimitsDep,
    model: ModelDep,
    response: Response,
    image: Annotated[UploadFile, File(description="The new reference picture.")],
    if_match: IfMatch = None,
) -> ModelRead:
    service.check_if_match(model, if_match)
    service.replace_image(session, references, model, image.file.read(), limits)
    audit.record(session, editor.actor, "model.image", str(model.id), {"version": model.version})
    set_model_headers(response, model)
    return model_read(model)


@router.get(
    "/{model_id:uuid}/export",
    operation_id="exportModel",
    summary="Export a model",
    description="The model as one portable JSON document, reference picture inside (base64).",
    responses=problem_responses(errors.NotFound),
)
def export_model(
    _editor: Editor, model: ModelDep, references: ReferencesDep, response: Response
) -> ModelExport:
    images = [read_reference(references, page.path) for page in reference_pages(model)]
    response.headers["Content-Disposition"] = content_disposition(f"{model.name}.zonecut.json")
    return ModelExport.model_validate(portable.export_model(model, images))
