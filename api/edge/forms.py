"""Multipart forms read within the parts cap: a route class that parses the form itself,
with at most ``ZONECUT_MAX_PARTS`` files, before FastAPI reads it.

Starlette counts the files as it parses and stops at the first one past the limit, so a
request of too many parts is refused before the rest of its body is read; FastAPI then
finds the form parsed and reads it no more. Starlette reports the cut as a 400 of its
own wording; here it becomes the 413 that names the limit.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from api.services.extraction.batch import too_many_parts
from api.settings import Settings

# How Starlette words the cut (starlette.formparsers.MultiPartParser).
_TOO_MANY_FILES = "Too many files."


class PartsCappedRoute(APIRoute):
    """A route whose multipart form carries at most ``max_parts`` files (413 past it)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        if self.body_field is None or not isinstance(self.body_field.field_info, params.Form):
            return handle

        async def capped(request: Request) -> Response:
            settings: Settings = request.app.state.settings
            try:
                await request.form(max_files=settings.max_parts)
            except HTTPException as exc:
                if str(exc.detail).startswith(_TOO_MANY_FILES):
                    limit = settings.max_parts
                    raise too_many_parts(limit + 1, limit, at_least=True) from exc
                raise
            return await handle(request)

        return capped
