"""What a server worker holds in memory before its first request: the app, built and
started on a migrated database, loads the S3 client, OpenCV, the migration tool and the
HTTP client of webhooks only once something needs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
# The S3 client, OpenCV, Alembic and its template engine, the webhooks' HTTP client.
NOT_YET = ("boto3", "botocore", "cv2", "alembic", "mako", "httpx")
PROBE = """
import asyncio, json, sys

from api.main import create_app
from api.settings import Settings

app = create_app(Settings())


async def start_and_stop() -> None:
    async with app.router.lifespan_context(app):
        pass


asyncio.run(start_and_stop())
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def packages_of_a_started_app(database_url: str, data_dir: Path) -> set[str]:
    """The top-level packages loaded by an app built and started (then stopped) on
    ``database_url`` with local storage, in a fresh interpreter."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("ZONECUT_")
    }
    environment |= {"ZONECUT_DATA_DIR": str(data_dir), "ZONECUT_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return set(loaded)


def test_a_started_app_loads_no_s3_client_opencv_or_migration_tool(
    database_url: str, tmp_path: Path
) -> None:
    loaded = packages_of_a_started_app(database_url, tmp_path / "data")
    assert "fastapi" in loaded  # the probe did build the app
    assert sorted(loaded & set(NOT_YET)) == []
