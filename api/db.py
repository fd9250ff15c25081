"""Database engine, migrations, and the request-scoped session that owns the transaction."""

from __future__ import annotations

import ast
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (and Mako, which it loads) costs every worker memory at start, and a worker
# whose database is migrated never runs it: the functions that migrate import it, and
# is_at_head reads the heads without it.

ROLLBACK_HOOKS = "zonecut.rollback_hooks"
COMMIT_HOOKS = "zonecut.commit_hooks"


# How long a SQLite transaction waits for the database's writer before it fails.
SQLITE_BUSY_SECONDS = 30.0


class WriterLock:
    """The one writer of a SQLite database, among the threads and processes of this machine.

    SQLite lets one transaction write at a time; a transaction that finds the database
    locked sleeps in its busy handler (1, 2, 5 … 100 ms at a time) and looks again, so
    under load a waiter sleeps on while the lock is free and late-comers overtake it:
    answers queue for seconds behind transactions of a millisecond. Instead, the writer
    is taken here before ``BEGIN IMMEDIATE``: a thread lock among the threads of this
    process, then an exclusive ``flock`` on a file beside the database among processes.
    Both wake a waiter as soon as the holder lets go; the busy timeout stays as a last
    resort (another program, a migration).
    """

    def __init__(self, database: str) -> None:
        self._threads = threading.Lock()
        self._path = Path(f"{database}.write-lock")
        self._fd: int | None = None
        self._pid = 0  # the process the file was opened in: a lock is not shared by forks

    def acquire(self) -> None:
        """Become the writer, or raise after :data:`SQLITE_BUSY_SECONDS`."""
        if not self._threads.acquire(timeout=SQLITE_BUSY_SECONDS):
            raise sqlite3.OperationalError("database is locked (by this process's writer)")
        try:
            if self._fd is None or self._pid != os.getpid():
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        """Let the next writer in."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


_writer_locks: dict[str, WriterLock] = {}
_writer_locks_guard = threading.Lock()


def writer_lock(database: str) -> WriterLock:
    """The :class:`WriterLock` of the SQLite database file ``database`` in this process."""
    key = os.path.realpath(database)
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, WriterLock(key))


class _SerializedConnection(sqlite3.Connection):
    """A SQLite connection that holds its database's :class:`WriterLock` from ``BEGIN
    IMMEDIATE`` until its transaction has ended (committed or rolled back), so the next
    writer starts the moment this one is done."""

    writer: WriterLock | None = None
    _holding = False

    def begin_writing(self) -> None:
        if self.writer is not None and not self._holding:
            self.writer.acquire()
            self._holding = True

    def _let_go(self) -> None:
        if self._holding and self.writer is not None:
            self._holding = False
            self.writer.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, one writer at a time without
    sleeping (:class:`WriterLock`) and a busy timeout."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        writer = writer_lock(database) if database and database != ":memory:" else None
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_SECONDS,
                "factory": _SerializedConnection,
            },
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Python's sqlite3 opens transactions lazily; take the lock at BEGIN instead so
            # concurrent writers queue on the busy timeout rather than failing to upgrade.
            dbapi_connection.isolation_level = None
            dbapi_connection.writer = writer
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            dbapi_connection = connection.connection.dbapi_connection
            dbapi_connection.begin_writing()
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                dbapi_connection.rollback()  # lets the writer go
                raise

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses read them)."""
    return sessionmaker(engine, expire_on_commit=False)


def on_rollback(session: Session, hook: Callable[[], None]) -> None:
    """Run ``hook`` if the session's transaction ends in a rollback (e.g. remove a new file)."""
    session.info.setdefault(ROLLBACK_HOOKS, []).append(hook)


def on_commit(session: Session, hook: Callable[[], None]) -> None:
    """Run ``hook`` once the session's transaction is committed (e.g. remove an old file)."""
    session.info.setdefault(COMMIT_HOOKS, []).append(hook)


def _run_hooks(session: Session, key: str) -> None:
    hooks: list[Callable[[], None]] = session.info.pop(key, [])
    session.info.pop(ROLLBACK_HOOKS, None)
    session.info.pop(COMMIT_HOOKS, None)
    for hook in reversed(hooks):
        hook()


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction commits when the block succeeds and rolls back if not."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        _run_hooks(session, ROLLBACK_HOOKS)
        raise
    else:
        _run_hooks(session, COMMIT_HOOKS)
    finally:
        session.close()


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: the request's session, committed after the handler returns."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session


def get_sessionmaker(request: Request) -> sessionmaker[Session]:
    """FastAPI dependency for services that open short transactions of their own."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


# scope="function": commit before the response is sent, so a failed commit is an error answer.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_sessionmaker)]


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the database at ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# An arbitrary constant: the key of the PostgreSQL advisory lock that migrations hold.
MIGRATION_LOCK_KEY = 0x7A6F6E6563757401


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold the database-wide migration lock: one process migrates, the others wait.

    PostgreSQL: an advisory lock on a connection of its own. SQLite: an exclusive lock on
    a file beside the database (every process that opens it is on this machine).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(
                    text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                try:
                    yield
                finally:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                    connection.commit()
        finally:
            engine.dispose()
    elif parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        lock_path = Path(f"{parsed.database}.migrate-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    else:
        yield


def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply pending migrations under the migration lock: the only way the schema changes.

    Any number of instances may call this at once; the first migrates, the others find
    the database at ``revision`` when they get the lock and do nothing.
    """
    from alembic import command

    with migration_lock(url):
        command.upgrade(alembic_config(url), revision)


def downgrade_database(url: str, revision: str) -> None:
    """Undo migrations down to ``revision`` (``base`` for an empty database)."""
    from alembic import command

    with migration_lock(url):
        command.downgrade(alembic_config(url), revision)


# Where Alembic records the revisions a database is at (its default name).
VERSION_TABLE = "alembic_version"


def is_at_head(engine: Engine) -> bool:
    """Whether the database already has every migration applied: the revisions recorded
    in it are the heads of the migrations folder."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            current: set[str] = set()
        else:
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
            current = set(rows.scalars())
    return current == migration_heads()


def migration_heads(versions: Path = MIGRATIONS_DIR / "versions") -> set[str]:
    """The revisions in ``versions`` that no other revision follows, as Alembic counts its
    heads: read from each migration's ``revision`` and ``down_revision`` without importing
    it (or Alembic)."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in versions.glob("*.py"):
        if path.name.startswith(("__init__", ".#")):  # the files Alembic skips
            continue
        fields = _constants(path)
        revisions.add(fields["revision"])
        down = fields.get("down_revision")
        if isinstance(down, str):
            followed.add(down)
        elif down:
            followed.update(down)
    return revisions - followed


def _constants(path: Path) -> dict[str, Any]:
    """The module-level names of ``path`` assigned a literal (``x = …`` or ``x: T = …``)."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_bytes(), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            with suppress(ValueError, TypeError):  # not a literal: no revision of Alembic's
                found[target.id] = ast.literal_eval(value)
    return found
