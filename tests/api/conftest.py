"""A real server per test: uvicorn on a loopback port, its own database and data folder."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.main import create_app
from api.settings import Settings


@dataclass
class RunningApi:
    """A served application and an HTTP client pointed at it."""

    client: httpx.Client
    settings: Settings
    base_url: str

    @property
    def outputs(self) -> Path:
        return self.settings.outputs_dir

    def fetch(self, url: str) -> httpx.Response:
        """GET a URL the API handed out (an absolute path such as ``/api/v1/files/...``)."""
        return self.client.get(self.base_url + url)

    def output_files(self) -> list[str]:
        """Every filed output, relative to the outputs root (temporary files included)."""
        if not self.outputs.exists():
            return []
        return sorted(
            str(path.relative_to(self.outputs))
            for path in self.outputs.rglob("*")
            if path.is_file()
        )


def serve(settings: Settings) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Start uvicorn in a thread on a free loopback port; return it once it accepts."""
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def make_api(tmp_path: Path, database_url: str) -> Iterator[Callable[..., RunningApi]]:
    """Start a server with settings overridden by keyword; stopped after the test."""
    running: list[tuple[uvicorn.Server, threading.Thread, httpx.Client]] = []

    def start(**overrides: Any) -> RunningApi:
        defaults: dict[str, Any] = {
            "data_dir": tmp_path / f"data{len(running)}",
            "database_url": database_url,
            "frontend_dir": tmp_path / "no-frontend",
        }
        settings = Settings(**(defaults | overrides))
        server, thread, base_url = serve(settings)
        client = httpx.Client(base_url=base_url + "/api/v1", timeout=60)
        running.append((server, thread, client))
        return RunningApi(client, settings, base_url)

    yield start
    for server, thread, client in running:
        client.close()
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def api(make_api: Callable[..., RunningApi]) -> RunningApi:
    """A server with default settings."""
    return make_api()
