"""`zonecut users create` and `zonecut keys create`: accounts made from the shell."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.api.conftest import PASSWORD, RunningApi, bearer
from tests.api.factories import picture_bytes


def zonecut(api: RunningApi, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ZONECUT_DATA_DIR": str(api.settings.data_dir),
        "ZONECUT_DATABASE_URL": api.settings.effective_database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )


def test_users_create_reads_the_password_from_stdin(api: RunningApi) -> None:
    done = zonecut(
        api, "users", "create", "ada", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert api.sign_in("ada").get("/auth/me").json()["role"] == "admin"
    again = zonecut(api, "users", "create", "ADA", "--password-stdin", stdin=PASSWORD + "\n")
    assert again.returncode == 2 and "taken" in again.stderr
    short = zonecut(api, "users", "create", "bob", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "8" in short.stderr
    assert zonecut(api, "users", "create", "bob").returncode == 2  # no password given


def test_keys_create_prints_a_working_secret_once(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api()
    model = api.client.post(
        "/models", data={"name": "Form"}, files={"image": ("r.png", picture_bytes(), "image/png")}
    ).json()
    done = zonecut(api, "keys", "create", "scanner", "--role", "operator", "--model", model["id"])
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip()
    assert secret.startswith("zc_") and "shown only" in done.stderr
    me = api.new_client(bearer(secret)).get("/auth/me").json()
    assert me["name"] == "scanner" and me["models"] == [model["id"]]
    assert zonecut(api, "keys", "create", "x", "--model", "not-an-id").returncode == 2
