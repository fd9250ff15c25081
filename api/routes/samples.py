"""The samples of a model: added, listed, removed, their small pictures, and the check of
proposed zones against them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile

from api import errors
from api.db import SessionDep
from api.edge.access import Editor
from api.edge.deps import LimitsDep, ModelDep, SamplePartsDep, SamplesStoreDep
from api.edge.forms import PartsCappedRoute
from api.edge.presenters import sample_check_read, sample_read, sample_url
from api.edge.problems import problem_responses
from api.imaging.geometry import Box
from api.schemas.samples import SampleCheck, SampleCheckRequest, SampleList, SampleRead
from api.services import audit
from api.services.samples import check, kept

# POST …/samples reads at most ZONECUT_MAX_PARTS files from its form: see api.edge.forms
router = APIRouter(
    prefix="/models/{model_id:uuid}/samples", tags=["samples"], route_class=PartsCappedRoute
)

ModelId = Annotated[uuid.UUID, Path(description="The model's id.")]
SampleId = Annotated[uuid.UUID, Path(description="The sample's id.")]
PICTURE_ERRORS = (
    errors.PayloadTooLarge,
    errors.UnsupportedPicture,
    errors.UndecodablePicture,
    errors.PageCountMismatch,
    errors.PictureDoesNotMatch,
)
JPEG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}}}


@router.post(
    "",
    status_code=201,
    operation_id="addSample",
    summary="Add a sample",
    description="Keeps a picture or document with the model, to be cut again before its "
    "zones change (`POST …/samples/check`). Send the file as `image`, or `extraction_id` to "
    "add the picture a past extraction kept. The sample is cut now with the saved zones, as "
    f"an extraction would be: one that does not match the model is 422. At most "
    f"{kept.MAX_SAMPLES} samples a model (409 past that).",
    responses=problem_responses(errors.NotFound, errors.Conflict, errors.Gone, *PICTURE_ERRORS),
)
def add_sample(
    editor: Editor,
    parts: SamplePartsDep,
    model_id: ModelId,
    response: Response,
    image: Annotated[
        UploadFile | None, File(description="The picture or document to keep.")
    ] = None,
    extraction_id: Annotated[
        uuid.UUID | None, Form(description="A past extraction whose kept picture to add.")
    ] = None,
) -> SampleRead:
    if (image is None) == (extraction_id is None):
        message = "give the picture as `image` or a past extraction as `extraction_id`, one"
        raise errors.validation_failed([errors.FieldError(field="image", message=message)])
    if image is not None:
        new = kept.NewSample(image.filename or "sample", image.file.read())
    else:
        assert extraction_id is not None
        new = kept.picture_of_extraction(parts, extraction_id)
    sample = kept.add_sample(parts, model_id, new, actor=editor.actor)
    response.headers["Location"] = sample_url(model_id, sample.id)
    return sample_read(sample)


@router.get(
    "",
    operation_id="listSamples",
    summary="List a model's samples",
    description="Every sample of the model, oldest first, with what each zone gave it when "
    "it was added.",
    responses=problem_responses(errors.NotFound),
)
def list_samples(_editor: Editor, session: SessionDep, model: ModelDep) -> SampleList:
    samples = kept.list_samples(session, model.id)
    return SampleList(
        items=[sample_read(sample) for sample in samples],
        total=len(samples),
        limit=kept.MAX_SAMPLES,
        offset=0,
    )


@router.post(
    "/check",
    operation_id="checkSamples",
    summary="Check proposed zones against the samples",
    description="Cuts every sample now, with the same code, once with the saved zones and "
    "once with the proposed ones (nothing is saved), and answers per sample and zone: "
    "`new` / `removed` (by zone id), `unchanged` (under 0.5 % of the pixels differ), "
    "`moved` (same size, other pixels), `changed` (resized), `refused` (the sample no "
    "longer aligns, or the zone cannot be cut), with the share of pixels that differ and "
    "the URLs of small previews of both crops. Proposed zones are checked as "
    "`PUT /models/{model_id}/zones` would check them (422).",
    responses=problem_responses(errors.NotFound),
)
def check_samples(
    _editor: Editor,
    parts: SamplePartsDep,
    limits: LimitsDep,
    model_id: ModelId,
    proposal: SampleCheckRequest | None = None,
) -> SampleCheck:
    zones = None
    if proposal is not None and proposal.zones is not None:
        zones = [zone.spec() for zone in proposal.zones]
    return sample_check_read(check.check_samples(parts, model_id, zones, limits))


@router.get(
    "/{sample_id:uuid}",
    operation_id="getSample",
    summary="Get a sample",
    description="One sample of the model, with what each zone gave it when it was added.",
    responses=problem_responses(errors.NotFound),
)
def get_sample(
    _editor: Editor, session: SessionDep, model: ModelDep, sample_id: SampleId
) -> SampleRead:
    return sample_read(kept.find_sample(session, model.id, sample_id))


@router.delete(
    "/{sample_id:uuid}",
    status_code=204,
    operation_id="deleteSample",
    summary="Remove a sample",
    description="Removes the sample and its files.",
    responses=problem_responses(errors.NotFound),
)
def delete_sample(
    editor: Editor,
    session: SessionDep,
    store: SamplesStoreDep,
    model: ModelDep,
    sample_id: SampleId,
) -> Response:
    sample = kept.find_sample(session, model.id, sample_id)
    kept.delete_sample(session, store, sample)
    detail = {"sample": str(sample.id), "filename": sample.filename}
    audit.record(session, editor.actor, "sample.delete", str(model.id), detail)
    return Response(status_code=204)


@router.get(
    "/{sample_id:uuid}/thumbnail",
    operation_id="getSampleThumbnail",
    summary="A sample's small picture",
    description="A small JPEG of the sample's first page, or with `zone` of the crop that "
    "zone gave when the sample was added.",
    response_class=Response,
    responses=problem_responses(errors.NotFound, success=JPEG),
)
def get_sample_thumbnail(
    _editor: Editor,
    session: SessionDep,
    store: SamplesStoreDep,
    model: ModelDep,
    sample_id: SampleId,
    zone: Annotated[uuid.UUID | None, Query(description="A zone the sample was cut with.")] = None,
) -> Response:
    sample = kept.find_sample(session, model.id, sample_id)
    return Response(
        kept.read_thumbnail(store, sample, zone),
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=31536000, immutable"},
    )


@router.get(
    "/{sample_id:uuid}/preview",
    operation_id="getSamplePreview",
    summary="A crop of a sample, cut now",
    description="A small JPEG of the box (reference pixels of `page`) cut from the sample "
    "now, as an extraction would cut it: the previews a check links to. A box outside the "
    "page, or a sample the model no longer aligns with, is 422. (The URLs a check gives add "
    "`v`, naming the placement, so that a browser keeps no preview of another one.)",
    response_class=Response,
    responses=problem_responses(errors.NotFound, *PICTURE_ERRORS, success=JPEG),
)
def get_sample_preview(
    _editor: Editor,
    parts: SamplePartsDep,
    model_id: ModelId,
    sample_id: SampleId,
    x: Annotated[int, Query(ge=0, le=10_000_000)],
    y: Annotated[int, Query(ge=0, le=10_000_000)],
    width: Annotated[int, Query(ge=1, le=10_000_000)],
    height: Annotated[int, Query(ge=1, le=10_000_000)],
    page: Annotated[int, Query(ge=1, le=10_000, description="The page, from 1.")] = 1,
) -> Response:
    data = check.crop_preview(parts, model_id, sample_id, page, Box(x, y, width, height))
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )
