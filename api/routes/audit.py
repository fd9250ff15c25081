"""The audit log: who did what."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.db import SessionDep
from api.edge.access import Admin
from api.edge.problems import problem_responses
from api.schemas.access import AuditEventRead, AuditList
from api.schemas.common import MAX_OFFSET
from api.services import audit

router = APIRouter(tags=["audit"])


@router.get(
    "/audit",
    operation_id="listAuditEvents",
    summary="Read the audit log",
    description="Sign-ins (failed ones too), model, zone, file, user and key changes, newest "
    "first. `actor` is a username or `key:<name>`; `action` may end in `*` (`user.*`).",
    responses=problem_responses(),
)
def list_audit_events(
    session: SessionDep,
    _admin: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=50)] = None,
) -> AuditList:
    events, total = audit.list_events(
        session, limit=limit, offset=offset, actor=actor, action=action
    )
    return AuditList(
        items=[AuditEventRead.model_validate(e) for e in events],
        total=total,
        limit=limit,
        offset=offset,
    )
