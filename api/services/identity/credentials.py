"""Who is asking: roles, the principal behind a request, and turning a secret into one.

Secrets (session tokens, API keys, the setup token) are random and long, so they are
stored as their SHA-256: a fast hash is enough for a secret nobody can guess, and a
database read gives away nothing that can be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.tables import ApiKey, User, UserSession

Role = Literal["operator", "editor", "admin"]
ROLES: tuple[Role, ...] = ("operator", "editor", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}

API_KEY_PREFIX = "zc_"
BOOTSTRAP_KEY_NAME = "bootstrap"
# last-use times are written at most this often, so reads do not all become writes
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class Principal:
    """The person or system a request acts for."""

    kind: Literal["user", "api_key"]
    name: str
    role: Role
    # the models an API key is limited to; None for every model ([] is a key for none)
    models: frozenset[uuid.UUID] | None = None
    user_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None

    @property
    def caller(self) -> str:
        """Who it is for what is kept per caller (Idempotency-Keys): the user's or the key's
        id, never a name that can be given again; ``bootstrap`` for the bootstrap key."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        if self.key_id is not None:
            return f"key:{self.key_id}"
        if self.kind == "api_key" and self.name == BOOTSTRAP_KEY_NAME:
            return BOOTSTRAP_KEY_NAME
        raise ValueError(f"{self.actor} has no id")

    @property
    def actor(self) -> str:
        """How the audit log and extraction records name it: a username or ``key:<name>``."""
        return self.name if self.kind == "user" else f"key:{self.name}"

    def has_role(self, role: Role) -> bool:
        """Whether its role includes ``role`` (admin ⊃ editor ⊃ operator)."""
        return _RANK[self.role] >= _RANK[role]


def new_secret(prefix: str = "") -> str:
    """A random secret of 32 bytes (256 bits), URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What is stored in place of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def as_role(value: str) -> Role:
    """A stored role as the type it is (the database holds only these values)."""
    for role in ROLES:
        if role == value:
            return role
    raise ValueError(f"unknown role {value!r}")


def user_principal(user: User, session_id: uuid.UUID | None = None) -> Principal:
    return Principal(
        kind="user",
        name=user.username,
        role=as_role(user.role),
        user_id=user.id,
        session_id=session_id,
    )


def key_principal(key: ApiKey) -> Principal:
    models = frozenset(uuid.UUID(m) for m in key.models) if key.models is not None else None
    return Principal(
        kind="api_key", name=key.name, role=as_role(key.role), models=models, key_id=key.id
    )


def resolve_api_key(
    session: Session, token: str, *, bootstrap_key: str | None, now: datetime
) -> Principal | None:
    """The principal of a bearer token, or None when it is unknown, revoked or expired."""
    if bootstrap_key is not None and hmac.compare_digest(token.encode(), bootstrap_key.encode()):
        return Principal(kind="api_key", name=BOOTSTRAP_KEY_NAME, role="admin")
    if not token.startswith(API_KEY_PREFIX):
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.secret_hash == secret_hash(token)))
    if key is None or key.revoked_at is not None:
        return None
    if key.expires_at is not None and key.expires_at <= now:
        return None
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
        key.last_used_at = now
    return key_principal(key)


def resolve_session(
    session: Session, token: str, *, idle: timedelta, now: datetime
) -> Principal | None:
    """The principal of a session cookie, or None when the session has ended.

    An idle or expired session is deleted on sight; a disabled user's sessions are deleted
    when the user is disabled, and refused here in any case.
    """
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == secret_hash(token))
    ).first()
    if row is None:
        return None
    user_session, user = row
    if now >= user_session.expires_at or now - user_session.last_seen_at >= idle:
        session.delete(user_session)
        return None
    if user.disabled:
        return None
    if now - user_session.last_seen_at >= TOUCH_INTERVAL:
        user_session.last_seen_at = now
    return user_principal(user, user_session.id)
