"""The built browser app served at ``/``, with index.html for its client-side routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.edge.problems import allowed_methods

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def web_app_router(dist: Path, policy: str) -> APIRouter:
    """A catch-all route serving the files of ``dist`` (the frontend's build) under the
    Content-Security-Policy ``policy``.

    It matches every method and path, so it must be included after every other route.
    """
    router = APIRouter(include_in_schema=False)
    index = dist / "index.html"
    secured = {"Content-Security-Policy": policy}

    @router.api_route("/{path:path}", methods=list(ALL_METHODS))
    async def web_app(path: str, request: Request) -> Response:
        if path == "api" or path.startswith("api/"):
            # This route matches every method; an API path known under other methods is a 405.
            raise StarletteHTTPException(405 if allowed_methods(request) else 404)
        if request.method not in ("GET", "HEAD"):
            raise StarletteHTTPException(405, headers={"Allow": "GET, HEAD"})
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate, headers=secured)
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache", **secured})
        return HTMLResponse(
            "<!doctype html><title>Zonecut</title><p>The web app is not built. "
            "Run <code>make run</code>, or see the API at <a href='/docs'>/docs</a>.</p>",
            status_code=404 if path else 200,
            headers=secured,
        )

    return router
