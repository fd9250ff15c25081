"""``zonecut keys create``: an API key for another system, its secret printed once."""

from __future__ import annotations

import argparse
import sys

from api.cli.database import session_factory
from api.cli.usage import fail


def keys_create(args: argparse.Namespace) -> None:
    """Create an API key and print its secret, once."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from api import errors
    from api.db import session_scope
    from api.services import audit
    from api.services.identity import api_keys

    try:
        models = [uuid.UUID(m) for m in args.model] if args.model else None
    except ValueError:
        fail("--model takes model ids (UUIDs)")
    expires_at = (
        datetime.now(UTC) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
    )
    try:
        with session_scope(session_factory()) as session:
            created = api_keys.create_key(
                session,
                name=args.name,
                role=args.role,
                models=models,
                expires_at=expires_at,
                created_by="cli",
            )
            audit.record(session, "cli", "api_key.create", str(created.key.id), {"name": args.name})
    except errors.AppError as exc:
        fail(exc.detail)
    sys.stderr.write(f"API key {args.name} ({args.role}) created; it is shown only this once:\n")
    print(created.secret)
