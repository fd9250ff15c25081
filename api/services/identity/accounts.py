"""People: users and their roles, sign-in with its throttle, sessions, first-run setup."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api import errors
from api.db import session_scope
from api.services import audit
from api.services.identity import throttle
from api.services.identity.credentials import Role, new_secret, secret_hash
from api.services.identity.names import check_name
from api.services.identity.passwords import hash_password, needs_rehash, verify_password
from api.tables import SetupToken, User, UserSession, utcnow

WRONG_CREDENTIALS = "the username or password is wrong"
SETUP_TOKEN_LIFE = timedelta(days=1)


def username_key(username: str) -> str:
    """The form usernames are compared in: case does not matter."""
    return username.strip().casefold()


def load_user(session: Session, user_id: uuid.UUID) -> User:
    """One user, or 404."""
    user = session.get(User, user_id)
    if user is None:
        raise errors.NotFound(f"user {user_id} does not exist")
    return user


def list_users(session: Session, *, limit: int, offset: int) -> tuple[Sequence[User], int]:
    """A page of users by username, and the total."""
    total = session.scalar(select(func.count()).select_from(User)) or 0
    users = session.scalars(
        select(User).order_by(User.username_key).limit(limit).offset(offset)
    ).all()
    return users, total


def create_user(session: Session, username: str, password: str, role: Role) -> User:
    """A new enabled user; 409 when the username is taken (in any case) or reserved, 422
    when it is not printable."""
    check_name(username, "username", "user")
    key = username_key(username)
    if session.scalar(select(User.id).where(User.username_key == key)) is not None:
        raise errors.Conflict(f"username '{username}' is taken")
    user = User(
        id=uuid.uuid4(),
        username=username.strip(),
        username_key=key,
        password_hash=hash_password(password),
        role=role,
        disabled=False,
        created_at=utcnow(),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create of the same name
        raise errors.Conflict(f"username '{username}' is taken") from exc
    return user


@dataclass(frozen=True)
class UserChanges:
    """Fields of a user to change; None leaves one as it is."""

    username: str | None = None
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = None


def _is_enabled_admin(role: str, disabled: bool) -> bool:
    return role == "admin" and not disabled


def _check_other_admin(session: Session, user: User, doing: str) -> None:
    """409 unless an enabled admin other than ``user`` remains."""
    others = session.scalars(
        select(User.id)
        .where(User.role == "admin", User.disabled.is_(False), User.id != user.id)
        .with_for_update()
    ).all()
    if not others:
        raise errors.Conflict(
            f"cannot {doing} '{user.username}': it is the last enabled admin; "
            "make another admin first"
        )


def update_user(session: Session, user: User, changes: UserChanges) -> User:
    """Apply ``changes``; a new password or disabling ends every session of the user."""
    role = changes.role or user.role
    disabled = user.disabled if changes.disabled is None else changes.disabled
    if _is_enabled_admin(user.role, user.disabled) and not _is_enabled_admin(role, disabled):
        _check_other_admin(session, user, "disable" if disabled else "demote")
    if changes.username is not None:
        check_name(changes.username, "username", "user")
    if changes.username is not None and username_key(changes.username) != user.username_key:
        key = username_key(changes.username)
        if session.scalar(select(User.id).where(User.username_key == key)) is not None:
            raise errors.Conflict(f"username '{changes.username}' is taken")
        user.username, user.username_key = changes.username.strip(), key
    elif changes.username is not None:
        user.username = changes.username.strip()
    user.role = role
    user.disabled = disabled
    if changes.password is not None:
        user.password_hash = hash_password(changes.password)
    if changes.password is not None or disabled:
        end_sessions(session, user.id)
        throttle.forget_devices(session, user.id)
    return user


def delete_user(session: Session, user: User) -> None:
    """Remove a user and their sessions; 409 for the last enabled admin."""
    if _is_enabled_admin(user.role, user.disabled):
        _check_other_admin(session, user, "delete")
    end_sessions(session, user.id)
    session.delete(user)


def end_sessions(session: Session, user_id: uuid.UUID) -> None:
    """Sign a user out everywhere."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


def end_session(session: Session, session_id: uuid.UUID) -> None:
    """Sign one browser out."""
    session.execute(delete(UserSession).where(UserSession.id == session_id))


