"""SIGTERM drains the server process in DESIGN's order ("Recovery").

uvicorn, on SIGTERM, closes its listener at once, waits for the connections in flight
(for ``timeout_graceful_shutdown`` seconds, then cancels their tasks) and runs the app's
lifespan shutdown. Under a balancer that still sends, closing at once refuses requests.
:class:`DrainingServer` first answers 503 on /ready for ``drain_grace_seconds`` while
serving as usual (:func:`is_draining` is what /ready reads), and only then lets uvicorn
close the listener; the drain that follows is uvicorn's own, bounded by the
``ZONECUT_DRAIN_SECONDS`` given as ``timeout_graceful_shutdown``.

With several workers, uvicorn's supervisor answers SIGTERM by sending SIGTERM to each
worker and waiting for them: :class:`DrainingMultiprocess` makes every worker a
:class:`DrainingServer` and closes the supervisor's own copy of the listening socket, so
the port refuses connections once every worker has closed its listener.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.supervisors import multiprocess

_draining = threading.Event()


def is_draining() -> bool:
    """Whether this process is shutting down (its /ready answers 503)."""
    return _draining.is_set()


class DrainingConfig(uvicorn.Config):
    """uvicorn's configuration with the grace; it travels to each worker process."""

    def __init__(self, app: Any, *, drain_grace_seconds: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.drain_grace_seconds = drain_grace_seconds


class DrainingServer(uvicorn.Server):
    """uvicorn's server, with a grace between SIGTERM and the listener closing.

    A second SIGTERM (the supervisor's after the process group's, say) changes nothing.
    The signal is not raised again once served, as uvicorn does: a drained process exits 0.
    SIGINT (Ctrl-C) stops at once, as uvicorn does.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._grace_ends: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGTERM:
            super().handle_exit(sig, frame)
            return
        if self._grace_ends is None:
            _draining.set()
            self._grace_ends = time.monotonic() + getattr(self.config, "drain_grace_seconds", 0)

    async def on_tick(self, counter: int) -> bool:
        if self._grace_ends is not None and time.monotonic() >= self._grace_ends:
            self.should_exit = True
        return await super().on_tick(counter)


class DrainingProcess(multiprocess.Process):
    """A worker of uvicorn's supervisor that runs a :class:`DrainingServer`."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = DrainingServer(config=self.config)
        return self._server


class DrainingMultiprocess(multiprocess.Multiprocess):
    """uvicorn's supervisor of several workers, each draining on SIGTERM."""

    def run(self) -> None:
        # uvicorn's supervisor makes (and remakes) its workers by this module-level name;
        # no option chooses the server class. This runs in the supervisor process only.
        multiprocess.Process = DrainingProcess  # type: ignore[misc]
        super().run()

    def handle_term(self) -> None:
        # The workers keep their copies and serve through their grace; this one would
        # keep the port accepting connections that nobody takes once they have closed.
        for sock in self.sockets:
            sock.close()
        super().handle_term()
