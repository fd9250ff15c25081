"""Password hashing with Argon2id (argon2-cffi), and the same work for an unknown user."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are RFC 9106's second recommended profile: Argon2id, 64 MiB, t=3.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The Argon2id hash to store for ``password``."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("a password nobody has")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash (unknown user) a dummy costs the same work."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)
