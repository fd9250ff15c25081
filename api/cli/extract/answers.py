"""What an answer of ``POST /extract`` (or a problem of the in-process service) means for
the file: filed, refused, failed or "ask again later", with its reason in one line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from api.cli.extract.cutter import Answer, Result, RetryLater

# Refusals of the picture itself: too large, not a picture, not this model's picture.
REFUSAL_STATUSES = frozenset({413, 415, 422})
# Answers that mean "not now": asked again after Retry-After, ATTEMPTS times in all.
RETRY_STATUSES = frozenset({429, 503})
MAX_WAIT_SECONDS = 60.0
REPLAYED = "already cut: the first answer was replayed"


def answer_of(
    status: int, body: Any, *, retry_after: str | None = None, replayed: bool = False
) -> Answer:
    """What an answer of ``POST /extract`` (or the service's error) means for the file."""
    if status in (200, 201) and isinstance(body, dict):
        if isinstance(body.get("items"), list):
            return _pages_answer(body)
        if "id" in body:
            crops = body.get("crops")
            return Result(
                "filed",
                (str(body["id"]),),
                len(crops) if isinstance(crops, list) else 0,
                REPLAYED if replayed else "",
                replayed,
            )
    problem: Mapping[str, Any] = body if isinstance(body, dict) else {}
    reason = problem_reason(status, problem)
    slug = str(problem.get("type", "")).rsplit("/", 1)[-1]
    if status in RETRY_STATUSES or (status == 409 and slug == "still-running"):
        return RetryLater(reason, retry_after_seconds(retry_after))
    refused = problem.get("refused")
    if isinstance(refused, list) and refused:
        return Result("refused", reason=_refusals(refused))
    if status in REFUSAL_STATUSES and slug != "idempotency-key-reused":
        return Result("refused", reason=reason)
    return Result("failed", reason=reason)


def _pages_answer(body: Mapping[str, Any]) -> Result:
    """A ``pages=each`` answer: filed when any page was; the refused pages are the reason."""
    items = [item for item in body["items"] if isinstance(item, dict) and "id" in item]
    refused = body.get("refused")
    reason = _refusals(refused) if isinstance(refused, list) else ""
    if not items:
        return Result("refused", reason=reason or "no page was filed")
    crops = sum(len(item.get("crops") or ()) for item in items)
    return Result("filed", tuple(str(item["id"]) for item in items), crops, reason)


def _refusals(refused: Sequence[Any]) -> str:
    notes = []
    for entry in refused:
        if not isinstance(entry, dict):
            continue
        where = (
            f"page {entry['page']}"
            if "page" in entry
            else f"part {entry['part']}"
            if "part" in entry
            else "refused"
        )
        notes.append(f"{where}: {problem_reason(int(entry.get('status', 422)), entry)}")
    return "; ".join(notes)


def problem_reason(status: int, problem: Mapping[str, Any]) -> str:
    """A problem+json answer in one line: its title and detail, and its review item."""
    title, detail = problem.get("title"), problem.get("detail")
    reason = ": ".join(str(part) for part in (title, detail) if part) or f"HTTP {status}"
    if problem.get("review_url"):
        reason += f" (kept for review: {problem['review_url']})"
    return reason


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), at most a minute."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)


def describe(exc: BaseException) -> str:
    """An exception in one line: its type, and its message when it has one."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
