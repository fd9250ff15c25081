"""The contract: openapi.yaml is what the app serves, and it documents every operation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

from api.cli.openapi import openapi_document
from tests.api.conftest import RunningApi

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


def test_generators_see_files_binary_answers_typed_problems_and_security() -> None:
    document = schema()
    schemas = document["components"]["schemas"]
    for body in ("Body_createModel", "Body_replaceModelImage", "Body_extract", "Body_importModel"):
        image = schemas[body]["properties"]["image"]
        image = image.get("items", image)  # POST /extract takes several parts
        assert image["format"] == "binary" and image["contentMediaType"], body
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == {
        "type": "http",
        "description": schemes["apiKey"]["description"],
        "scheme": "bearer",
        "bearerFormat": "zc_…",
    }
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == "zonecut_session"
    open_operations = {"getHealth", "getReadiness", "login", "logout", "completeSetup"}
    binary = {
        "getModelImage",
        "downloadFile",
        "downloadFolderArchive",
        "downloadExtractionArchive",
        "getExtractionOverlay",
        "getReviewOverlay",
        "extract",
    }
    for item in document["paths"].values():
        for operation in item.values():
            name = operation["operationId"]
            if name in open_operations:
                assert operation["security"] == [], name
            else:
                assert operation["security"] == [{"apiKey": []}, {"session": []}], name
                assert {"401", "403"} <= set(operation["responses"]), name
            for status, answer in operation["responses"].items():
                content = answer.get("content", {})
                if status.startswith("4"):
                    assert content["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }, f"{name} {status}"
                    assert "application/json" not in content, f"{name} {status}"
                elif name in binary and status in ("200", "201"):
                    assert "application/octet-stream" in content, name


def test_docs_offer_authorize_with_a_key(api: RunningApi) -> None:
    served = httpx.get(api.base_url + "/api/v1/openapi.json").json()  # open, no credentials
    assert set(served["components"]["securitySchemes"]) == {"apiKey", "session"}
    assert "swagger-ui" in httpx.get(api.base_url + "/docs").text


def test_the_import_documents_its_json_body_and_its_form() -> None:
    document = schema()
    content = document["paths"]["/api/v1/models/import"]["post"]["requestBody"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ModelExport"}
    assert content["multipart/form-data"]["schema"] == {
        "$ref": "#/components/schemas/Body_importModel"
    }
    form = document["components"]["schemas"]["Body_importModel"]
    assert set(form["properties"]) == {"file", "image", "name"} and form["required"] == ["file"]
