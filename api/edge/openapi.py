"""The OpenAPI document as generators read it: files, binary answers, problems, security.

FastAPI's document is valid OpenAPI 3.1, but the generators people use to make clients
read a few things in the older way. This adds, without removing anything:

- ``format: binary`` beside ``contentMediaType`` on multipart file fields, so a
  generated client sends a file rather than a text field;
- ``application/octet-stream`` beside the media types of every binary answer (crops,
  ZIPs, reference pictures), the one binary type some generators know;
- problem answers under ``application/problem+json`` with their schema, so a client
  gets a typed problem for every 4xx, plus the 401 and 403 of every protected operation;
- ``security: []`` on the open operations (health, sign-in, setup), so a client knows
  which calls need no credentials;
- a request body schema an operation writes by hand (``openapi_extra``, for a route that
  reads its body itself) moved to the components under its title, where FastAPI puts
  the ones it makes, so generated clients name it the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.edge.problems import PROBLEM_MEDIA_TYPE
from api.errors import PROBLEM_TYPE_BASE, Forbidden, Unauthorized

OCTET_STREAM = "application/octet-stream"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
METHODS = ("get", "put", "post", "patch", "delete")

DESCRIPTION = """
Zonecut cuts pictures with templates. A **model** is a reference picture with named,
rectangular **zones**; every zone has a **folder**. Post a picture to `POST /extract` with a
model and every zone's crop is filed in its folder.

All errors are `application/problem+json` (RFC 9457). Models carry an `ETag` (their
version); `PATCH`, `PUT` and `DELETE` honour `If-Match` and answer 412 when it is stale.
"""
TAGS = [
    {"name": "models", "description": "Templates: a reference picture and its zones."},
    {"name": "zones", "description": "The rectangles of a model."},
    {
        "name": "samples",
        "description": "Pictures kept with a model, cut again before its zones change.",
    },
    {"name": "extraction", "description": "Cutting pictures with a model."},
    {"name": "jobs", "description": "Cutting asked for asynchronously, and its progress."},
    {"name": "folders", "description": "Where the crops are filed."},
    {"name": "reviews", "description": "Refused pictures placed by hand."},
    {"name": "health", "description": "Liveness and readiness."},
    {"name": "auth", "description": "Signing in and out; the first admin."},
    {"name": "users", "description": "People who sign in (admin)."},
    {"name": "api keys", "description": "Credentials of other systems (admin)."},
    {"name": "audit", "description": "Who did what (admin)."},
    {"name": "webhooks", "description": "Events delivered to other systems (admin)."},
]


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` answer the refined document (built once, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if getattr(app.state, "refined_openapi", None) is None:
            app.state.refined_openapi = refine(build())
        document: dict[str, Any] = app.state.refined_openapi
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def refine(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the additions listed in this module's docstring."""
    for schema in document.get("components", {}).get("schemas", {}).values():
        _mark_file_fields(schema)
    for item in document.get("paths", {}).values():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            _share_body_schemas(document, operation)
            protected = bool(operation.get("security"))
            if not protected:
                operation["security"] = []
            responses = operation.setdefault("responses", {})
            if protected:
                for error in (Unauthorized, Forbidden):
                    responses.setdefault(str(error.status), _problem_answer(error))
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    _problem_content(answer)
                else:
                    _add_octet_stream(answer)
    return document


def _share_body_schemas(document: dict[str, Any], operation: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for body in operation.get("requestBody", {}).get("content", {}).values():
        schema = body.get("schema", {})
        title = schema.get("title")
        if "$ref" in schema or not title or title in schemas:
            continue
        _mark_file_fields(schema)
        schemas[title] = schema
        body["schema"] = {"$ref": f"#/components/schemas/{title}"}


def _mark_file_fields(schema: dict[str, Any]) -> None:
    for field in schema.get("properties", {}).values():
        candidates = [field, field.get("items", {}), *field.get("anyOf", [])]
        for candidate in candidates:
            if candidate.get("contentMediaType") and candidate.get("type") == "string":
                candidate.setdefault("format", "binary")


def _add_octet_stream(answer: dict[str, Any]) -> None:
    content = answer.get("content", {})
    binary = [
        media
        for media, body in content.items()
        if body.get("schema", {}).get("format") == "binary" or media.startswith("image/")
    ]
    if binary and OCTET_STREAM not in content:
        content[OCTET_STREAM] = {"schema": {"type": "string", "format": "binary"}}
    for media in binary:
        content[media].setdefault("schema", {"type": "string", "format": "binary"})


def _problem_content(answer: dict[str, Any]) -> None:
    content = answer.setdefault("content", {})
    problem = content.setdefault(PROBLEM_MEDIA_TYPE, {})
    problem["schema"] = PROBLEM_REF
    content.pop("application/json", None)


def _problem_answer(error: type[Unauthorized] | type[Forbidden]) -> dict[str, Any]:
    return {
        "description": error.title,
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": PROBLEM_REF,
                "example": {
                    "type": PROBLEM_TYPE_BASE + error.slug,
                    "title": error.title,
                    "status": error.status,
                    "detail": f"{error.title}.",
                },
            }
        },
    }
