"""Password hashing with Argon2id (argon2-cffi), a few at a time per process, and the same
work for an unknown user."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api import errors

# argon2-cffi's defaults are RFC 9106's second recommended profile: Argon2id, 64 MiB, t=3.
_hasher = PasswordHasher()


class _Slots:
    """Turns to hash in this process, and how long a caller waits for one."""

    def __init__(self, concurrency: int, wait_seconds: float) -> None:
        self.semaphore = threading.BoundedSemaphore(concurrency)
        self.wait_seconds = wait_seconds


# Each hash holds 64 MiB for its whole run: without a bound, a flood of sign-ins with
# random names makes the process as large as the number of requests it serves at once.
_slots = _Slots(concurrency=2, wait_seconds=3.0)


def limit_hashing(concurrency: int, wait_seconds: float) -> None:
    """Hash at most ``concurrency`` passwords at once in this process; a caller that has
    waited ``wait_seconds`` for a turn gets 503. Set once by the app from its settings."""
    global _slots
    _slots = _Slots(concurrency, wait_seconds)


@contextmanager
def hashing_slot() -> Iterator[None]:
    """A turn to hash: waits briefly for one, else raises ServiceUnavailable (503)."""
    slots = _slots  # released where it was taken, even if the limit changes meanwhile
    if not slots.semaphore.acquire(timeout=slots.wait_seconds):
        retry = max(1, math.ceil(slots.wait_seconds))
        raise errors.ServiceUnavailable(
            f"too many passwords are being checked at once; try again in {retry} s",
            headers={"Retry-After": str(retry)},
        )
    try:
        yield
    finally:
        slots.semaphore.release()


def hash_password(password: str) -> str:
    """The Argon2id hash to store for ``password``."""
    with hashing_slot():
        return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return hash_password("a password nobody has")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash (unknown user) a dummy costs the same work."""
    checked = stored_hash or _dummy_hash()
    with hashing_slot():
        try:
            return _hasher.verify(checked, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)
