"""Migrations are the only way the schema is made, and they go up and down cleanly."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from api.db import (
    alembic_config,
    downgrade_database,
    is_at_head,
    make_engine,
    migration_heads,
    upgrade_database,
)
from tests.conftest import BACKENDS, PostgresDatabases


@pytest.fixture(params=BACKENDS)
def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases | None
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    assert postgres is not None
    url = postgres.create_empty()
    try:
        yield url
    finally:
        postgres.drop(url)


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_makes_every_table_and_downgrade_removes_them(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    assert {"models", "zones", "extractions", "crops", "alembic_version"} <= tables(
        empty_database_url
    )
    downgrade_database(empty_database_url, "base")
    assert tables(empty_database_url) <= {"alembic_version"}
    upgrade_database(empty_database_url)
    assert {"models", "zones", "extractions", "crops"} <= tables(empty_database_url)


def test_a_database_is_at_head_once_every_migration_is_applied(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert not is_at_head(engine)
        upgrade_database(empty_database_url)
        assert is_at_head(engine)
        downgrade_database(empty_database_url, "-1")
        assert not is_at_head(engine)
    finally:
        engine.dispose()


def test_the_heads_read_from_the_migration_files_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert migration_heads() == set(script.get_heads())


def test_the_heads_read_from_branched_and_merged_migrations_are_alembics(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    versions = tmp_path / "versions"
    versions.mkdir()
    # a <- b, a <- c, (b, c) <- d merged; a <- e a second head
    for revision, down in [("a", None), ("b", "a"), ("c", "a"), ("d", ("b", "c")), ("e", "a")]:
        (versions / f"{revision}_step.py").write_text(
            f"revision: str = {revision!r}\n"
            f"down_revision: str | tuple[str, ...] | None = {down!r}\n"
            "depends_on = None\n"
        )
    assert migration_heads(versions) == {"d", "e"}
    assert migration_heads(versions) == set(ScriptDirectory(str(tmp_path)).get_heads())


def test_models_match_the_migrated_schema(empty_database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from api.tables import Base

    upgrade_database(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_instances_starting_together_migrate_once(empty_database_url: str) -> None:
    # Without the lock, concurrent upgrades of one empty database collide on CREATE TABLE
    # (PostgreSQL) or on a locked file (SQLite).
    failures: list[BaseException] = []

    def start() -> None:
        try:
            upgrade_database(empty_database_url)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert {"models", "users", "api_keys", "alembic_version"} <= tables(empty_database_url)
