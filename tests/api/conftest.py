"""A real server per test: uvicorn on a loopback port, its own database and data folder.

Every server accepts the admin key ``ADMIN_KEY`` (``ZONECUT_ADMIN_API_KEY``), and its
``client`` sends it: the tests go through access control like any caller. Clients for
other roles, keys limited to some models, and signed-in browsers are made through the API.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.main import create_app
from api.settings import Settings

ADMIN_KEY = "zc_test-admin-key-0123456789abcdefghijklmnop"
PASSWORD = "correct horse battery staple"
REPOSITORY = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class RunningApi:
    """A served application and an HTTP client pointed at it (as the admin key)."""

    client: httpx.Client
    settings: Settings
    base_url: str
    clients: list[httpx.Client] = field(default_factory=list)

    def new_client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        """A client of the API with no credentials but ``headers``; closed after the test."""
        client = httpx.Client(base_url=self.base_url + "/api/v1", timeout=60, headers=headers)
        self.clients.append(client)
        return client

    def create_key(
        self, role: str = "operator", models: list[str] | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """A new API key made by the admin; the answer holds its ``secret``."""
        body = {"name": name or f"{role}-{len(self.clients)}", "role": role, "models": models}
        response = self.client.post("/api-keys", json=body)
        assert response.status_code == 201, response.text
        key: dict[str, Any] = response.json()
        return key

    def as_role(self, role: str, models: list[str] | None = None) -> httpx.Client:
        """A client carrying a new API key of ``role`` (limited to ``models`` if given)."""
        return self.new_client(bearer(self.create_key(role, models)["secret"]))

    def create_user(self, username: str, role: str = "operator") -> dict[str, Any]:
        response = self.client.post(
            "/users", json={"username": username, "password": PASSWORD, "role": role}
        )
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()
        return user

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Client:
        """A client signed in with a session cookie, as the browser is."""
        client = self.new_client()
        response = client.post("/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return client

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
    running: list[tuple[uvicorn.Server, threading.Thread, RunningApi]] = []

    def start(**overrides: Any) -> RunningApi:
        defaults: dict[str, Any] = {
            "data_dir": tmp_path / f"data{len(running)}",
            "database_url": database_url,
            "frontend_dir": tmp_path / "no-frontend",
            "admin_api_key": ADMIN_KEY,
        }
        settings = Settings(**(defaults | overrides))
        server, thread, base_url = serve(settings)
        client = httpx.Client(base_url=base_url + "/api/v1", timeout=60, headers=bearer(ADMIN_KEY))
        started = RunningApi(client, settings, base_url)
        running.append((server, thread, started))
        return started

    yield start
    for server, thread, started in running:
        started.client.close()
        for client in started.clients:
            client.close()
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def api(make_api: Callable[..., RunningApi]) -> RunningApi:
    """A server with default settings."""
    return make_api()


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python client generated from the committed openapi.yaml with openapi-python-client
    and installed into a folder of its own, as README shows: put it on ``PYTHONPATH``."""
    work = tmp_path_factory.mktemp("sdk")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(REPOSITORY / "openapi.yaml"),
            "--meta",
            "setup",
            "--output-path",
            str(work / "zonecut-client"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout  # no operation left out
    site = work / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(work / "zonecut-client"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return site
