"""The ASGI application: routers, middleware, error handlers, docs and the web app."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartParser
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors, metrics, openapi
from api.authentication import AuthenticationMiddleware, RouteRule
from api.db import is_at_head, make_engine, make_sessionmaker, migration_lock, upgrade_database
from api.logs import RequestIdMiddleware
from api.metrics import RequestMetricsMiddleware
from api.routes import (
    api_keys,
    audit,
    auth,
    extract,
    folders,
    health,
    models,
    reviews,
    users,
    zones,
)
from api.routes.access import principal_of, rule_of
from api.routes.presenters import API_PREFIX
from api.services.alignment import ReferenceCache
from api.services.intents import IntentSweeper
from api.services.outputs import register_existing
from api.settings import Settings
from api.storage import StorageUnavailable
from api.storage.factory import open_storage

METRICS_PATH = "/metrics"
# app.state attribute -> storage area: crops, reference pictures, refused pictures, kept sources
STORAGE_AREAS = {
    "storage": "outputs",
    "references": "references",
    "reviews": "reviews",
    "sources": "sources",
}
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("zonecut")

DESCRIPTION = """
Zonecut cuts pictures with templates. A **model** is a reference picture with named,
rectangular **zones**; every zone has a **folder**. Post a picture to `POST /extract` with a
model and every zone's crop is filed in its folder.

All errors are `application/problem+json` (RFC 9457). Models carry an `ETag` (their
version); `PATCH`, `PUT` and `DELETE` honour `If-Match` and answer 412 when it is stale.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (read from the environment by default)."""
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not is_at_head(engine):
            log.info("applying database migrations")
            upgrade_database(settings.effective_database_url)
        with migration_lock(settings.effective_database_url):  # once, not once per worker
            register_existing(app.state.sessionmaker, app.state.storage)
        sweeper = IntentSweeper(
            app.state.sessionmaker,
            app.state.storage,
            timedelta(seconds=settings.intent_timeout_seconds),
            sources=app.state.sources,
        )
        sweeper.start()
        yield
        sweeper.stop()
        engine.dispose()

    app = FastAPI(
        title="Zonecut",
        version="1.0.0",
        summary="Template-based picture cutter",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        openapi_tags=[
            {"name": "models", "description": "Templates: a reference picture and its zones."},
            {"name": "zones", "description": "The rectangles of a model."},
            {"name": "extraction", "description": "Cutting pictures with a model."},
            {"name": "folders", "description": "Where the crops are filed."},
            {"name": "reviews", "description": "Refused pictures placed by hand."},
            {"name": "health", "description": "Liveness and readiness."},
            {"name": "auth", "description": "Signing in and out; the first admin."},
            {"name": "users", "description": "People who sign in (admin)."},
            {"name": "api keys", "description": "Credentials of other systems (admin)."},
            {"name": "audit", "description": "Who did what (admin)."},
        ],
    )
    app.state.settings = settings
    # An uploaded picture is read whole into memory to be decoded; spooling it to a
    # temporary file first would only add a disk write and read to every request.
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, settings.max_upload_bytes)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    # One storage per area, laid out like the data folder: outputs/, references/, …
    for state_name, area in STORAGE_AREAS.items():
        storage = open_storage(
            settings.storage_url,
            area=area,
            local_root=settings.data_dir,
            endpoint_url=settings.s3_endpoint_url,
        )
        setattr(app.state, state_name, storage)
    app.state.reference_cache = ReferenceCache(
        app.state.references, max_pixels=settings.max_image_pixels
    )

    routers = (
        health.router,
        auth.router,
        models.router,
        zones.router,
        extract.router,
        folders.router,
        reviews.router,
        users.router,
        api_keys.router,
        audit.router,
    )
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    app.state.api_routes = [
        RouteRule(
            API_PREFIX + route.path,
            compile_path(API_PREFIX + route.path)[0],
            frozenset(route.methods or ()),
            rule_of(route),
        )
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    openapi.install(app)
    _install_error_handlers(app)
    _install_docs(app)
    _install_metrics(app)
    _install_frontend(app, settings.frontend_dir or REPOSITORY_ROOT / "frontend" / "dist")
    # Outermost last: CORS answers preflights, then credentials are checked before the
    # body is read, then the body is counted.
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes)
    app.add_middleware(
        AuthenticationMiddleware,
        routes=app.state.api_routes,
        open_paths=frozenset({app.openapi_url or "", METRICS_PATH}),
        settings=settings,
        sessions=app.state.sessionmaker,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "ETag",
                "Location",
                "Idempotent-Replayed",
                "Retry-After",
                "X-Request-ID",
            ],
        )
    app.add_middleware(
        RequestMetricsMiddleware,
        templates=[(route.pattern, route.path) for route in app.state.api_routes],
    )
    app.add_middleware(RequestIdMiddleware)
    return app


def _field_name(location: tuple[int | str, ...]) -> str:
    parts = list(
        location[1:]
        if location and location[0] in ("body", "query", "path", "header")
        else location
    )
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def _allowed_methods(request: Request) -> str:
    """Every method of every API route matching the path (Starlette names only the first)."""
    methods: set[str] = set()
    for route in request.app.state.api_routes:
        if route.pattern.match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.AppError)
    async def app_error(request: Request, exc: errors.AppError) -> JSONResponse:
        return errors.problem_response(exc, request)

    @app.exception_handler(OperationalError)
    async def database_unreachable(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unreachable: %s", exc.orig)
        error = errors.ServiceUnavailable(
            "the database cannot be reached; nothing was changed, try again shortly",
            headers={"Retry-After": "5"},
        )
        return errors.problem_response(error, request)

    @app.exception_handler(StorageUnavailable)
    async def storage_unreachable(request: Request, exc: StorageUnavailable) -> JSONResponse:
        log.warning("storage unreachable: %s", exc)
        error = errors.ServiceUnavailable(
            f"the storage cannot be used ({exc}); nothing was filed, try again shortly",
            headers={"Retry-After": "5"},
        )
        return errors.problem_response(error, request)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        field_errors = [
            errors.FieldError(field=_field_name(tuple(e["loc"])), message=str(e["msg"]))
            for e in exc.errors()
        ]
        return errors.problem_response(errors.validation_failed(field_errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        by_status: dict[int, type[errors.AppError]] = {
            400: errors.BadRequest,
            404: errors.NotFound,
            405: errors.MethodNotAllowed,
            413: errors.PayloadTooLarge,
        }
        error_class = by_status.get(exc.status_code, errors.BadRequest)
        detail = str(exc.detail)
        if exc.status_code == 404:
            detail = f"no such resource: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            allowed = _allowed_methods(request) or (exc.headers or {}).get("Allow", "")
            detail = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
            exc.headers = {"Allow": allowed}
        error = error_class(detail, headers=dict(exc.headers or {}))
        error.status = exc.status_code if exc.status_code >= 400 else 400
        return errors.problem_response(error, request)


def _install_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc with their assets served from here, so they work offline."""
    assets = resources.files("fastapi_offline") / "static"
    app.mount("/docs-assets", StaticFiles(directory=str(assets)), name="docs-assets")
    openapi_url = app.openapi_url or ""

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title="Zonecut API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title="Zonecut API",
            redoc_js_url="/docs-assets/redoc.standalone.js",
            redoc_favicon_url="/docs-assets/favicon.png",
            with_google_fonts=False,
        )


