"""A third-party developer's first day: a Python client generated from openapi.yaml.

The client is generated with openapi-python-client (the usual Python generator) and
installed in a folder of its own (the ``generated_client`` fixture), then run in a
process of its own against a live server: the whole flow of a system that posts
pictures, with an API key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.api.conftest import RunningApi

FLOW = Path(__file__).with_name("generated_client_flow.py")


def test_a_generated_python_client_runs_the_whole_flow(
    api: RunningApi, generated_client: Path
) -> None:
    key = api.create_key("editor", name="integration")["secret"]
    env = {
        **os.environ,
        "PYTHONPATH": str(generated_client),
        "ZONECUT_URL": api.base_url,
        "ZONECUT_API_KEY": key,
    }
    done = subprocess.run(
        [sys.executable, str(FLOW)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=generated_client,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("flow complete"), done.stdout
    filed = api.output_files()
    assert any(path.startswith("totals/") for path in filed), filed
