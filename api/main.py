"""The ASGI application, assembled: state, routers, error handlers, docs and middleware.

Nothing here decides anything; every piece lives in the module it names.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from api.db import make_engine
from api.edge import openapi
from api.edge.access import rule_of
from api.edge.authentication import AuthenticationMiddleware, RouteRule
from api.edge.docs import install_docs
from api.edge.middleware import (
    BodyLimitMiddleware,
    BodyRateMiddleware,
    RequestIdMiddleware,
    RequestMetricsMiddleware,
    SecurityHeadersMiddleware,
    UnexpectedErrorMiddleware,
)
from api.edge.presenters import API_PREFIX
from api.edge.problems import install_error_handlers
from api.edge.prometheus import METRICS_PATH
from api.edge.prometheus import router as metrics_router
from api.edge.security_headers import app_policy, store_origin
from api.edge.spread import SpreadConnectionsMiddleware
from api.edge.web_app import web_app_router
from api.lifecycle import attach_state, lifespan
from api.routes import (
    api_keys,
    audit,
    auth,
    extract,
    folders,
    health,
    jobs,
    models,
    reviews,
    samples,
    suggestions,
    users,
    webhooks,
    zones,
)
from api.settings import Settings

API_ROUTERS = (
    health.router,
    auth.router,
    models.router,
    zones.router,
    samples.router,
    suggestions.router,
    extract.router,
    jobs.router,
    folders.router,
    reviews.router,
    users.router,
    api_keys.router,
    audit.router,
    webhooks.router,
)
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "Idempotent-Replayed",
    "Preference-Applied",
    "Retry-After",
    "X-Request-ID",
]
log = logging.getLogger("zonecut")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (read from the environment by default)."""
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)

    app = FastAPI(
        title="Zonecut",
        version="1.0.0",
        summary="Template-based picture cutter",
        description=openapi.DESCRIPTION,
        lifespan=lifespan(settings, engine),
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        openapi_tags=openapi.TAGS,
    )
    attach_state(app, settings, engine)

    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.state.api_routes = _route_rules()
    openapi.install(app)
    install_error_handlers(app)
    install_docs(app)
    app.include_router(metrics_router)
    presigned = store_origin(app.state.storage) if settings.s3_presigned_downloads else None
    app.include_router(
        web_app_router(
            settings.frontend_dir or REPOSITORY_ROOT / "frontend/dist", app_policy(presigned)
        )
    )
    # Outermost last: every answer gets the security headers, CORS answers preflights, then
    # credentials are checked before the body is read, then the body is counted and paced.
    app.add_middleware(
        BodyRateMiddleware,
        min_rate=settings.min_body_bytes_per_second,
        period=settings.body_timeout_seconds,
    )
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_upload_bytes,
        job_max_bytes=settings.job_max_upload_bytes,
        job_paths=frozenset({f"{API_PREFIX}/extract"}),
    )
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
            expose_headers=EXPOSED_HEADERS,
        )
    app.add_middleware(
        RequestMetricsMiddleware,
        templates=[(route.pattern, route.path) for route in app.state.api_routes],
    )
    app.add_middleware(SpreadConnectionsMiddleware, paths=frozenset({f"{API_PREFIX}/extract"}))
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def _route_rules() -> list[RouteRule]:
    """Every API route's full path, pattern, methods and access rule."""
    return [
        RouteRule(
            API_PREFIX + route.path,
            compile_path(API_PREFIX + route.path)[0],
            frozenset(route.methods or ()),
            rule_of(route),
        )
        for router in API_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


def __getattr__(name: str) -> FastAPI:
    # `api.main:app` is built on first use, so importing this module has no side effects.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
