"""HTTP/1 connections held to their limits before a request reaches the app.

`zonecut serve` runs uvicorn with this protocol: uvicorn's own (httptools) parser with the
bounds of DESIGN "Limits before trust" that no uvicorn option gives: a head (request line
and headers) longer than ``max_head_bytes`` is answered 431 without being kept; a head
that has not arrived ``head_timeout`` seconds after the connection opened (or after the
first byte of a later request on a kept-alive connection) closes the connection, with a
408 when part of it came; a connection past ``max_connections`` open ones is answered 503.
A body that trickles is the app's to drop (:class:`api.edge.middleware.BodyRateMiddleware`).

Each refusal is a problem+json answer with the headers every answer carries; then the
connection stops reading, says it is done, and closes after a short linger, so a caller
still sending reads the answer instead of a reset.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api import errors
from api.edge.problems import PROBLEM_MEDIA_TYPE, problem_json
from api.edge.security_headers import API_POLICY, COMMON_HEADERS
from api.settings import Settings

LINGER_SECONDS = 2.0  # how long a refused connection's further bytes are read and dropped


@dataclass(frozen=True)
class ConnectionLimits:
    """The bounds of one server process's connections (from :class:`Settings`)."""

    max_head_bytes: int
    head_timeout: float
    max_connections: int

    @classmethod
    def of(cls, settings: Settings) -> ConnectionLimits:
        return cls(settings.max_head_bytes, settings.head_timeout_seconds, settings.max_connections)


def refusal(error: errors.AppError, extra: tuple[tuple[str, str], ...] = ()) -> bytes:
    """A whole HTTP/1.1 answer of ``error`` as problem+json, closing the connection."""
    body = problem_json(error)
    headers = (
        ("Content-Type", PROBLEM_MEDIA_TYPE),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        *COMMON_HEADERS,
        ("Content-Security-Policy", API_POLICY),
        *extra,
    )
    head = f"HTTP/1.1 {error.status} {HTTPStatus(error.status).phrase}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers
    )
    return head.encode("latin-1") + b"\r\n" + body


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1 protocol, refusing heads too long or too slow and connections too many.

    The head is fed to the parser at most ``max_head_bytes`` at a time, so an endless header
    is refused after that many bytes and never accumulates in the parser or in Python.
    """

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._reading_head = True  # between one message's end and the next one's headers
        self._head_bytes = 0
        self._head_started = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            busy = errors.ServiceUnavailable(
                f"this server process holds its limit of {self.limits.max_connections} "
                "connections; try again shortly"
            )
            self._refuse(refusal(busy, (("Retry-After", "1"),)))
            return
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        while self._reading_head and data and not self._refused:
            room = self.limits.max_head_bytes - self._head_bytes
            if room <= 0:
                too_large = errors.HeadersTooLarge(
                    f"the request line and headers are longer than the limit of "
                    f"{self.limits.max_head_bytes} bytes"
                )
                self._refuse(refusal(too_large))
                return
            piece, data = data[:room], data[room:]
            self._head_bytes += len(piece)
            super().data_received(piece)
            if self.transport.is_closing():
                return
        if data and not self._refused:
            super().data_received(data)

    # Parser callbacks: where a head begins and ends.

    def on_message_begin(self) -> None:
        self._head_started = True
        if self._head_timer is None:  # a later request on a kept-alive connection
            self._start_head_timer()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_head, self._head_bytes, self._head_started = True, 0, False
        super().on_message_complete()

    # The refusals.

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.limits.head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            self._start_head_timer()  # an earlier request is still being answered: not late
            return
        if not self._head_started:
            self.transport.close()  # nothing asked: nothing to answer
            return
        late = errors.RequestTimeout(
            f"the request line and headers did not arrive within {self.limits.head_timeout:g} s"
        )
        self._refuse(refusal(late))

    def _refuse(self, answer: bytes) -> None:
        self._refused = True
        self._stop_head_timer()
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
