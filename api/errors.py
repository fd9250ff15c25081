"""RFC 9457 problem details: one error hierarchy, rendered by one handler."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://zonecut.dev/problems/"


class FieldError(BaseModel):
    """One invalid input: where it is and what is wrong with it."""

    field: str = Field(examples=["zones[0].folder"])
    message: str = Field(examples=["folder segment '..' is not allowed"])


def _absent(value: object) -> bool:
    return value is None


class Refusal(BaseModel):
    """A page or part of a request of several pictures that was refused."""

    page: int | None = Field(
        default=None, exclude_if=_absent, description="The page refused, from 1."
    )
    part: int | None = Field(
        default=None, exclude_if=_absent, description="The `image` part refused, from 1."
    )
    type: str = Field(examples=[PROBLEM_TYPE_BASE + "picture-does-not-match"])
    title: str
    status: int = Field(examples=[422])
    detail: str
    review_id: str | None = Field(
        default=None, exclude_if=_absent, description="Kept for review: its item."
    )
    review_url: str | None = Field(default=None, exclude_if=_absent)


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


class AppError(Exception):
    """Base of every error the API answers on purpose."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        figures: dict[str, float] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.figures = figures
        self.headers = headers or {}
        self.review_id: str | None = None
        self.review_url: str | None = None
        self.refused: list[Refusal] | None = None

    def to_problem(self, instance: str | None = None) -> Problem:
        """The problem document this error answers with."""
        return Problem(
            type=PROBLEM_TYPE_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
            figures=self.figures,
            review_id=self.review_id,
            review_url=self.review_url,
            refused=self.refused,
        )

    def as_refusal(self, *, page: int | None = None, part: int | None = None) -> Refusal:
        """This error as the refusal of one page or part of a request of several."""
        return Refusal(
            page=page,
            part=part,
            type=PROBLEM_TYPE_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            review_id=self.review_id,
            review_url=self.review_url,
        )


class BadRequest(AppError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(
            detail, headers={"WWW-Authenticate": 'Bearer realm="zonecut"'} | (headers or {})
        )


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(AppError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class NotAcceptable(AppError):
    status, slug, title = 406, "not-acceptable", "Not acceptable"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class Gone(AppError):
    status, slug, title = 410, "gone", "No longer kept"


class PreconditionFailed(AppError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "too-large", "Content too large"


class UnsupportedPicture(AppError):
    status, slug, title = 415, "unsupported-picture", "Unsupported picture"


class ValidationFailed(AppError):
    status, slug, title = 422, "validation-error", "Invalid request"


class UndecodablePicture(AppError):
    status, slug, title = 422, "undecodable-picture", "Picture cannot be decoded"


class ZoneDoesNotFit(AppError):
    status, slug, title = 422, "zone-does-not-fit", "Zone does not fit the picture"


class PictureDoesNotMatch(AppError):
    status, slug, title = 422, "picture-does-not-match", "Picture does not match the model"


class PageCountMismatch(AppError):
    status, slug, title = 422, "page-count-mismatch", "Page count does not match the model"


class NothingFiled(AppError):
    status, slug, title = 422, "nothing-filed", "Every picture was refused"


class IdempotencyKeyReused(AppError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused"


class TooManyRequests(AppError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class StillRunning(AppError):
    status, slug, title = 409, "still-running", "The same request is still running"


class ServiceUnavailable(AppError):
    status, slug, title = 503, "unavailable", "Service unavailable"


def problem_response(error: AppError, request: Request | None = None) -> JSONResponse:
    """The problem+json answer of an error (an ASGI app as well as a response)."""
    problem = error.to_problem(request.url.path if request else None)
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=error.headers,
    )


def validation_failed(errors: list[FieldError]) -> ValidationFailed:
    """A 422 naming every invalid field in its detail."""
    detail = "; ".join(f"{error.field}: {error.message}" for error in errors)
    return ValidationFailed(detail, errors=errors)


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
