"""``zonecut migrate``, and the migrated database the account commands work in."""

from __future__ import annotations

import argparse
from typing import Any


def migrate(args: argparse.Namespace) -> None:
    """Bring the database to the newest schema (or to ``--revision``)."""
    from api.cli.usage import load_settings
    from api.db import downgrade_database, upgrade_database

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if args.downgrade:
        downgrade_database(settings.effective_database_url, args.revision)
    else:
        upgrade_database(settings.effective_database_url, args.revision)


def session_factory() -> Any:
    """Sessions of this instance's database (its settings), brought to the newest schema."""
    from api.cli.usage import load_settings
    from api.db import make_engine, make_sessionmaker, upgrade_database

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.effective_database_url)
    return make_sessionmaker(make_engine(settings.effective_database_url))
