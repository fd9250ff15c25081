"""``zonecut users create`` and ``zonecut users list``: people who sign in, from the shell."""

from __future__ import annotations

import argparse
import sys

from api.cli.database import session_factory
from api.cli.usage import fail


def users_create(args: argparse.Namespace) -> None:
    """Create a user; the password is read from standard input (one line)."""
    from pydantic import TypeAdapter, ValidationError

    from api import errors
    from api.db import session_scope
    from api.schemas.access import Password, Username
    from api.services import audit
    from api.services.identity import accounts

    if not args.password_stdin:
        fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        TypeAdapter(Username).validate_python(args.name)
        TypeAdapter(Password).validate_python(password)
    except ValidationError as exc:
        fail("; ".join(str(e["msg"]) for e in exc.errors()))
    try:
        with session_scope(session_factory()) as session:
            user = accounts.create_user(session, args.name, password, args.role)
            audit.record(session, "cli", "user.create", str(user.id), {"role": args.role})
    except errors.AppError as exc:
        fail(exc.detail)
    print(f"user {user.username} ({user.role}) created: {user.id}")


def users_list(args: argparse.Namespace) -> None:
    """Print every user with role and state."""
    from api.db import session_scope
    from api.services.identity import accounts

    with session_scope(session_factory()) as session:
        users, _ = accounts.list_users(session, limit=10_000, offset=0)
        for user in users:
            state = "disabled" if user.disabled else "enabled"
            print(f"{user.id}  {user.username:<24} {user.role:<9} {state}")
