"""Who may call what: one rule per route, as a dependency every router uses.

The credentials themselves are resolved earlier, by :mod:`api.edge.authentication`, before the
body is read; these rules only judge the principal it found. The test of the role and
endpoint matrix reads :func:`rule_of` for every route, so a route without a rule fails it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, HTTPBearer

from api import errors
from api.services.identity.credentials import Principal, Role

SESSION_COOKIE = "zonecut_session"
PRINCIPAL_SCOPE_KEY = "zonecut.principal"

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    bearerFormat="zc_…",
    description="An API key: `Authorization: Bearer zc_…` (made by an admin, shown once).",
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="The browser's session cookie, set by `POST /auth/login`.",
)


@dataclass(frozen=True)
class Rule:
    """The least role a route needs (None: open to anyone), and whether a key limited to
    some models may call it at all."""

    role: Role | None
    scoped_keys: bool = False


def principal_of(request: Request) -> Principal | None:
    """The principal the authentication middleware found for this request, if any."""
    principal: Principal | None = request.scope.get(PRINCIPAL_SCOPE_KEY)
    return principal


def _rule(role: Role | None, *, scoped_keys: bool = False) -> Callable[..., Any]:
    rule = Rule(role, scoped_keys)
    if role is None:

        def check_open(request: Request) -> Principal | None:
            return principal_of(request)

        check_open.access_rule = rule  # type: ignore[attr-defined]
        return check_open

    def check(
        request: Request,
        _bearer: Annotated[object, Security(bearer_scheme)] = None,
        _cookie: Annotated[object, Security(cookie_scheme)] = None,
    ) -> Principal:
        principal = principal_of(request)
        if principal is None:  # the middleware answers 401 first; this is a second lock
            raise errors.Unauthorized("sign in, or send Authorization: Bearer <API key>")
        if not principal.has_role(role):
            raise errors.Forbidden(
                f"{principal.actor} has the role {principal.role}; this needs {role}"
            )
        if principal.models is not None and not rule.scoped_keys:
            raise errors.Forbidden(
                f"{principal.actor} is limited to some models; it may only read those models, "
                "cut pictures with them and read their extractions"
            )
        return principal

    check.access_rule = rule  # type: ignore[attr-defined]
    return check


open_to_all = _rule(None)
read_and_cut = _rule("operator", scoped_keys=True)
read_outputs = _rule("operator")
edit_models = _rule("editor")
administer = _rule("admin")

# Routes take the principal as a parameter when they need it, or name the rule in
# `dependencies=[...]` when they do not.
Anyone = Annotated[Principal | None, Depends(open_to_all)]
Reader = Annotated[Principal, Depends(read_and_cut)]
OutputReader = Annotated[Principal, Depends(read_outputs)]
Editor = Annotated[Principal, Depends(edit_models)]
Admin = Annotated[Principal, Depends(administer)]


def rule_of(route: APIRoute) -> Rule | None:
    """The access rule among a route's dependencies (None when it has none: a bug)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        found: Rule | None = getattr(dependant.call, "access_rule", None)
        if found is not None:
            return found
        pending.extend(dependant.dependencies)
    return None
