"""Multipart forms read within the parts cap: a route class that parses the form itself,
with at most ``ZONECUT_MAX_PARTS`` files, before FastAPI reads it.

Starlette counts the files as it parses and stops at the first one past the limit, so a
request of too many parts is refused before the rest of its body is read; FastAPI then
finds the form parsed and reads it no more. Starlette reports the cut as a 400 of its
own wording; here it becomes the 413 that names the limit.

A synchronous request's pictures stay in memory, where they are decoded anyway (Starlette
would spool every part past 1 MiB to a temporary file, written and read back a thread
hop per 64 KiB; the body limit, ``ZONECUT_MAX_UPLOAD_BYTES``, bounds them already). A
request with ``Prefer: respond-async`` (a job) has the job limits instead:
``ZONECUT_JOB_MAX_PARTS`` files, each spooled to a temporary file past its first MiB, so
that a job's upload of any size costs disk, not memory, until it is streamed to the
store.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response

from api.edge.middleware import prefers_async
from api.services.extraction.batch import too_many_parts
from api.settings import Settings

# How Starlette words the cut (starlette.formparsers.MultiPartParser).
_TOO_MANY_FILES = "Too many files."
MIB = 1024 * 1024


class JobFormParser(MultiPartParser):
    """The form of a job: every file spooled to disk past its first MiB."""

    spool_max_size = MIB


class InMemoryFormParser(MultiPartParser):
    """The form of a synchronous request: its files kept in memory (the body limit caps
    them)."""

    spool_max_size = 1 << 62


class PartsCappedRoute(APIRoute):
    """A route whose multipart form carries at most ``max_parts`` files (413 past it)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        if self.body_field is None or not isinstance(self.body_field.field_info, params.Form):
            return handle

        async def capped(request: Request) -> Response:
            settings: Settings = request.app.state.settings
            job = prefers_async(request.headers)
            limit = settings.job_max_parts if job else settings.max_parts
            try:
                if request.headers.get("content-type", "").startswith("multipart/"):
                    parser = JobFormParser if job else InMemoryFormParser
                    await _read_form(request, parser, limit)
                else:
                    await request.form(max_files=limit)
            except HTTPException as exc:
                if str(exc.detail).startswith(_TOO_MANY_FILES):
                    raise too_many_parts(limit + 1, limit, at_least=True, job=job) from exc
                raise
            return await handle(request)

        return capped


async def _read_form(
    request: Request, parser_class: type[MultiPartParser], max_files: int
) -> FormData:
    """Parse the form with ``parser_class`` and leave it where FastAPI reads it
    (Starlette keeps a parsed form on the request and closes its files at the end)."""
    try:
        async with aclosing(request.stream()) as stream:
            parser = parser_class(request.headers, stream, max_files=max_files)
            form = await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(status_code=400, detail=exc.message) from exc
    request._form = form  # what Request.form() answers from now on
    return form
