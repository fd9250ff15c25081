"""Swagger UI and ReDoc with their assets served from here, so the docs work offline.

Both pages run under the docs' Content-Security-Policy, which allows no inline script:
Swagger UI's start-up script is a file of its own, reading the document's URL from the
page; ReDoc starts from its ``<redoc>`` element. ReDoc's bundle is served with its one
address elsewhere (the Redocly logo, fetched from a CDN) made an empty picture, so the
page asks nothing of another server.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from api.edge.security_headers import DOCS_POLICY

ASSETS_PATH = "/docs-assets"
SWAGGER_START_PATH = "/docs/start.js"
SWAGGER_START = """\
// Swagger UI's start-up, a file so the page needs no inline script.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
"""
REDOC_PATH = "/docs/redoc.js"
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
TITLE = "Zonecut API"


def install_docs(app: FastAPI) -> None:
    """Mount the docs' assets and add ``/docs`` and ``/redoc`` for ``app``'s document."""
    app.mount(ASSETS_PATH, StaticFiles(directory=str(_assets())), name="docs-assets")
    app.include_router(docs_router(app.openapi_url or ""))


def docs_router(openapi_url: str) -> APIRouter:
    """The two documentation pages, reading the OpenAPI document at ``openapi_url``."""
    router = APIRouter(include_in_schema=False)
    secured = {"Content-Security-Policy": DOCS_POLICY}
    document = escape(openapi_url, quote=True)

    @router.get("/docs")
    async def swagger() -> HTMLResponse:
        return HTMLResponse(
            f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE}</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{document}"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{SWAGGER_START_PATH}"></script>
</body>
</html>
""",
            headers=secured,
        )

    @router.get(SWAGGER_START_PATH)
    async def swagger_start() -> Response:
        return Response(SWAGGER_START, media_type="text/javascript")

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        return HTMLResponse(
            f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE}</title>
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc needs JavaScript to show the documentation.</noscript>
<redoc spec-url="{document}"></redoc>
<script src="{REDOC_PATH}"></script>
</body>
</html>
""",
            headers=secured,
        )

    @router.get(REDOC_PATH)
    async def redoc_bundle() -> Response:
        return Response(_redoc_bundle(), media_type="text/javascript")

    return router


def _assets() -> Traversable:
    return resources.files("fastapi_offline") / "static"


@cache
def _redoc_bundle() -> bytes:
    """ReDoc's bundle with the Redocly logo's CDN address made an empty ``data:`` picture
    (ReDoc hides a logo that does not load)."""
    bundle = (_assets() / "redoc.standalone.js").read_bytes()
    return bundle.replace(REDOC_LOGO, b"data:,")
