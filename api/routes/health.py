"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api import errors
from api.db import SessionDep
from api.edge.access import Anyone
from api.edge.deps import StorageDep
from api.edge.drain import is_draining
from api.edge.problems import problem_responses
from api.schemas.common import Health, Readiness

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    operation_id="getHealth",
    summary="Liveness",
    description="Answers as long as the server process serves requests.",
)
def health(_anyone: Anyone) -> Health:
    return Health()


@router.get(
    "/ready",
    operation_id="getReadiness",
    summary="Readiness",
    description="Checks that the database answers and the output storage is writable; "
    "503 from the moment the process is asked to stop (it still serves for a short grace, "
    "so a balancer stops sending it requests first).",
    responses=problem_responses(errors.ServiceUnavailable),
)
def ready(_anyone: Anyone, session: SessionDep, storage: StorageDep) -> Readiness:
    if is_draining():
        raise errors.ServiceUnavailable(
            "this server process is shutting down; send requests to another one",
            headers={"Retry-After": "1"},
        )
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:
        raise errors.ServiceUnavailable(f"database does not answer: {exc}") from exc
    try:
        storage.check()
    except Exception as exc:
        raise errors.ServiceUnavailable(f"storage is not usable: {exc}") from exc
    return Readiness()
