"""Zones of a model: list, add, replace all at once, read, change, delete."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api import errors
from api.db import SessionDep
from api.edge.access import Editor, Reader
from api.edge.deps import LimitsDep, ModelDep
from api.edge.presenters import model_read, model_url, set_model_headers
from api.edge.problems import problem_responses
from api.routes.models import IfMatch
from api.schemas.common import MAX_OFFSET, Page
from api.schemas.models import ModelRead, ZoneCreate, ZoneRead, ZonesReplace, ZoneUpdate
from api.services import audit
from api.services.models import catalog
from api.services.models import zones as service

router = APIRouter(prefix="/models/{model_id:uuid}/zones", tags=["zones"])

ZoneId = Annotated[uuid.UUID, Path(description="The zone's id.")]
EDIT_ERRORS = (errors.NotFound, errors.PreconditionFailed, errors.ZoneDoesNotFit)


@router.get(
    "",
    operation_id="listZones",
    summary="List a model's zones",
    description="The zones in their order.",
    responses=problem_responses(errors.NotFound),
)
def list_zones(
    _reader: Reader,
    model: ModelDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Page[ZoneRead]:
    set_model_headers(response, model)
    zones = model.zones[offset : offset + limit]
    return Page[ZoneRead](
        items=[ZoneRead.model_validate(zone) for zone in zones],
        total=len(model.zones),
        limit=limit,
        offset=offset,
    )


@router.post(
    "",
    status_code=201,
    operation_id="addZone",
    summary="Add a zone",
    description="Appends one zone; it must fit the reference picture and its name must be "
    "new in the model (regardless of case).",
    responses=problem_responses(*EDIT_ERRORS),
)
def add_zone(
    editor: Editor,
    session: SessionDep,
    limits: LimitsDep,
    model: ModelDep,
    zone: ZoneCreate,
    response: Response,
    if_match: IfMatch = None,
) -> ZoneRead:
    catalog.check_if_match(model, if_match)
    created = service.add_zone(session, model, zone.spec(), limits)
    audit.record(session, editor.actor, "zone.create", str(created.id), {"model": str(model.id)})
    response.headers["Location"] = f"{model_url(model)}/zones/{created.id}"
    set_model_headers(response, model)
    return ZoneRead.model_validate(created)


@router.put(
    "",
    operation_id="replaceZones",
    summary="Replace all zones",
    description="Replaces the whole list at once, atomically: the editor's Save. Zones given "
    "with the `id` of an existing zone keep it. Answers the model.",
    responses=problem_responses(*EDIT_ERRORS),
)
def replace_zones(
    editor: Editor,
    session: SessionDep,
    limits: LimitsDep,
    model: ModelDep,
    body: ZonesReplace,
    response: Response,
    if_match: IfMatch = None,
) -> ModelRead:
    catalog.check_if_match(model, if_match)
    service.replace_zones(session, model, [zone.spec() for zone in body.zones], limits)
    audit.record(session, editor.actor, "zones.replace", str(model.id), {"zones": len(body.zones)})
    set_model_headers(response, model)
    return model_read(model)


@router.get(
    "/{zone_id:uuid}",
    operation_id="getZone",
    summary="Get a zone",
    description="One zone of the model.",
    responses=problem_responses(errors.NotFound),
)
def get_zone(_reader: Reader, model: ModelDep, zone_id: ZoneId, response: Response) -> ZoneRead:
    set_model_headers(response, model)
    return ZoneRead.model_validate(service.find_zone(model, zone_id))


@router.patch(
    "/{zone_id:uuid}",
    operation_id="updateZone",
    summary="Change a zone",
    description="Changes some fields of one zone.",
    responses=problem_responses(*EDIT_ERRORS),
)
def update_zone(
    editor: Editor,
    session: SessionDep,
    limits: LimitsDep,
    model: ModelDep,
    zone_id: ZoneId,
    changes: ZoneUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ZoneRead:
    catalog.check_if_match(model, if_match)
    zone = service.update_zone(
        session, model, zone_id, changes.model_dump(exclude_unset=True), limits
    )
    audit.record(
        session,
        editor.actor,
        "zone.update",
        str(zone.id),
        {"model": str(model.id), **changes.model_dump(exclude_unset=True)},
    )
    set_model_headers(response, model)
    return ZoneRead.model_validate(zone)


@router.delete(
    "/{zone_id:uuid}",
    status_code=204,
    operation_id="deleteZone",
    summary="Delete a zone",
    description="Removes one zone; the others keep their order.",
    responses=problem_responses(errors.NotFound, errors.PreconditionFailed),
)
def delete_zone(
    editor: Editor,
    session: SessionDep,
    model: ModelDep,
    zone_id: ZoneId,
    if_match: IfMatch = None,
) -> Response:
    catalog.check_if_match(model, if_match)
    service.delete_zone(session, model, zone_id)
    audit.record(session, editor.actor, "zone.delete", str(zone_id), {"model": str(model.id)})
    return Response(status_code=204, headers={"ETag": f'"{model.version}"'})
