"""``zonecut extract``: cut a batch of files with one model and file every crop.

The run walks the paths it is given and hands every picture to a *cutter*: a server's API
over HTTP (:class:`HttpCutter`), or this instance's extraction service in-process
(:class:`LocalCutter`), a few at a time. It shows its progress, says what became of each
file, and can write a report, copy the refused files aside and mirror the crops.

Every request carries an ``Idempotency-Key`` made from the file's content, the model and
the options (not the file's name), so a second run over the same folder — after an
interruption, say — cuts nothing twice: the server answers what it answered the first time.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import mimetypes
import os
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, Protocol, TextIO

import httpx

if TYPE_CHECKING:
    from api.settings import Settings

# What the server takes as a picture or a document, by file name.
PICTURE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif", ".pdf"}
)
REPORT_FORMATS = {".csv": "csv", ".json": "json"}
REPORT_FIELDS = ("file", "status", "extraction_id", "crops", "reason")
API_PREFIX = "/api/v1"
# Refusals of the picture itself: too large, not a picture, not this model's picture.
REFUSAL_STATUSES = frozenset({413, 415, 422})
# Answers that mean "not now": asked again after Retry-After, ATTEMPTS times in all.
RETRY_STATUSES = frozenset({429, 503})
ATTEMPTS = 5
MAX_WAIT_SECONDS = 60.0
REPLAYED = "already cut: the first answer was replayed"
EXIT_INTERRUPTED = 130

Status = Literal["filed", "refused", "failed"]


class UsageError(Exception):
    """The command cannot run as asked (exit status 2); the message says why."""


class DownloadFailed(Exception):
    """The crops of a filed extraction could not be brought home."""


@dataclass(frozen=True)
class Options:
    """How every file of the batch is cut, beyond the model."""

    pages_each: bool = False

    def form(self) -> dict[str, str]:
        """The form fields of ``POST /extract`` that say so."""
        return {"pages": "each"} if self.pages_each else {}


@dataclass(frozen=True)
class Plan:
    """What ``zonecut extract`` was asked to do."""

    model: str
    paths: tuple[str, ...]
    jobs: int = 4
    report: Path | None = None
    refused_dir: Path | None = None
    download_dir: Path | None = None
    options: Options = Options()


@dataclass(frozen=True)
class Source:
    """One file of the batch: where it is, how the report names it (``shown``: the path
    given joined with the path below it) and its path below that argument (``relative``)."""

    path: Path
    shown: str
    relative: PurePosixPath


@dataclass(frozen=True)
class ModelRef:
    """The model every file is cut with, resolved once from the name or id given."""

    id: str
    name: str
    zone_count: int


@dataclass(frozen=True)
class Upload:
    """One file as it is sent: its name, its bytes and the key that makes a retry safe."""

    filename: str
    data: bytes
    idempotency_key: str

    @property
    def media_type(self) -> str:
        """The file's media type by its name (the server looks at the bytes anyway)."""
        return mimetypes.guess_type(self.filename)[0] or "application/octet-stream"


@dataclass(frozen=True)
class Result:
    """What became of one file: ``filed`` (with its extractions and how many crops),
    ``refused`` by the server, or ``failed`` (the network, the server, this machine)."""

    status: Status
    extraction_ids: tuple[str, ...] = ()
    crops: int = 0
    reason: str = ""
    replayed: bool = False  # filed by an earlier request with the same key


@dataclass(frozen=True)
class RetryLater:
    """The server cannot take the file now; ask again after ``after`` seconds (None: back
    off by the attempt)."""

    reason: str
    after: float | None = None


Answer = Result | RetryLater


class Cutter(Protocol):
    """Where the pictures are cut: a server over HTTP, or this instance in-process."""

    def resolve_model(self, reference: str) -> ModelRef:
        """The model named by id or (case-insensitive) name; :class:`UsageError` if none."""
        ...

    def cut(self, model: ModelRef, upload: Upload, options: Options) -> Answer:
        """Cut one file; a refusal or failure is an answer, not an exception."""
        ...

    def crops(self, extraction_id: str) -> Iterator[tuple[str, bytes]]:
        """The filed crops of an extraction as ``(<folder>/<file>, bytes)``."""
        ...

    def close(self) -> None:
        """Let go of connections and engines."""
        ...


