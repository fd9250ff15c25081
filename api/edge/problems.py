"""Errors as RFC 9457 problem+json: the one renderer, the handlers and route docs."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from api import errors
from api.errors import (
    PROBLEM_TYPE_BASE,
    AppError,
    BadRequest,
    FieldError,
    Refusal,
    ServiceUnavailable,
    ValidationFailed,
)
from api.storage import StorageUnavailable

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("zonecut")


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details)."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "validation-error"])
    title: str = Field(examples=["Invalid request"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["zones[0].folder: folder segment '..' is not allowed"])
    instance: str | None = Field(default=None, examples=["/api/v1/models"])
    errors: list[FieldError] | None = None
    figures: dict[str, float] | None = Field(
        default=None, description="Measurements behind a refusal, such as alignment confidence."
    )
    review_id: str | None = Field(
        default=None, description="A refused picture kept for review: its review item."
    )
    review_url: str | None = Field(default=None, examples=["/api/v1/reviews/2b1f..."])
    refused: list[Refusal] | None = Field(
        default=None,
        description="For a request of several pictures of which none was filed: why each "
        "page or part was refused.",
    )


def to_problem(error: AppError, instance: str | None = None) -> Problem:
    """The problem document this error answers with."""
    return Problem(
        type=PROBLEM_TYPE_BASE + error.slug,
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=instance,
        errors=error.errors,
        figures=error.figures,
        review_id=error.review_id,
        review_url=error.review_url,
        refused=error.refused,
    )


def problem_json(error: AppError, instance: str | None = None) -> bytes:
    """The problem document of an error as the bytes of an answer's body."""
    return json.dumps(to_problem(error, instance).model_dump(exclude_none=True)).encode()


def problem_response(error: AppError, request: Request | None = None) -> JSONResponse:
    """The problem+json answer of an error (an ASGI app as well as a response)."""
    problem = to_problem(error, request.url.path if request else None)
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=error.headers,
    )


def problem_responses(
    *errors: type[AppError], success: dict[int | str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route: its ``success`` answers and its problem answers."""
    by_status: dict[int, list[type[AppError]]] = {}
    documented: tuple[type[AppError], ...] = (
        *errors,
        BadRequest,
        ValidationFailed,
        ServiceUnavailable,
    )
    for error in documented:
        by_status.setdefault(error.status, []).append(error)
    responses: dict[int | str, dict[str, Any]] = dict(success or {})
    for status, classes in sorted(by_status.items()):
        titles = sorted({cls.title for cls in classes})
        example = classes[0]
        responses[status] = {
            "model": Problem,
            "description": " / ".join(titles),
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "example": {
                        "type": PROBLEM_TYPE_BASE + example.slug,
                        "title": example.title,
                        "status": status,
                        "detail": f"{example.title}.",
                    }
                }
            },
        }
    return responses


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error the app raises, ours or the framework's, as problem+json."""

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(OperationalError)
    async def database_unreachable(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unreachable: %s", exc.orig)
        error = ServiceUnavailable(
            "the database cannot be reached; nothing was changed, try again shortly",
            headers={"Retry-After": "5"},
        )
        return problem_response(error, request)

    @app.exception_handler(StorageUnavailable)
    async def storage_unreachable(request: Request, exc: StorageUnavailable) -> JSONResponse:
        log.warning("storage unreachable: %s", exc)
        error = ServiceUnavailable(
            f"the storage cannot be used ({exc}); nothing was filed, try again shortly",
            headers={"Retry-After": "5"},
        )
        return problem_response(error, request)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        field_errors = [
            FieldError(field=_field_name(tuple(e["loc"])), message=str(e["msg"]))
            for e in exc.errors()
        ]
        return problem_response(errors.validation_failed(field_errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        by_status: dict[int, type[AppError]] = {
            400: BadRequest,
            404: errors.NotFound,
            405: errors.MethodNotAllowed,
            413: errors.PayloadTooLarge,
        }
        error_class = by_status.get(exc.status_code, BadRequest)
        detail = str(exc.detail)
        if exc.status_code == 404:
            detail = f"no such resource: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            allowed = allowed_methods(request) or (exc.headers or {}).get("Allow", "")
            detail = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
            exc.headers = {"Allow": allowed}
        error = error_class(detail, headers=dict(exc.headers or {}))
        error.status = exc.status_code if exc.status_code >= 400 else 400
        return problem_response(error, request)


def allowed_methods(request: Request) -> str:
    """Every method of every API route matching the path (Starlette names only the first)."""
    methods: set[str] = set()
    for route in request.app.state.api_routes:
        if route.pattern.match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


def _field_name(location: tuple[int | str, ...]) -> str:
    parts = list(
        location[1:]
        if location and location[0] in ("body", "query", "path", "header")
        else location
    )
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"
