"""The sign-in throttle: an attempt is counted when it starts, before its password is
hashed, per (username, client address), per address and per username from everywhere.

Counting is atomic across processes and instances: the attempt's keys are locked (a row
per key in ``sign_in_locks``, written first in the transaction: a row lock on PostgreSQL,
the database's write lock on SQLite) while the recent attempts are counted and the new one
is added. A browser that signed in as a user before holds a device cookie (OWASP's device
cookies) and is not held back by the limit on that username from everywhere, so a stranger
elsewhere cannot lock its owner out.
"""

from __future__ import annotations

import ipaddress
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api import errors
from api.services.identity.credentials import new_secret, secret_hash
from api.tables import SignInAttempt, SignInLock, TrustedDevice, User, utcnow


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` attempts within ``window``."""

    failures: int
    window: timedelta


PER_USERNAME_AND_ADDRESS = Limit(5, timedelta(minutes=15))
PER_ADDRESS = Limit(30, timedelta(minutes=15))
PER_USERNAME = Limit(100, timedelta(hours=1))
# attempts older than the longest window count for nothing and are pruned
KEPT = max(PER_USERNAME_AND_ADDRESS.window, PER_ADDRESS.window, PER_USERNAME.window)
PRUNED_AT_ONCE = 100

USERNAME_KEY_LENGTH = 200
ADDRESS_LENGTH = 64
IPV6_PREFIX = 64

DEVICE_LIFE = timedelta(days=180)
DEVICES_PER_USER = 20


def client_key(address: str | None) -> str:
    """The client as the throttle counts it: an IPv4 address, or an IPv6 address's /64
    (one subscriber's network); anything else as given."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    except ValueError:
        return address[:ADDRESS_LENGTH]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def throttle_key(username_key: str) -> str:
    """A casefolded username as the throttle stores it (a typed one may be longer)."""
    return username_key[:USERNAME_KEY_LENGTH]


def _lock(session: Session, keys: set[str], now: datetime) -> None:
    """Lock a row per key until the transaction ends, making it if need be.

    One upsert in sorted order, so two attempts sharing keys lock them in the same order.
    """
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = upsert(SignInLock).values([{"key": key, "at": now} for key in sorted(keys)])
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[SignInLock.key], set_={"at": statement.excluded.at}
        )
    )


def _wait(session: Session, limit: Limit, now: datetime, *where: ColumnElement[bool]) -> int | None:
    """Seconds until ``limit`` allows another attempt of those ``where`` selects, or None
    when it allows one now."""
    nth_newest = session.scalar(
        select(SignInAttempt.at)
        .where(*where, SignInAttempt.at > now - limit.window)
        .order_by(SignInAttempt.at.desc())
        .offset(limit.failures - 1)
        .limit(1)
    )
    if nth_newest is None:
        return None
    # the attempt whose expiry lets one through again
    return max(1, math.ceil((nth_newest + limit.window - now).total_seconds()))


def start_attempt(
    session: Session, username: str, username_key: str, client: str | None, *, trusted: bool
) -> SignInAttempt:
    """Count an attempt to sign in as ``username`` from ``client``, or raise 429 with
    Retry-After when a limit is reached. The attempt stands as a failure until
    ``clear_failures`` (it succeeded) or ``forget_attempt`` (it was never judged)."""
    now = utcnow()
    key, address = throttle_key(username_key), client_key(client)
    _lock(session, {f"user:{key}", f"address:{address}"}, now)
    same_user = SignInAttempt.username_key == key
    same_address = SignInAttempt.address == address
    waits = [
        (
            _wait(session, PER_USERNAME_AND_ADDRESS, now, same_user, same_address),
            f"too many failed sign-ins for '{username}' from this address",
        ),
        (
            _wait(session, PER_ADDRESS, now, same_address),
            "too many failed sign-ins from this address",
        ),
    ]
    if not trusted:
        waits.append(
            (
                _wait(session, PER_USERNAME, now, same_user, SignInAttempt.trusted.is_(False)),
                f"too many failed sign-ins for '{username}'; sign in from a browser that "
                "signed in before, or ask an admin to unlock it",
            )
        )
    refusals = [(wait, reason) for wait, reason in waits if wait is not None]
    if refusals:
        wait, reason = max(refusals)
        raise errors.TooManyRequests(
            f"{reason}; try again in {wait} s", headers={"Retry-After": str(wait)}
        )
    attempt = SignInAttempt(
        id=uuid.uuid4(), username_key=key, address=address, trusted=trusted, at=now
    )
    session.add(attempt)
    session.flush()
    return attempt


def forget_attempt(session: Session, attempt: SignInAttempt) -> None:
    """Uncount an attempt whose password was never checked."""
    session.execute(delete(SignInAttempt).where(SignInAttempt.id == attempt.id))


def clear_failures(session: Session, attempt: SignInAttempt) -> None:
    """A success: forget the failures of its username from its address, and itself."""
    session.execute(
        delete(SignInAttempt).where(
            SignInAttempt.username_key == attempt.username_key,
            SignInAttempt.address == attempt.address,
        )
    )


def unlock(session: Session, username_key: str) -> None:
    """Forget every failed sign-in of a username, from every address."""
    session.execute(
        delete(SignInAttempt).where(SignInAttempt.username_key == throttle_key(username_key))
    )


def prune(session: Session, now: datetime) -> None:
    """Remove a batch of attempts and idle key rows too old to count, skipping rows
    another transaction holds (so pruning never waits)."""
    cutoff = now - KEPT
    old_attempts = (
        select(SignInAttempt.id)
        .where(SignInAttempt.at < cutoff)
        .limit(PRUNED_AT_ONCE)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(SignInAttempt).where(SignInAttempt.id.in_(old_attempts)))
    idle_keys = (
        select(SignInLock.key)
        .where(SignInLock.at < cutoff)
        .limit(PRUNED_AT_ONCE)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(SignInLock).where(SignInLock.key.in_(idle_keys)))


def is_trusted_device(session: Session, token: str | None, username_key: str) -> bool:
    """Whether a device cookie's ``token`` is one this user's earlier sign-in handed out."""
    if not token:
        return False
    found = session.scalar(
        select(TrustedDevice.token_hash)
        .join(User, User.id == TrustedDevice.user_id)
        .where(
            TrustedDevice.token_hash == secret_hash(token),
            TrustedDevice.expires_at > utcnow(),
            User.username_key == username_key,
        )
    )
    return found is not None


def remember_device(session: Session, user_id: uuid.UUID) -> str:
    """A new device cookie's token for a browser that just signed in as the user; the
    user's oldest devices and expired ones are forgotten."""
    now = utcnow()
    token = new_secret()
    session.add(
        TrustedDevice(
            token_hash=secret_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + DEVICE_LIFE,
        )
    )
    session.flush()
    newest = (
        select(TrustedDevice.token_hash)
        .where(TrustedDevice.user_id == user_id, TrustedDevice.expires_at > now)
        .order_by(TrustedDevice.created_at.desc())
        .limit(DEVICES_PER_USER)
    )
    session.execute(
        delete(TrustedDevice).where(
            TrustedDevice.user_id == user_id, TrustedDevice.token_hash.not_in(newest)
        )
    )
    return token


def forget_devices(session: Session, user_id: uuid.UUID) -> None:
    """No browser of the user is trusted any more (a new password, disabled)."""
    session.execute(delete(TrustedDevice).where(TrustedDevice.user_id == user_id))
