"""Signing in and out, who am I, and the first-run setup of the admin account."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from api import errors
from api.db import SessionDep, SessionFactoryDep
from api.edge.access import SESSION_COOKIE, Anyone, Reader
from api.edge.deps import SettingsDep
from api.edge.problems import problem_responses
from api.schemas.access import LoginRequest, Me, SetupRequest, UserRead
from api.services import audit
from api.services.identity import accounts, throttle
from api.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])
# a browser that signed in as a user before: the throttle's per-username limit spares it
DEVICE_COOKIE = "zonecut_device"


def _set_session_cookie(
    response: Response, request: Request, settings: Settings, token: str
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@router.post(
    "/login",
    operation_id="login",
    summary="Sign in",
    description="Checks a username and password and sets the session cookie "
    f"`{SESSION_COOKIE}` (HttpOnly, SameSite=Lax, Secure over https). The first success "
    f"in a browser also sets the device cookie `{DEVICE_COOKIE}`. Attempts are counted "
    "when they start; at 5 failures for a username from one client address within 15 "
    "minutes, 30 from one address within 15 minutes, or 100 for a username from everywhere "
    "within an hour (not counted for a browser holding that user's device cookie), the "
    "password is not checked and the answer is 429 with `Retry-After`. An IPv6 client "
    "counts by its /64. A success clears its username's failures from its address. While "
    "too many passwords are being checked at once, 503 with `Retry-After`.",
    responses=problem_responses(errors.Unauthorized, errors.Forbidden, errors.TooManyRequests),
)
def login(
    request: Request,
    response: Response,
    sessions: SessionFactoryDep,
    settings: SettingsDep,
    body: LoginRequest,
    _anyone: Anyone,
) -> UserRead:
    # the peer, or the address the trusted proxy wrote (FORWARDED_ALLOW_IPS)
    client = request.client.host if request.client is not None else None
    signed_in = accounts.sign_in(
        sessions,
        body.username,
        body.password,
        client=client,
        device=request.cookies.get(DEVICE_COOKIE),
        max_age=timedelta(hours=settings.session_max_hours),
    )
    _set_session_cookie(response, request, settings, signed_in.token)
    if signed_in.device_token is not None:
        response.set_cookie(
            DEVICE_COOKIE,
            signed_in.device_token,
            max_age=int(throttle.DEVICE_LIFE.total_seconds()),
            path=request.url.path,  # sent to sign-in only
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return UserRead.model_validate(signed_in.user)


@router.post(
    "/logout",
    status_code=204,
    operation_id="logout",
    summary="Sign out",
    description="Ends this browser's session and clears its cookie. Answers 204 also when "
    "no session was open.",
    responses=problem_responses(errors.Forbidden),
)
def logout(session: SessionDep, principal: Anyone) -> Response:
    if principal is not None and principal.session_id is not None:
        accounts.end_session(session, principal.session_id)
        audit.record(session, principal.actor, "auth.logout", target=str(principal.user_id))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get(
    "/me",
    operation_id="getMe",
    summary="Who am I",
    description="The user or API key this request's credentials belong to, and its role.",
    responses=problem_responses(errors.Unauthorized),
)
def me(principal: Reader) -> Me:
    models = sorted(principal.models, key=str) if principal.models is not None else None
    return Me(kind=principal.kind, name=principal.name, role=principal.role, models=models)


@router.post(
    "/setup",
    status_code=201,
    operation_id="completeSetup",
    summary="Create the first admin",
    description="With the token of the setup link the server prints while no admin exists "
    "(`/setup#token=…`), creates the first admin account and signs it in. The link dies "
    "once an admin exists (409).",
    responses=problem_responses(errors.Forbidden, errors.Conflict),
)
def setup(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    body: SetupRequest,
    _anyone: Anyone,
) -> UserRead:
    user = accounts.complete_setup(session, body.token, body.username, body.password)
    token = accounts.start_session(
        session, user, max_age=timedelta(hours=settings.session_max_hours)
    )
    audit.record(session, user.username, "auth.login", target=str(user.id))
    _set_session_cookie(response, request, settings, token)
    return UserRead.model_validate(user)
