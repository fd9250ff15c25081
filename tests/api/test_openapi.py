"""The contract: openapi.yaml is what the app serves, and it documents every operation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from api.cli import openapi_document

ROOT = Path(__file__).resolve().parents[2]


def schema() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(openapi_document())
    return document


def test_committed_openapi_yaml_matches_the_app() -> None:
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == openapi_document(), "openapi.yaml is stale: run `make openapi`"


def test_every_operation_is_named_summarised_described_and_lists_its_errors() -> None:
    operations = [
        (path, method, operation)
        for path, item in schema()["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 22
    ids = [operation["operationId"] for _, _, operation in operations]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation["operationId"].isidentifier() and "_" not in operation["operationId"], (
            where
        )
        assert operation.get("summary"), where
        assert operation.get("description"), where
        errors = {status for status in operation["responses"] if status.startswith(("4", "5"))}
        has_input = operation.get("parameters") or operation.get("requestBody")
        if has_input:
            assert "422" in errors, where
        for status in errors:
            content = operation["responses"][status].get("content", {})
            assert "application/problem+json" in content, f"{where} {status}"


def test_design_endpoints_are_all_there() -> None:
    paths = schema()["paths"]
    expected = {
        "/api/v1/health": {"get"},
        "/api/v1/ready": {"get"},
        "/api/v1/models": {"get", "post"},
        "/api/v1/models/{model_id}": {"get", "patch", "delete"},
        "/api/v1/models/{model_id}/image": {"get", "put"},
        "/api/v1/models/{model_id}/zones": {"get", "post", "put"},
        "/api/v1/models/{model_id}/zones/{zone_id}": {"get", "patch", "delete"},
        "/api/v1/models/{model_id}/export": {"get"},
        "/api/v1/models/import": {"post"},
        "/api/v1/extract": {"post"},
        "/api/v1/extractions": {"get"},
        "/api/v1/extractions/{extraction_id}": {"get"},
        "/api/v1/folders": {"get"},
        "/api/v1/folders/{folder}/files": {"get"},
        "/api/v1/folders/{folder}/archive": {"get"},
        "/api/v1/files/{path}": {"get", "delete"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
