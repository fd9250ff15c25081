"""A third-party developer's first day: a Python client generated from openapi.yaml.

In a temporary folder the client is generated with openapi-python-client (the usual
Python generator), installed, and run in a process of its own against a live server:
the whole flow of a system that posts pictures, with an API key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import RunningApi

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FLOW = Path(__file__).with_name("generated_client_flow.py")


@pytest.fixture(scope="module")
def client_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated client, installed into a folder of its own."""
    work = tmp_path_factory.mktemp("sdk")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(ROOT / "openapi.yaml"),
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


def test_a_generated_python_client_runs_the_whole_flow(api: RunningApi, client_site: Path) -> None:
    key = api.create_key("editor", name="integration")["secret"]
    env = {
        **os.environ,
        "PYTHONPATH": str(client_site),
        "ZONECUT_URL": api.base_url,
        "ZONECUT_API_KEY": key,
    }
    done = subprocess.run(
        [sys.executable, str(FLOW)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=client_site,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("flow complete"), done.stdout
    filed = api.output_files()
    assert any(path.startswith("totals/") for path in filed), filed