# --- what to cut -------------------------------------------------------------------------


def report_format(path: Path) -> str:
    """``csv`` or ``json`` by the report file's extension; :class:`UsageError` otherwise."""
    found = REPORT_FORMATS.get(path.suffix.lower())
    if found is None:
        raise UsageError(f"--report {path}: the report is .csv or .json, by its extension")
    return found


def find_sources(arguments: Sequence[str]) -> list[Source]:
    """The files to cut: each file named, and below each folder named every picture or
    document by extension (recursively, in sorted order, hidden files and folders left
    out). A file reached twice is cut once."""
    sources: list[Source] = []
    seen: set[Path] = set()
    for argument in arguments:
        root = Path(argument)
        if root.is_dir():
            found = _walk(root, argument)
        elif root.is_file():
            found = [Source(root, argument, PurePosixPath(root.name))]
        elif root.exists():
            raise UsageError(f"{argument} is neither a file nor a folder")
        else:
            raise UsageError(f"{argument} does not exist")
        for source in found:
            identity = source.path.resolve()
            if identity not in seen:
                seen.add(identity)
                sources.append(source)
    return sources


def _walk(root: Path, argument: str) -> list[Source]:
    found: list[Source] = []
    for folder, folders, names in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            if name.startswith(".") or Path(name).suffix.lower() not in PICTURE_SUFFIXES:
                continue
            path = Path(folder, name)
            if not path.is_file():  # a broken link, a pipe, a socket
                continue
            relative = PurePosixPath(path.relative_to(root).as_posix())
            found.append(Source(path, os.path.join(argument, *relative.parts), relative))
    found.sort(key=lambda source: source.relative.parts)
    return found


