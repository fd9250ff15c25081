"""The errors the service answers on purpose: one hierarchy, free of HTTP machinery.

Each error names its status, a problem type and a title; the edge renders it as RFC 9457
problem+json (:mod:`api.edge.problems`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

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


class RequestTimeout(AppError):
    status, slug, title = 408, "request-timeout", "Request too slow"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "too-large", "Content too large"


class HeadersTooLarge(AppError):
    status, slug, title = 431, "headers-too-large", "Request headers too large"


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


class UnknownImportFormat(AppError):
    status, slug, title = 422, "unknown-import-format", "Not a file Zonecut can import"


class AmbiguousImport(AppError):
    status, slug, title = 422, "ambiguous-import", "The file describes several pictures"


class NothingToImport(AppError):
    status, slug, title = 422, "nothing-to-import", "No rectangle to import"


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


def validation_failed(errors: list[FieldError]) -> ValidationFailed:
    """A 422 naming every invalid field in its detail."""
    detail = "; ".join(f"{error.field}: {error.message}" for error in errors)
    return ValidationFailed(detail, errors=errors)
