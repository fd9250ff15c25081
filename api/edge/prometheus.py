"""``GET /metrics`` in Prometheus text format: open on this machine, or to an admin."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api import errors, metrics
from api.edge.access import principal_of

METRICS_PATH = "/metrics"

router = APIRouter(include_in_schema=False)


@router.get(METRICS_PATH)
async def prometheus_metrics(request: Request) -> Response:
    """Every process's figures added up (see :mod:`api.metrics`)."""
    principal = principal_of(request)
    # an admin for every model: a key for some models, or for none ([]), is not one
    is_admin = principal is not None and principal.has_role("admin") and principal.models is None
    if not (is_admin or from_loopback(request)):
        if principal is None:
            raise errors.Unauthorized("metrics are open on this machine, or to an admin")
        raise errors.Forbidden("metrics are for admins")
    body, media_type = metrics.exposition()
    return Response(body, media_type=media_type)


def from_loopback(request: Request) -> bool:
    """Whether the caller is on this machine. A request carrying forwarding headers came
    through a proxy (trusted ones have already replaced the client address), so never."""
    forwarded = "forwarded" in request.headers or "x-forwarded-for" in request.headers
    host = request.client.host if request.client else ""
    return not forwarded and host in ("127.0.0.1", "::1")
