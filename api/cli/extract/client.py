"""The HTTP client: a Zonecut server's API, called with an API key (``--server``)."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from api.cli.extract.answers import answer_of, describe, problem_reason
from api.cli.extract.cutter import Answer, DownloadFailed, ModelRef, RetryLater, Submission
from api.cli.extract.plan import Options, UsageError

# Where a Zonecut server serves its API (the server's API_PREFIX; the client keeps its own).
API_PATH = "/api/v1"


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
    ) -> None:
        self.server = server
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

    def cut(self, model: ModelRef, submission: Submission, options: Options) -> Answer:
        """``POST /extract`` with the model's id and the file; a network failure is a retry."""
        try:
            response = self._client.post(
                "/extract",
                data={"model": model.id, **options.form()},
                files={"image": (submission.filename, submission.data, submission.media_type)},
                headers={"Idempotency-Key": submission.idempotency_key},
            )
        except httpx.TransportError as exc:
            return RetryLater(f"network error: {describe(exc)}")
        return answer_of(
            response.status_code,
            _json_or_empty(response),
            retry_after=response.headers.get("Retry-After"),
            replayed=response.headers.get("Idempotent-Replayed") == "true",
        )

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

    def close(self) -> None:
        """Close the connections."""
        self._client.close()


def _json_or_empty(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}
