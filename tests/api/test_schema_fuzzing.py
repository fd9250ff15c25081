"""Schema fuzzing: generated requests for every operation, sent over HTTP to a real server.

No request may cause a server error, and every answer must be one the schema describes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api.settings import Settings
from tests.api.conftest import ADMIN_KEY, bearer, serve
from tests.api.factories import extract, model_with_zones, picture_bytes

ROOT = Path(__file__).resolve().parents[2]
schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")


@schema.auth()
class AdminKey:
    """Every generated request carries the admin key, so each operation is reached past
    access control (access itself is tested by the role and endpoint matrix)."""

    def get(self, case: schemathesis.Case, context: object) -> str:
        return ADMIN_KEY

    def set(self, case: schemathesis.Case, data: str, context: object) -> None:
        case.headers = {**(case.headers or {}), **bearer(data)}


@pytest.fixture(scope="module")
def base_url(sqlite_template: Path) -> Iterator[str]:
    """One server for the module, holding a model with zones and a filed extraction."""
    import shutil

    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "zonecut.db"
        shutil.copyfile(sqlite_template, database)
        server, thread, url = serve(
            Settings(
                data_dir=Path(scratch) / "data",
                database_url=f"sqlite:///{database}",
                frontend_dir=Path(scratch) / "none",
                max_upload_bytes=2_000_000,
                admin_api_key=ADMIN_KEY,
            )
        )
        with httpx.Client(base_url=url + "/api/v1", headers=bearer(ADMIN_KEY)) as client:
            model = model_with_zones(client, name="fuzz")
            extract(client, model["id"], picture_bytes())
        yield url
        server.should_exit = True
        thread.join(timeout=10)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_no_answer_outside_the_schema(
    case: schemathesis.Case, base_url: str
) -> None:
    # Schema-valid is not picture-valid: arbitrary bytes in an image field are rightly
    # refused (415/422), so the "positive data must be accepted" check cannot apply here.
    excluded = [positive_data_acceptance]
    if (case.media_type or "").startswith("multipart/"):
        # A form field is text whatever its schema says: "null" or "12" sent for a name is
        # a fine name, so a "type" violation in a form cannot be refused.
        excluded.append(negative_data_rejection)
    case.call_and_validate(base_url=base_url, timeout=30, excluded_checks=excluded)
