"""The HTTP client: a Zonecut server's API, called with an API key (``--server``)."""

from __future__ import annotations

import io
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from api.cli.extract.answers import (
    answer_of,
    describe,
    goes_as_a_job,
    job_answer,
    problem_reason,
    retry_after_seconds,
)
from api.cli.extract.cutter import (
    Answer,
    DownloadFailed,
    ModelRef,
    PagesDone,
    Result,
    RetryLater,
    Submission,
)
from api.cli.extract.plan import Options, UsageError

# Where a Zonecut server serves its API (the server's API_PREFIX; the client keeps its own).
API_PATH = "/api/v1"
# How often a job is looked at while it runs (unless the server says Retry-After).
JOB_POLL_SECONDS = 1.0
JOB_ENDED = frozenset({"done", "failed", "cancelled"})


def api_base(server: str) -> str:
    """The API's root for ``--server`` (with or without a trailing ``/api/v1``)."""
    base = server.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise UsageError(f"--server {server}: give the server's URL, such as http://host:8000")
    base = base.removesuffix(API_PATH)
    return base + API_PATH


class HttpCutter:
    """A Zonecut server's API, called with an API key; one connection per job."""

    def __init__(
        self,
        server: str,
        api_key: str,
        *,
        jobs: int = 4,
        transport: httpx.BaseTransport | None = None,
        pause: Callable[[float], object] | None = None,
    ) -> None:
        self.server = server
        self._stopping = threading.Event()
        self._pause = pause or self._stopping.wait
        self._client = httpx.Client(
            base_url=api_base(server),
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": "zonecut-extract",
            },
            timeout=httpx.Timeout(300, connect=10),
            limits=httpx.Limits(max_connections=jobs + 1, max_keepalive_connections=jobs + 1),
            transport=transport,
        )

    def resolve_model(self, reference: str) -> ModelRef:
        """The model by id (``GET /models/{id}``) or by exact name (``GET /models?q=``)."""
        try:
            uuid.UUID(reference)
        except ValueError:
            return self._model_by_name(reference)
        body = self._get_json(f"/models/{reference}", missing=f"model '{reference}' does not exist")
        return ModelRef(str(body["id"]), str(body["name"]), len(body.get("zones") or ()))

    def _model_by_name(self, name: str) -> ModelRef:
        wanted = name.strip().casefold()
        offset = 0
        while True:
            page = self._get_json("/models", params={"q": name, "limit": 200, "offset": offset})
            for item in page["items"]:
                if str(item["name"]).strip().casefold() == wanted:
                    return ModelRef(str(item["id"]), str(item["name"]), int(item["zone_count"]))
            offset += len(page["items"])
            if not page["items"] or offset >= int(page["total"]):
                raise UsageError(f"model '{name}' does not exist (or this API key may not use it)")

    def _get_json(
        self, url: str, *, params: Mapping[str, Any] | None = None, missing: str = ""
    ) -> Any:
        try:
            response = self._client.get(url, params=params)
        except httpx.TransportError as exc:
            raise UsageError(f"cannot reach {self.server}: {describe(exc)}") from exc
        if response.status_code == 200:
            return response.json()
        reason = problem_reason(response.status_code, _json_or_empty(response))
        if response.status_code == 404 and missing:
            raise UsageError(missing)
        if response.status_code == 401:
            raise UsageError(f"the server refused the API key: {reason}")
        raise UsageError(f"the server answered {response.status_code} to GET {url}: {reason}")

    def cut(
        self,
        model: ModelRef,
        submission: Submission,
        options: Options,
        pages_done: PagesDone | None = None,
    ) -> Answer:
        """``POST /extract`` with the model's id and the file; a network failure is a retry.

        A file past the synchronous limits (or whose key an earlier run's job holds) goes
        again, with the same Idempotency-Key, as a job (``Prefer: respond-async``),
        followed until it ends (``pages_done`` is told its progress); its pages then answer
        as the synchronous request would have. A retry after a network failure finds the
        same job, so nothing is cut twice.
        """
        try:
            response = self._post_extract(model, submission, options)
            if goes_as_a_job(response.status_code, _json_or_empty(response)):
                response = self._post_extract(model, submission, options, job=True)
                if response.status_code == 202:
                    return self._follow_job(response, pages_done or _ignore_progress)
        except httpx.TransportError as exc:
            return RetryLater(f"network error: {describe(exc)}")
        return answer_of(
            response.status_code,
            _json_or_empty(response),
            retry_after=response.headers.get("Retry-After"),
            replayed=response.headers.get("Idempotent-Replayed") == "true",
        )

    def _post_extract(
        self, model: ModelRef, submission: Submission, options: Options, *, job: bool = False
    ) -> httpx.Response:
        headers = {"Idempotency-Key": submission.idempotency_key}
        if job:
            headers["Prefer"] = "respond-async"
        return self._client.post(
            "/extract",
            data={"model": model.id, **options.form()},
            files={"image": (submission.filename, submission.data, submission.media_type)},
            headers=headers,
        )

    def _follow_job(self, queued: httpx.Response, pages_done: PagesDone) -> Answer:
        """Look at the job every second (or after ``Retry-After``) until it ends, then read
        its pages. A network failure raises (the caller asks again: the same job)."""
        job = _json_or_empty(queued)
        location = queued.headers.get("Location") or f"{API_PATH}/jobs/{job.get('id')}"
        url = self._client.base_url.join(location)
        # "Already cut" only when an earlier run's job had ended before this one asked.
        replayed = (
            queued.headers.get("Idempotent-Replayed") == "true" and job.get("status") in JOB_ENDED
        )
        while True:
            progress = job.get("progress") if isinstance(job.get("progress"), dict) else {}
            pages_done(int(progress.get("done") or 0), progress.get("total"))
            if job.get("status") in JOB_ENDED:
                break
            if self._stopping.is_set():
                return Result(
                    "failed",
                    reason=f"interrupted while following the job at {url} (it goes on on the "
                    "server: run again to pick it up)",
                )
            self._pause(retry_after_seconds(queued.headers.get("Retry-After")) or JOB_POLL_SECONDS)
            queued = self._client.get(url)
            if queued.status_code in (429, 503):
                continue
            if queued.status_code != 200:
                reason = problem_reason(queued.status_code, _json_or_empty(queued))
                return Result("failed", reason=f"cannot follow the job at {url}: {reason}")
            job = queued.json()
        if job.get("status") != "done":
            return job_answer(job, ())
        items = self._job_items(url.join(str(job["items_url"])))
        if isinstance(items, Result):
            return items
        return job_answer(job, items, replayed=replayed)

    def _job_items(self, url: httpx.URL) -> list[Any] | Result:
        """Every page of an ended job (``GET /jobs/{id}/items``, page after page)."""
        items: list[Any] = []
        while True:
            response = self._client.get(url, params={"limit": 200, "offset": len(items)})
            if response.status_code != 200:
                reason = problem_reason(response.status_code, _json_or_empty(response))
                return Result("failed", reason=f"cannot read the pages of the job: {reason}")
            page = response.json()
            items += page["items"]
            if not page["items"] or len(items) >= int(page["total"]):
                return items

    def crops(self, extraction_id: str) -> Iterator[tuple[str, bytes]]:
        """The crops from the extraction's archive (``GET /extractions/{id}/archive``)."""
        url = f"/extractions/{extraction_id}/archive"
        try:
            response = self._client.get(url, headers={"Accept": "application/zip"})
        except httpx.TransportError as exc:
            raise DownloadFailed(f"network error: {describe(exc)}") from exc
        if response.status_code != 200:
            raise DownloadFailed(problem_reason(response.status_code, _json_or_empty(response)))
        try:
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                for entry in archive.infolist():
                    if entry.is_dir() or entry.filename == "manifest.json":
                        continue
                    yield entry.filename, archive.read(entry)
        except zipfile.BadZipFile as exc:
            raise DownloadFailed(f"the archive of {extraction_id} is not a ZIP: {exc}") from exc

    def interrupt(self) -> None:
        """Stop following jobs: the files waiting on one end as failures at once."""
        self._stopping.set()

    def close(self) -> None:
        """Close the connections."""
        self._client.close()


def _ignore_progress(done: int, total: int | None) -> None:
    """No one to tell."""


def _json_or_empty(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}
