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
            return _pages_answer(body, replayed=replayed)
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


def _pages_answer(body: Mapping[str, Any], *, replayed: bool = False) -> Result:
    """A ``pages=each`` answer: filed when any page was; the refused pages are the reason
    (or, for an answer replayed, that it was)."""
    items = [item for item in body["items"] if isinstance(item, dict) and "id" in item]
    refused = body.get("refused")
    reason = _refusals(refused) if isinstance(refused, list) else ""
    if not items:
        return Result("refused", reason=reason or "no page was filed")
    crops = sum(len(item.get("crops") or ()) for item in items)
    ids = tuple(str(item["id"]) for item in items)
    return Result("filed", ids, crops, reason or (REPLAYED if replayed else ""), replayed)


def goes_as_a_job(status: int, body: Any) -> bool:
    """Whether the file should go again as a job: the answer says it is past the
    synchronous limits (too many pages, too many bytes or pixels for one request), which a
    job's are larger than, or that its key was used for another request — a job that an
    earlier run started for this same file."""
    slug = str(body.get("type", "")).rsplit("/", 1)[-1] if isinstance(body, dict) else ""
    return (status, slug) in {(413, "too-large"), (422, "idempotency-key-reused")}


def job_answer(job: Mapping[str, Any], items: Sequence[Any], *, replayed: bool = False) -> Result:
    """What an ended job (``GET /jobs/{id}``) and its pages (``GET /jobs/{id}/items``) mean
    for the file, as the synchronous answer would: filed when any page was, its refused
    pages the reason; a job that failed or was cancelled is a failure."""
    status = job.get("status")
    if status != "done":
        why = f": {job['error']}" if job.get("error") else ""
        return Result(
            "failed",
            reason=f"the job {job.get('id')} {status}{why} (pages filed before it ended: "
            f"{job.get('filed', 0)})",
        )
    extractions = []
    refused = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("status") == "filed" and isinstance(item.get("extraction"), dict):
            extractions.append(item["extraction"])
        elif isinstance(item.get("refusal"), dict):
            where = {"page": item["page"]} if item.get("page") else {"part": item.get("part")}
            refused.append(item["refusal"] | where)
    return _pages_answer({"items": extractions, "refused": refused}, replayed=replayed)


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