def _install_metrics(app: FastAPI) -> None:
    """``/metrics`` in Prometheus text format: from this machine, or for an admin."""

    @app.get(METRICS_PATH, include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        principal = principal_of(request)
        is_admin = principal is not None and principal.has_role("admin") and not principal.models
        if not (is_admin or _from_loopback(request)):
            if principal is None:
                raise errors.Unauthorized("metrics are open on this machine, or to an admin")
            raise errors.Forbidden("metrics are for admins")
        body, media_type = metrics.exposition()
        return Response(body, media_type=media_type)


def _from_loopback(request: Request) -> bool:
    """Whether the caller is on this machine. A request carrying forwarding headers came
    through a proxy (trusted ones have already replaced the client address), so never."""
    forwarded = "forwarded" in request.headers or "x-forwarded-for" in request.headers
    host = request.client.host if request.client else ""
    return not forwarded and host in ("127.0.0.1", "::1")


def _install_frontend(app: FastAPI, dist: Path) -> None:
    """Serve the built web app at /, falling back to index.html for client-side routes."""
    index = dist / "index.html"

    @app.api_route("/{path:path}", methods=list(ALL_METHODS), include_in_schema=False)
    async def web_app(path: str, request: Request) -> Response:
        if path == "api" or path.startswith("api/"):
            # This route matches every method; an API path known under other methods is a 405.
            allowed = _allowed_methods(request)
            raise StarletteHTTPException(405 if allowed else 404)
        if request.method not in ("GET", "HEAD"):
            raise StarletteHTTPException(405, headers={"Allow": "GET, HEAD"})
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(
            "<!doctype html><title>Zonecut</title><p>The web app is not built. "
            "Run <code>make run</code>, or see the API at <a href='/docs'>/docs</a>.</p>",
            status_code=404 if path else 200,
        )


class BodyLimitMiddleware:
    """Cut a request off with 413 once its body passes ``max_bytes``, counted as it streams.

    A declared Content-Length over the limit is refused before any byte is read; a chunked
    body is counted chunk by chunk and never read past the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = 0
        tripped = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, tripped
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    tripped = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if tripped:
                return  # whatever the app answers to a cut-off body, the answer is 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not tripped or started:
                raise
        if tripped and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        error = errors.PayloadTooLarge(
            f"the request body is larger than the limit of {self.max_bytes} bytes"
        )
        problem = error.to_problem(scope.get("path"))
        body = json.dumps(problem.model_dump(exclude_none=True)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", errors.PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


class UnexpectedErrorMiddleware:
    """Answer a bug with a logged 500 problem and keep the connection serving."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            error = errors.AppError("the server failed; the error has been logged")
            await errors.problem_response(error)(scope, receive, send)


def __getattr__(name: str) -> FastAPI:
    # `api.main:app` is built on first use, so importing this module has no side effects.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