def start_session(session: Session, user: User, *, max_age: timedelta) -> str:
    """A new session for ``user``; answers the cookie's token (only its hash is kept)."""
    token = new_secret()
    now = utcnow()
    session.add(
        UserSession(
            id=uuid.uuid4(),
            token_hash=secret_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + max_age,
        )
    )
    user.last_login_at = now
    return token


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    # the device cookie's token for a browser that held none for this user, else None
    device_token: str | None


def sign_in(
    sessions: sessionmaker[Session],
    username: str,
    password: str,
    *,
    client: str | None,
    device: str | None,
    max_age: timedelta,
) -> SignedIn:
    """Check a username and password from ``client`` (its address) and start a session,
    or raise 401 / 429 / 503.

    The attempt is counted before the password is hashed (``throttle``), in a transaction
    of its own, so the throttle holds across workers and instances however many guesses
    arrive at once. ``device`` is the browser's device cookie, if any. An unknown user, a
    disabled one and a wrong password get the same answer after the same Argon2 work; the
    password is checked with no transaction open.
    """
    key = username_key(username)
    with session_scope(sessions) as session:
        trusted = throttle.is_trusted_device(session, device, key)
        attempt = throttle.start_attempt(session, username, key, client, trusted=trusted)
        user = session.scalar(select(User).where(User.username_key == key))
        stored_hash = user.password_hash if user is not None else None
        user_id = user.id if user is not None else None
    try:
        matches = verify_password(stored_hash, password)
        rehashed = (
            hash_password(password)
            if matches and stored_hash is not None and needs_rehash(stored_hash)
            else None
        )
    except errors.ServiceUnavailable:  # never judged: not a failure
        with session_scope(sessions) as session:
            throttle.forget_attempt(session, attempt)
        raise
    with session_scope(sessions) as session:
        throttle.prune(session, utcnow())
        user = session.get(User, user_id) if user_id is not None and matches else None
        signed_in: SignedIn | None = None
        if user is None or user.disabled:  # the attempt stays counted: a failure
            audit.record(
                session, username[:100], "auth.login_failed", detail={"address": attempt.address}
            )
        else:
            throttle.clear_failures(session, attempt)
            if rehashed is not None:
                user.password_hash = rehashed
            device_token = None if trusted else throttle.remember_device(session, user.id)
            token = start_session(session, user, max_age=max_age)
            signed_in = SignedIn(user, token, device_token)
            audit.record(session, user.username, "auth.login", target=str(user.id))
    if signed_in is None:
        raise errors.Unauthorized(WRONG_CREDENTIALS)
    return signed_in


def unlock_user(session: Session, user: User) -> None:
    """Let a user sign in again at once: their failed sign-ins from everywhere forgotten."""
    throttle.unlock(session, user.username_key)


def admin_exists(session: Session) -> bool:
    """Whether any enabled admin account exists."""
    return (
        session.scalar(select(User.id).where(User.role == "admin", User.disabled.is_(False)))
        is not None
    )


def issue_setup_token(sessions: sessionmaker[Session]) -> str | None:
    """A new setup token while no admin exists, else None.

    Every instance that starts prints its own link; each works until an admin exists or
    it is a day old, so the replicas of one deployment do not undo each other's links.
    """
    with session_scope(sessions) as session:
        if admin_exists(session):
            session.execute(delete(SetupToken))
            return None
        session.execute(
            delete(SetupToken).where(SetupToken.created_at < utcnow() - SETUP_TOKEN_LIFE)
        )
        token = new_secret()
        session.add(SetupToken(token_hash=secret_hash(token), created_at=utcnow()))
    return token


def complete_setup(session: Session, token: str, username: str, password: str) -> User:
    """Create the first admin with the setup token; the token is used up."""
    if admin_exists(session):
        raise errors.Conflict("setup is done: an admin account exists; sign in instead")
    fresh = SetupToken.created_at >= utcnow() - SETUP_TOKEN_LIFE
    used = session.execute(
        delete(SetupToken).where(SetupToken.token_hash == secret_hash(token), fresh)
    )
    if not used.rowcount:  # type: ignore[attr-defined]
        raise errors.Forbidden(
            "the setup token is not valid; use the link the server printed when it started"
        )
    session.execute(delete(SetupToken))  # one admin made: every other link dies
    user = create_user(session, username, password, "admin")
    audit.record(
        session,
        user.username,
        "user.create",
        target=str(user.id),
        detail={"role": "admin", "via": "setup"},
    )
    return user
