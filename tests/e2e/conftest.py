"""End-to-end fixtures: a real Zonecut server of each test's own and a real browser.

The browser is Debian's Chromium, driven by Playwright through ``executable_path``
(Playwright's own browser builds are never downloaded). It is found through the
``ZONECUT_CHROMIUM`` environment variable or at ``/usr/bin/chromium``. Outside CI a
missing browser (or a missing Playwright, or an unbuilt web app) skips these tests with
the reason shown; under ``CI=true`` it fails them, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

REPOSITORY = Path(__file__).resolve().parents[2]
DIST = REPOSITORY / "frontend" / "dist" / "index.html"
DOCS = REPOSITORY / "docs"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}
ADMIN_KEY = "zc_e2e-admin-key-0123456789abcdefghijklmnop"
PASSWORD = "correct horse battery staple"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _unavailable(reason: str) -> None:
    """Skip, or fail under CI: there a missing browser is a broken machine, not a choice."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"end-to-end tests cannot run under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def find_chromium() -> str | None:
    configured = os.environ.get("ZONECUT_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    default = Path("/usr/bin/chromium")
    return str(default) if default.is_file() else shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        where = os.environ.get("ZONECUT_CHROMIUM") or "/usr/bin/chromium"
        _unavailable(f"no Chromium at {where}: install Debian's chromium or set ZONECUT_CHROMIUM")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not DIST.is_file():
        _unavailable("the web app is not built: run `cd frontend && npm ci && npm run build`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running `zonecut serve` with its own data directory and database."""

    url: str
    data_dir: Path
    log: Path
    client: httpx.Client = field(repr=False)

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"

    def create_user(self, username: str, role: str) -> None:
        """A person who can sign in with ``PASSWORD``, made with the admin key."""
        response = self.client.post(
            "/api/v1/users", json={"username": username, "password": PASSWORD, "role": role}
        )
        assert response.status_code == 201, response.text


def sign_in(context: BrowserContext, server: Server, username: str, role: str) -> None:
    """Give the browser a session cookie of a new user, as signing in on the page does."""
    server.create_user(username, role)
    response = context.request.post(
        server.api("/auth/login"), data={"username": username, "password": PASSWORD}
    )
    assert response.ok, response.text()


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """The server of the test; ``@pytest.mark.server_env(NAME="value")`` adds settings."""
    marker = request.node.get_closest_marker("server_env")
    port = _free_port()
    data_dir = tmp_path / "data"
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "ZONECUT_DATA_DIR": str(data_dir),
        "ZONECUT_DATABASE_URL": f"sqlite:///{data_dir / 'zonecut.db'}",
        "ZONECUT_LOG_LEVEL": "warning",
        "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
        # stopped at the end of each test: no balancer to warn, so no 5 s of grace
        "ZONECUT_DRAIN_GRACE_SECONDS": "0",
        **(marker.kwargs if marker is not None else {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPOSITORY,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=30, headers=bearer(ADMIN_KEY))
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server stopped at start:\n{log.read_text()}", pytrace=False)
            try:
                if client.get("/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not start in 60 s:\n{log.read_text()}", pytrace=False)
            time.sleep(0.1)
        yield Server(url=url, data_dir=data_dir, log=log, client=client)
    finally:
        client.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A page of a browser signed in as an editor (the role that draws zones)."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, base_url=server.url)
    context.set_default_timeout(15_000)
    sign_in(context, server, "editor", "editor")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda e: errors.append(str(e)))
    # what the app's Content-Security-Policy blocked, as Chromium reports it
    opened.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"the page threw: {errors}"


@pytest.fixture(scope="session")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests' screenshots go: README's pictures in docs/ when
    ``ZONECUT_WRITE_DOCS=1`` (to refresh them on purpose), else a temporary folder, so a
    test run leaves the checkout as it found it."""
    if os.environ.get("ZONECUT_WRITE_DOCS") == "1":
        DOCS.mkdir(exist_ok=True)
        return DOCS
    return tmp_path_factory.mktemp("docs")
