"""API keys for other systems: admins make them (the secret shown once) and revoke them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api import errors
from api.db import SessionDep
from api.edge.access import Admin
from api.edge.presenters import API_PREFIX
from api.edge.problems import problem_responses
from api.schemas.access import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyRead
from api.schemas.common import MAX_OFFSET
from api.services import audit
from api.services.identity import api_keys as service
from api.services.identity.credentials import as_role
from api.tables import ApiKey

router = APIRouter(prefix="/api-keys", tags=["api keys"])


def key_read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        id=key.id,
        name=key.name,
        role=as_role(key.role),
        models=[uuid.UUID(m) for m in key.models] if key.models is not None else None,
        prefix=key.prefix,
        created_at=key.created_at,
        created_by=key.created_by,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
    )


@router.get(
    "",
    operation_id="listApiKeys",
    summary="List API keys",
    description="Every key, newest first, revoked ones included; never their secrets.",
    responses=problem_responses(),
)
def list_keys(
    session: SessionDep,
    _admin: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ApiKeyList:
    keys, total = service.list_keys(session, limit=limit, offset=offset)
    return ApiKeyList(items=[key_read(k) for k in keys], total=total, limit=limit, offset=offset)


@router.post(
    "",
    status_code=201,
    operation_id="createApiKey",
    summary="Create an API key",
    description="A new key for a system, sent as `Authorization: Bearer <secret>`. The "
    "`secret` is in this answer only: it is stored as a hash and cannot be shown again.",
    responses=problem_responses(errors.Conflict),
)
def create_key(
    session: SessionDep, admin: Admin, body: ApiKeyCreate, response: Response
) -> ApiKeyCreated:
    created = service.create_key(
        session,
        name=body.name,
        role=body.role,
        models=body.models,
        expires_at=body.expires_at,
        created_by=admin.actor,
    )
    key = created.key
    audit.record(
        session,
        admin.actor,
        "api_key.create",
        str(key.id),
        {"name": key.name, "role": key.role, "models": key.models},
    )
    response.headers["Location"] = f"{API_PREFIX}/api-keys/{key.id}"
    response.headers["Cache-Control"] = "no-store"
    return ApiKeyCreated(**key_read(key).model_dump(), secret=created.secret)


@router.delete(
    "/{key_id:uuid}",
    status_code=204,
    operation_id="revokeApiKey",
    summary="Revoke an API key",
    description="The key stops working from the next request; it stays listed as revoked.",
    responses=problem_responses(errors.NotFound),
)
def revoke_key(
    session: SessionDep,
    admin: Admin,
    key_id: Annotated[uuid.UUID, Path(description="The key's id.")],
) -> Response:
    key = service.load_key(session, key_id)
    if service.revoke_key(session, key):
        audit.record(session, admin.actor, "api_key.revoke", str(key.id), {"name": key.name})
    return Response(status_code=204)
