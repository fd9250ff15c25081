"""Credentials resolved before the body is read: an ASGI middleware in front of the API.

A request to ``/api/…`` without valid credentials is answered 401 here, before a byte of
its body is received, unless its route is open. A browser's unsafe request (one carrying
no bearer token) from another origin is 403. The principal found is left in the ASGI
scope for the route rules of :mod:`api.edge.access` to judge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from anyio import to_thread
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors
from api.db import session_scope
from api.edge.access import PRINCIPAL_SCOPE_KEY, SESSION_COOKIE, Rule
from api.edge.problems import problem_response
from api.services.identity.credentials import Principal, resolve_api_key, resolve_session
from api.settings import Settings
from api.tables import utcnow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
GUARDED_PREFIXES = ("/api/",)
CLEAR_COOKIE = f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"


@dataclass(frozen=True)
class RouteRule:
    """An API route's full path, its pattern, methods and access rule."""

    path: str
    pattern: re.Pattern[str]
    methods: frozenset[str]
    rule: Rule | None


class AuthenticationMiddleware:
    """Find the principal of every API request, or refuse it before reading the body."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[RouteRule],
        open_paths: frozenset[str],
        settings: Settings,
        sessions: sessionmaker[Session],
    ) -> None:
        self.app = app
        self.routes = routes
        self.open_paths = open_paths
        self.settings = settings
        self.sessions = sessions
        self.allowed_origins = frozenset(o.rstrip("/") for o in settings.cors_origins)
        self.bootstrap_key = (
            settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._guards(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        bearer = _bearer_token(headers.get("authorization"))
        cookie = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE) or None
        if scope["method"] not in SAFE_METHODS and bearer is None:
            refusal = self._cross_origin_refusal(scope, headers)
            if refusal is not None:
                await problem_response(errors.Forbidden(refusal))(scope, receive, send)
                return
        principal: Principal | None = None
        if bearer is not None or cookie is not None:
            try:
                principal = await to_thread.run_sync(self._resolve, bearer, cookie)
            except SQLAlchemyError:
                unavailable = errors.ServiceUnavailable(
                    "the database does not answer; try again shortly",
                    headers={"Retry-After": "5"},
                )
                await problem_response(unavailable)(scope, receive, send)
                return
        if principal is None and not self._is_open(scope):
            await problem_response(_unauthorized(bearer, cookie))(scope, receive, send)
            return
        scope[PRINCIPAL_SCOPE_KEY] = principal
        await self.app(scope, receive, send)

    def _guards(self, path: str) -> bool:
        return path.startswith(GUARDED_PREFIXES) or path in self.open_paths

    def _resolve(self, bearer: str | None, cookie: str | None) -> Principal | None:
        now = utcnow()
        with session_scope(self.sessions) as session:
            if bearer is not None:  # a bearer token wins over a cookie
                return resolve_api_key(session, bearer, bootstrap_key=self.bootstrap_key, now=now)
            assert cookie is not None
            idle = timedelta(minutes=self.settings.session_idle_minutes)
            return resolve_session(session, cookie, idle=idle, now=now)

    def _is_open(self, scope: Scope) -> bool:
        if scope["path"] in self.open_paths:
            return True
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        for route in self.routes:
            if method in route.methods and route.pattern.match(scope["path"]):
                return route.rule is not None and route.rule.role is None
        return False  # an unknown API path or method says nothing to a stranger

    def _cross_origin_refusal(self, scope: Scope, headers: Headers) -> str | None:
        origin = headers.get("origin")
        if origin is not None and origin.rstrip("/") in self.allowed_origins:
            return None
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return f"a {site} request may not change anything here (Sec-Fetch-Site)"
        if origin is not None and origin.rstrip("/") != _own_origin(scope, headers):
            return f"requests from {origin} may not change anything here"
        return None


def _bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    # any other scheme (Basic, …) is an unusable credential, not an absent one
    return token.strip() if scheme.lower() == "bearer" else authorization


def _own_origin(scope: Scope, headers: Headers) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


def _unauthorized(bearer: str | None, cookie: str | None) -> errors.Unauthorized:
    if bearer is not None:
        return errors.Unauthorized("the API key is unknown, revoked or expired")
    if cookie is not None:
        return errors.Unauthorized(
            "the session has ended; sign in again", headers={"Set-Cookie": CLEAR_COOKIE}
        )
    return errors.Unauthorized("sign in, or send an API key as Authorization: Bearer zc_…")
