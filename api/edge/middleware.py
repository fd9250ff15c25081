"""The ASGI middlewares around the app: request ids, metrics, security headers, body limit
and body rate, last-resort errors.

Each answers, when it must, through the one problem renderer of :mod:`api.edge.problems`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.edge.problems import PROBLEM_MEDIA_TYPE, problem_json, problem_response
from api.edge.security_headers import API_POLICY, COMMON_HEADERS
from api.logs import REQUEST_ID_HEADER, request_id
from api.metrics import LATENCY, REQUESTS

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
log = logging.getLogger("zonecut")


class RequestIdMiddleware:
    """Take the caller's ``X-Request-ID`` when it is well-formed, else make one; echo it.

    The id is set for everything the request runs, so every log line names it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER)
        current = given if given and _VALID_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(current)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = current
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


class RequestMetricsMiddleware:
    """Count and time every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, *, templates: Sequence[tuple[re.Pattern[str], str]]) -> None:
        self.app = app
        self.templates = templates  # the API routes' full path patterns and templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = self._template(scope)
            method = scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)

    def _template(self, scope: Scope) -> str:
        path: str = scope["path"]
        for pattern, template in self.templates:
            if pattern.match(path):
                return template
        if path.startswith("/api/"):
            return "unmatched"
        return str(getattr(scope.get("route"), "path", None) or "unmatched")


def prefers_async(headers: Headers) -> bool:
    """Whether the request asks ``Prefer: respond-async`` (RFC 7240): a job, not an answer
    waited for."""
    return any(
        preference.split(";")[0].strip().lower() == "respond-async"
        for value in headers.getlist("prefer")
        for preference in value.split(",")
    )


class BodyLimitMiddleware:
    """Cut a request off with 413 once its body passes ``max_bytes``, counted as it streams.

    A declared Content-Length over the limit is refused before any byte is read; a chunked
    body is counted chunk by chunk and never read past the limit. A request to one of
    ``job_paths`` with ``Prefer: respond-async`` (a job) has ``job_max_bytes`` instead,
    chosen from its head before its body is read.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        job_max_bytes: int | None = None,
        job_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.job_max_bytes = job_max_bytes
        self.job_paths = job_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.max_bytes, "ZONECUT_MAX_UPLOAD_BYTES"
        if (
            self.job_max_bytes is not None
            and scope["path"] in self.job_paths
            and prefers_async(Headers(scope=scope))
        ):
            limit, setting = self.job_max_bytes, "ZONECUT_JOB_MAX_UPLOAD_BYTES"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_closing_problem(send, _too_large(limit, setting), scope.get("path"))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyRefused
            return message

        await _run_guarded(
            self.app, scope, limited_receive, send, lambda: _too_large(limit, setting)
        )


def _too_large(limit: int, setting: str) -> errors.AppError:
    return errors.PayloadTooLarge(
        f"the request body is larger than the limit of {limit} bytes ({setting})"
    )


class _BodyRefused(Exception):
    """Raised in the app's ``receive`` when a body guard gives up on the body."""


async def _run_guarded(
    app: ASGIApp,
    scope: Scope,
    guarded_receive: Receive,
    send: Send,
    refusal: Callable[[], errors.AppError],
) -> None:
    """Run ``app`` reading through ``guarded_receive``; once that raised
    :class:`_BodyRefused`, whatever the app answers is dropped and ``refusal()`` answered
    instead (unless the app had already started its answer)."""
    tripped = started = False

    async def receive() -> Message:
        nonlocal tripped
        try:
            return await guarded_receive()
        except _BodyRefused:
            tripped = True
            raise

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if tripped:
            return  # whatever the app answers to a refused body, the answer is the refusal
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, receive, guarded_send)
    except Exception:
        if not tripped or started:
            raise
    if tripped and not started:
        await send_closing_problem(send, refusal(), scope.get("path"))


class BodyRateMiddleware:
    """Drop a request with 408 once its body arrives slower than ``min_rate`` bytes a second.

    The rate is judged over ``period`` seconds spent waiting for the body (time the app
    spends elsewhere is not the caller's): each such stretch must bring ``min_rate *
    period`` bytes. Servers bound the head; only the app sees the body, so the guard is here.
    """

    def __init__(self, app: ASGIApp, *, min_rate: int, period: float) -> None:
        self.app = app
        self.min_rate = min_rate
        self.period = period

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        waited, brought = 0.0, 0
        complete = False

        async def paced_receive() -> Message:
            nonlocal waited, brought, complete
            if complete:
                return await receive()
            began = time.monotonic()
            try:
                async with asyncio.timeout(self.period - waited):
                    message = await receive()
            except TimeoutError:
                raise _BodyRefused from None
            waited += time.monotonic() - began
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            brought += len(message.get("body", b""))
            if brought >= self.min_rate * self.period:
                waited, brought = 0.0, 0  # this stretch was fast enough: judge the next
            elif waited >= self.period and not complete:
                raise _BodyRefused
            return message

        await _run_guarded(self.app, scope, paced_receive, send, self._too_slow)

    def _too_slow(self) -> errors.AppError:
        return errors.RequestTimeout(
            f"the request body arrived slower than {self.min_rate} bytes a second "
            f"over {self.period:g} s"
        )


class SecurityHeadersMiddleware:
    """Give every answer ``nosniff`` and ``Referrer-Policy``, and a Content-Security-Policy
    that lets nothing run unless the answer set its own (the web app, the docs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS:
                    headers[name] = value
                headers.setdefault("Content-Security-Policy", API_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def send_closing_problem(send: Send, error: errors.AppError, path: str | None) -> None:
    """Answer ``error`` as problem+json and close the connection (its body is not read)."""
    body = problem_json(error, path)
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class UnexpectedErrorMiddleware:
    """Answer a bug with a logged 500 problem and keep the connection serving."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            error = errors.AppError("the server failed; the error has been logged")
            await problem_response(error)(scope, receive, send)