def idempotency_key(content_sha256: str, model_id: str, options: Options) -> str:
    """The key of one file's request: a hash of its content, the model and the options.

    The same picture under another name is the same request; the key is the same whether
    the picture goes to a server or is cut in-process.
    """
    parts = [
        "zonecut-extract/1",
        content_sha256,
        model_id,
        "pages=each" if options.pages_each else "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# --- reading answers ---------------------------------------------------------------------


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


# --- the cutters -------------------------------------------------------------------------


def api_base(server: str) -> str:
    """The API's root for ``--server`` (with or without a trailing ``/api/v1``)."""
    base = server.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise UsageError(f"--server {server}: give the server's URL, such as http://host:8000")
    base = base.removesuffix(API_PREFIX)
    return base + API_PREFIX


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
            raise UsageError(f"cannot reach {self.server}: {_describe(exc)}") from exc
        if response.status_code == 200:
            return response.json()
        reason = problem_reason(response.status_code, _json_or_empty(response))
        if response.status_code == 404 and missing:
            raise UsageError(missing)
        if response.status_code == 401:
            raise UsageError(f"the server refused the API key: {reason}")
        raise UsageError(f"the server answered {response.status_code} to GET {url}: {reason}")

    def cut(self, model: ModelRef, upload: Upload, options: Options) -> Answer:
        """``POST /extract`` with the model's id and the file; a network failure is a retry."""
        try:
            response = self._client.post(
                "/extract",
                data={"model": model.id, **options.form()},
                files={"image": (upload.filename, upload.data, upload.media_type)},
                headers={"Idempotency-Key": upload.idempotency_key},
            )
        except httpx.TransportError as exc:
            return RetryLater(f"network error: {_describe(exc)}")
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
            raise DownloadFailed(f"network error: {_describe(exc)}") from exc
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


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class LocalCutter:
    """This instance's extraction service, in-process: the configuration, database and
    storage that ``zonecut serve`` uses, the same pipeline, recorded as made by ``cli``."""

    CREATED_BY = "cli"

    def __init__(self, settings: Settings | None = None) -> None:
        from api.db import make_engine, make_sessionmaker, upgrade_database
        from api.services.extraction import intents
        from api.services.extraction.alignment import ReferenceCache
        from api.services.extraction.pipeline import Pipeline
        from api.settings import Settings
        from api.storage.factory import open_storage

        settings = settings or Settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(settings.effective_database_url)
        self._engine = make_engine(settings.effective_database_url)
        self._max_bytes = settings.max_upload_bytes
        sessions = make_sessionmaker(self._engine)
        # The areas of the store, as the server opens them (api.lifecycle.STORAGE_AREAS).
        outputs, references, reviews, sources = (
            open_storage(
                settings.storage_url,
                area=area,
                local_root=settings.data_dir,
                endpoint_url=settings.s3_endpoint_url,
            )
            for area in ("outputs", "references", "reviews", "sources")
        )
        self._pipeline = Pipeline(
            sessions=sessions,
            storage=outputs,
            references=ReferenceCache(references, max_pixels=settings.max_image_pixels),
            max_pixels=settings.max_image_pixels,
            reviews=reviews,
            sources=sources,
            keep_sources=timedelta(days=settings.keep_sources_days),
        )
        # No server may be running to finish what an interrupted local run left pending.
        intents.sweep(sessions, outputs, timedelta(seconds=settings.intent_timeout_seconds))

    def resolve_model(self, reference: str) -> ModelRef:
        """The model by id or name, from the database."""
        from api import errors
        from api.db import session_scope
        from api.services.models.catalog import find_model

        try:
            with session_scope(self._pipeline.sessions) as session:
                model = find_model(session, reference)
                return ModelRef(str(model.id), model.name, len(model.zones))
        except errors.NotFound as exc:
            raise UsageError(exc.detail) from exc

    def cut(self, model: ModelRef, upload: Upload, options: Options) -> Answer:
        """Run the extraction service on the file, as ``POST /extract`` does."""
        from api import errors
        from api.edge.problems import to_problem
        from api.services.extraction.pipeline import ExtractRequest
        from api.services.extraction.run import run_extraction

        try:
            if len(upload.data) > self._max_bytes:
                raise errors.PayloadTooLarge(
                    f"the file is larger than the limit of {self._max_bytes} bytes"
                )
            outcome = run_extraction(
                self._pipeline,
                ExtractRequest(
                    model=model.id,
                    filename=upload.filename,
                    data=upload.data,
                    idempotency_key=upload.idempotency_key,
                    created_by=self.CREATED_BY,
                ),
            )
        except errors.AppError as exc:
            problem = to_problem(exc).model_dump(mode="json", exclude_none=True)
            return answer_of(exc.status, problem, retry_after=exc.headers.get("Retry-After"))
        record = outcome.record
        return Result(
            "filed",
            (str(record.id),),
            len(record.crops),
            REPLAYED if outcome.replayed else "",
            outcome.replayed,
        )

    def crops(self, extraction_id: str) -> Iterator[tuple[str, bytes]]:
        """The crops, read from the store where they were filed."""
        from api.db import session_scope
        from api.services.extraction.records import load_extraction

        with session_scope(self._pipeline.sessions) as session:
            record = load_extraction(session, uuid.UUID(extraction_id))
            paths = [crop.path for crop in record.crops if crop.path]
        for path in paths:
            yield path, self._pipeline.storage.read(path)

    def close(self) -> None:
        """Close the database connections."""
        self._engine.dispose()


# --- the run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    file: str
    status: Status
    extraction_id: str
    crops: int
    reason: str

    @classmethod
    def of(cls, source: Source, result: Result) -> Row:
        return cls(
            source.shown,
            result.status,
            " ".join(result.extraction_ids),
            result.crops,
            result.reason,
        )


@dataclass
class Tally:
    """How many files were filed, refused and failed, and how many crops were filed."""

    filed: int = 0
    refused: int = 0
    failed: int = 0
    crops: int = 0
    replayed: int = 0

    def add(self, result: Result) -> None:
        setattr(self, result.status, getattr(self, result.status) + 1)
        if result.status == "filed":
            self.crops += result.crops
            self.replayed += result.replayed

    def counts(self) -> str:
        """Filed, refused and failed so far, for the progress bar."""
        return f"filed {self.filed}, refused {self.refused}, failed {self.failed}"

    def summary(self, total: int, seconds: float) -> str:
        """The closing line: filed (and how many were already cut), refused, failed, crops."""
        earlier = f" ({self.replayed} were already cut)" if self.replayed else ""
        return (
            f"{total} files: {self.filed} filed{earlier}, {self.refused} refused, "
            f"{self.failed} failed, {self.crops} crops in {seconds:.1f} s"
        )


def extract_command(
    plan: Plan,
    *,
    server: str | None,
    api_key: str | None,
    environ: Mapping[str, str] = os.environ,
    out: TextIO = sys.stdout,
    progress: TextIO = sys.stderr,
) -> int:
    """Run ``zonecut extract`` and answer its exit status: 0 when every file was filed, 1
    when any was refused or failed. :class:`UsageError` (status 2) before anything is cut
    for arguments that cannot work together, a missing path or an unknown model."""
    if plan.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if plan.report is not None:
        report_format(plan.report)
    if api_key and not server:
        raise UsageError("--api-key goes with --server (without it the local instance is used)")
    if plan.options.pages_each and not server:
        raise UsageError("--pages-each needs --server")
    if server:
        api_base(server)
        api_key = api_key or environ.get("ZONECUT_API_KEY")
        if not api_key:
            raise UsageError("--server needs an API key: --api-key KEY or ZONECUT_API_KEY")
    sources = find_sources(plan.paths)
    cutter: Cutter = HttpCutter(server, api_key or "", jobs=plan.jobs) if server else LocalCutter()
    try:
        return run_batch(plan, cutter, sources, out=out, progress=progress)
    finally:
        cutter.close()


def run_batch(
    plan: Plan,
    cutter: Cutter,
    sources: Sequence[Source],
    *,
    out: TextIO = sys.stdout,
    progress: TextIO = sys.stderr,
    pause: Callable[[float], None] = time.sleep,
) -> int:
    """Cut every source with the plan's model, ``plan.jobs`` at a time, with a progress
    bar on ``progress`` and the summary on ``out``; write the report, the refused copies
    and the crops the plan asks for. Answers the exit status (130 when interrupted)."""
    from tqdm import tqdm

    model = cutter.resolve_model(plan.model)
    if model.zone_count == 0:
        raise UsageError(f"model '{model.name}' has no zones yet: draw them first")
    if not sources:
        out.write(f"no pictures or documents found in {' '.join(plan.paths)}\n")
        return 0
    started = time.monotonic()
    results: dict[int, Result] = {}
    tally = Tally()
    interrupted = False
    tty = progress.isatty()
    bar = tqdm(
        total=len(sources),
        desc=model.name,
        unit="file",
        file=progress,
        dynamic_ncols=tty,
        mininterval=0.1 if tty else 1.0,
    )
    pool = ThreadPoolExecutor(max_workers=plan.jobs, thread_name_prefix="extract")
    futures: dict[Future[Result], int] = {}
    try:
        for index, source in enumerate(sources):
            futures[pool.submit(_cut_one, cutter, model, plan, source, pause)] = index
        for future in as_completed(futures):
            index = futures[future]
            result = _settle(sources[index], future.result(), plan)
            results[index] = result
            tally.add(result)
            if result.status != "filed":
                bar.write(
                    f"{result.status}: {sources[index].shown}: {result.reason}", file=progress
                )
            bar.set_postfix_str(tally.counts(), refresh=False)
            bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
        bar.write("interrupted: finishing the files under way…", file=progress)
        pool.shutdown(wait=True, cancel_futures=True)
        for future, index in futures.items():
            if index not in results and future.done() and not future.cancelled():
                results[index] = _settle(sources[index], future.result(), plan)
                tally.add(results[index])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    rows = [Row.of(sources[index], results[index]) for index in sorted(results)]
    if plan.report is not None:
        write_report(plan.report, rows)
    out.write(tally.summary(len(rows), time.monotonic() - started) + "\n")
    if interrupted:
        out.write(
            f"interrupted after {len(rows)} of {len(sources)} files; run the same command "
            "again to go on (nothing is cut twice)\n"
        )
        return EXIT_INTERRUPTED
    return 0 if tally.refused == tally.failed == 0 else 1


def _settle(source: Source, result: Result, plan: Plan) -> Result:
    """The file's result once a refused file is copied aside (when the plan says so)."""
    if result.status == "refused" and plan.refused_dir is not None:
        return _keep_refused(source, result, plan.refused_dir)
    return result


def _cut_one(
    cutter: Cutter, model: ModelRef, plan: Plan, source: Source, pause: Callable[[float], None]
) -> Result:
    """Read, hash and cut one file (asking again while the server says "later"), then
    bring its crops home if the plan says so. Never raises: a problem is the file's."""
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return Result("failed", reason=f"cannot read the file: {exc.strerror or exc}")
    key = idempotency_key(hashlib.sha256(data).hexdigest(), model.id, plan.options)
    upload = Upload(source.path.name, data, key)
    try:
        result = cut_with_retries(cutter, model, upload, plan.options, pause)
    except Exception as exc:  # one file's trouble must not end the batch
        return Result("failed", reason=_describe(exc))
    if result.status != "filed" or plan.download_dir is None:
        return result
    try:
        for extraction_id in result.extraction_ids:
            download(cutter, extraction_id, plan.download_dir)
    except (DownloadFailed, OSError) as exc:
        return Result(
            "failed",
            result.extraction_ids,
            result.crops,
            f"filed, but the crops could not be downloaded: {exc}",
        )
    return result


def cut_with_retries(
    cutter: Cutter,
    model: ModelRef,
    upload: Upload,
    options: Options,
    pause: Callable[[float], None] = time.sleep,
    attempts: int = ATTEMPTS,
) -> Result:
    """Cut one file, asking again after ``Retry-After`` (or a growing pause) while the
    server is busy, unavailable, still cutting the same file or out of reach."""
    for attempt in range(1, attempts + 1):
        answer = cutter.cut(model, upload, options)
        if isinstance(answer, Result):
            return answer
        if attempt < attempts:
            pause(answer.after if answer.after is not None else min(2.0 ** (attempt - 1), 8.0))
    return Result("failed", reason=f"{answer.reason} (gave up after {attempts} attempts)")


def safe_destination(root: Path, name: str) -> Path:
    """Where the archive entry ``name`` goes below ``root``; DownloadFailed for a name that
    would land anywhere else (``..``, an absolute path, a backslash, a link out)."""
    parts = name.split("/")
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
        or ":" in parts[0]
    ):
        raise DownloadFailed(f"the archive names an unsafe path: {name!r}")
    destination = root.joinpath(*parts)
    if not destination.resolve().is_relative_to(root.resolve()):
        raise DownloadFailed(f"the archive names a path outside {root}: {name!r}")
    return destination


