"""No secret is kept in clear or logged: the database file and the server's log are read.

The server runs as users run it, `zonecut serve` in its own process with two workers and
debug logging, so everything it would ever print is in the log.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ADMIN_KEY, PASSWORD, bearer
from tests.api.factories import model_with_zones

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass
class ServedProcess:
    url: str
    data_dir: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedProcess]:
    port, data_dir, log = _free_port(), tmp_path / "data", tmp_path / "server.log"
    env = {
        **os.environ,
        "ZONECUT_DATA_DIR": str(data_dir),
        "ZONECUT_DATABASE_URL": f"sqlite:///{data_dir / 'zonecut.db'}",
        "ZONECUT_LOG_LEVEL": "debug",
        "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
        "ZONECUT_FRONTEND_DIR": str(tmp_path / "none"),
        "ZONECUT_DRAIN_GRACE_SECONDS": "0",  # stopped at the end: no balancer to warn
    }
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(url + "/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield ServedProcess(url, data_dir, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_the_setup_link_is_printed_once_and_works_once(served: ServedProcess) -> None:
    links = re.findall(r"(http://\S+/setup#token=(\S+))", served.log.read_text())
    assert len(links) == 1, served.log.read_text()  # two workers, one link
    token = links[0][1]
    with httpx.Client(base_url=served.url + "/api/v1") as browser:
        body = {"token": token, "username": "root", "password": PASSWORD}
        assert browser.post("/auth/setup", json=body).status_code == 201
        assert browser.get("/auth/me").json()["name"] == "root"
        assert browser.post("/auth/setup", json=body | {"username": "two"}).status_code == 409


def test_no_password_key_or_session_is_stored_in_clear_or_logged(served: ServedProcess) -> None:
    admin = httpx.Client(base_url=served.url + "/api/v1", headers=bearer(ADMIN_KEY))
    password = "a very particular passphrase 7741"
    created = admin.post("/users", json={"username": "ada", "password": password, "role": "editor"})
    assert created.status_code == 201
    key = admin.post("/api-keys", json={"name": "scanner", "role": "operator"}).json()["secret"]
    browser = httpx.Client(base_url=served.url + "/api/v1")
    assert browser.post("/auth/login", json={"username": "ada", "password": password}).is_success
    session = browser.cookies["zonecut_session"]
    model_with_zones(browser)
    wrong = "another guessed passphrase 9912"
    browser.post("/auth/login", json={"username": "ada", "password": wrong})
    httpx.get(served.url + "/api/v1/models", headers=bearer(key))
    assert admin.get("/api-keys").json()["items"][0]["last_used_at"] is not None
    token = re.findall(r"setup#token=(\S+)", served.log.read_text())[0]
    admin.close()
    browser.close()

    stored = b"".join(p.read_bytes() for p in served.data_dir.glob("zonecut.db*"))
    logged = served.log.read_bytes()
    assert b"ada" in stored and b"scanner" in stored  # the right files were read
    for secret in (password, wrong, key, session, ADMIN_KEY, key[3:], session[:20]):
        assert secret.encode() not in stored, f"{secret[:6]}… is in the database"
        assert secret.encode() not in logged, f"{secret[:6]}… is in the log"
    assert token.encode() not in stored  # the printed setup token: only its hash is kept


def test_log_lines_are_json_and_name_their_request(served: ServedProcess) -> None:
    admin = httpx.Client(base_url=served.url + "/api/v1", headers=bearer(ADMIN_KEY))
    admin.get("/models", headers={"X-Request-ID": "trace-me-7"})
    admin.close()
    lines = [line for line in served.log.read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert records and all({"at", "level", "logger", "message"} <= set(r) for r in records)
    mine = [r for r in records if r.get("request_id") == "trace-me-7"]
    assert any("/api/v1/models" in r["message"] for r in mine), records[-5:]