def download(cutter: Cutter, extraction_id: str, root: Path) -> None:
    """Mirror the extraction's crops below ``root`` at their ``<folder>/<file>`` paths."""
    for name, data in cutter.crops(extraction_id):
        destination = safe_destination(root, name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(destination, data)


def _write_atomically(destination: Path, data: bytes) -> None:
    scratch = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        scratch.write_bytes(data)
        os.replace(scratch, destination)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise


def _keep_refused(source: Source, result: Result, root: Path) -> Result:
    try:
        copy_refused(source, root)
    except OSError as exc:
        return Result(
            result.status,
            result.extraction_ids,
            result.crops,
            f"{result.reason} (not copied to {root}: {exc.strerror or exc})",
        )
    return result


def copy_refused(source: Source, root: Path) -> Path:
    """Copy a refused file below ``root`` at its relative path, never over another file:
    a different file of the same name gets ``-2``, ``-3``…; the same file already there
    (a second run) is not copied again. Answers where the copy is."""
    data = source.path.read_bytes()
    wanted = root.joinpath(*source.relative.parts)
    wanted.parent.mkdir(parents=True, exist_ok=True)
    stem, suffix = wanted.stem, wanted.suffix
    for number in range(1, 10_000):
        candidate = wanted if number == 1 else wanted.with_name(f"{stem}-{number}{suffix}")
        try:
            with candidate.open("xb") as handle:
                handle.write(data)
            return candidate
        except FileExistsError:
            if candidate.is_file() and candidate.read_bytes() == data:
                return candidate
    raise OSError(f"no free name for {wanted}")


def write_report(path: Path, rows: Sequence[Row]) -> None:
    """Write the report, CSV or JSON by the file's extension, one entry per file."""
    records: list[dict[str, Any]] = [
        {
            "file": row.file,
            "status": row.status,
            "extraction_id": row.extraction_id,
            "crops": row.crops,
            "reason": row.reason,
        }
        for row in rows
    ]
    if report_format(path) == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue()
    else:
        for record in records:
            record["extraction_id"] = record["extraction_id"] or None
            record["reason"] = record["reason"] or None
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.part")
    scratch.write_text(text, encoding="utf-8", newline="")
    os.replace(scratch, path)
