"""The ``zonecut`` command: ``serve``, ``migrate``, ``openapi``, ``users``, ``keys`` and
``extract``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

if TYPE_CHECKING:
    from api.settings import Settings


def _workers_default() -> int:
    return int(os.environ.get("ZONECUT_WORKERS", 0)) or min(os.cpu_count() or 1, 4)


def serve(args: argparse.Namespace) -> None:
    """Apply pending migrations once, then serve the API (and the web app) with uvicorn."""
    import uvicorn

    from api.db import upgrade_database
    from api.logs import log_config
    from api.settings import Settings

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.effective_database_url)
    _print_setup_link(settings, args.host, args.port)
    # Workers write their metrics here and /metrics adds them up; a fresh folder each start.
    # Set before anything imports prometheus_client (api.metrics reads the same name).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="zonecut-metrics-")
    uvicorn.run(
        "api.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def _print_setup_link(settings: Settings, host: str, port: int) -> None:
    """While no admin exists, print a one-time link that lets the first person make one.

    Printed here, by the process that starts the workers, so it is printed once; a new
    link replaces the last one at every start. Only the token's hash is stored.
    """
    from api.db import make_engine, make_sessionmaker
    from api.services.identity.accounts import issue_setup_token

    engine = make_engine(settings.effective_database_url)
    try:
        token = issue_setup_token(make_sessionmaker(engine))
    finally:
        engine.dispose()
    if token is None:
        return
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    print(
        "\nNo admin account yet. Open this link to create one (it works once):\n"
        f"\n    http://{shown_host}:{port}/setup#token={token}\n",
        flush=True,
    )


def migrate(args: argparse.Namespace) -> None:
    """Bring the database to the newest schema (or to ``--revision``)."""
    from api.db import downgrade_database, upgrade_database
    from api.settings import Settings

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if args.downgrade:
        downgrade_database(settings.effective_database_url, args.revision)
    else:
        upgrade_database(settings.effective_database_url, args.revision)


def openapi_document() -> str:
    """The OpenAPI schema as YAML, exactly as committed in ``openapi.yaml``."""
    import tempfile
    from pathlib import Path

    from api.main import create_app
    from api.settings import Settings

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(Settings(data_dir=Path(scratch), frontend_dir=Path(scratch)))
        schema = app.openapi()
        app.state.engine.dispose()
    return yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=100)


def openapi(args: argparse.Namespace) -> None:
    """Print the OpenAPI schema (YAML) or write it to ``--output``."""
    document = openapi_document()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(document)
    else:
        sys.stdout.write(document)


def _session_factory() -> Any:
    from api.db import make_engine, make_sessionmaker, upgrade_database
    from api.settings import Settings

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.effective_database_url)
    return make_sessionmaker(make_engine(settings.effective_database_url))


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"zonecut: {message}\n")
    raise SystemExit(2)


def users_create(args: argparse.Namespace) -> None:
    """Create a user; the password is read from standard input (one line)."""
    from pydantic import TypeAdapter, ValidationError

    from api import errors
    from api.db import session_scope
    from api.schemas.access import Password, Username
    from api.services import audit
    from api.services.identity import accounts

    if not args.password_stdin:
        _fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        TypeAdapter(Username).validate_python(args.name)
        TypeAdapter(Password).validate_python(password)
    except ValidationError as exc:
        _fail("; ".join(str(e["msg"]) for e in exc.errors()))
    try:
        with session_scope(_session_factory()) as session:
            user = accounts.create_user(session, args.name, password, args.role)
            audit.record(session, "cli", "user.create", str(user.id), {"role": args.role})
    except errors.AppError as exc:
        _fail(exc.detail)
    print(f"user {user.username} ({user.role}) created: {user.id}")


def users_list(args: argparse.Namespace) -> None:
    """Print every user with role and state."""
    from api.db import session_scope
    from api.services.identity import accounts

    with session_scope(_session_factory()) as session:
        users, _ = accounts.list_users(session, limit=10_000, offset=0)
        for user in users:
            state = "disabled" if user.disabled else "enabled"
            print(f"{user.id}  {user.username:<24} {user.role:<9} {state}")


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
        _fail("--model takes model ids (UUIDs)")
    expires_at = (
        datetime.now(UTC) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
    )
    try:
        with session_scope(_session_factory()) as session:
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
        _fail(exc.detail)
    sys.stderr.write(f"API key {args.name} ({args.role}) created; it is shown only this once:\n")
    print(created.secret)


def extract(args: argparse.Namespace) -> None:
    """Cut every picture under the paths with one model (see :mod:`api.batch`)."""
    from pathlib import Path

    from api import batch

    plan = batch.Plan(
        model=args.model,
        paths=tuple(args.paths),
        jobs=args.jobs,
        report=Path(args.report) if args.report else None,
        refused_dir=Path(args.refused) if args.refused else None,
        download_dir=Path(args.download) if args.download else None,
        options=batch.Options(pages_each=args.pages_each),
    )
    try:
        status = batch.extract_command(plan, server=args.server, api_key=args.api_key)
    except batch.UsageError as exc:
        _fail(str(exc))
    raise SystemExit(status)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``zonecut`` console script."""
    parser = argparse.ArgumentParser(prog="zonecut", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="serve the API and the web app")
    serve_parser.add_argument("--host", default=os.environ.get("ZONECUT_HOST", "127.0.0.1"))
    serve_parser.add_argument("--port", type=int, default=int(os.environ.get("ZONECUT_PORT", 8000)))
    serve_parser.add_argument(
        "--workers",
        type=int,
        default=_workers_default(),
        help="worker processes (default: ZONECUT_WORKERS, else the CPU count up to 4)",
    )
    serve_parser.set_defaults(handler=serve)

    migrate_parser = commands.add_parser("migrate", help="apply database migrations")
    migrate_parser.add_argument("--revision", default="head")
    migrate_parser.add_argument("--downgrade", action="store_true", help="go down to --revision")
    migrate_parser.set_defaults(handler=migrate)

    openapi_parser = commands.add_parser("openapi", help="print the OpenAPI schema as YAML")
    openapi_parser.add_argument("--output", "-o", help="write to this file instead")
    openapi_parser.set_defaults(handler=openapi)

    roles = ("operator", "editor", "admin")
    users_parser = commands.add_parser("users", help="manage people who sign in")
    users_commands = users_parser.add_subparsers(dest="users_command", required=True)
    create_user = users_commands.add_parser("create", help="create a user")
    create_user.add_argument("name")
    create_user.add_argument("--role", choices=roles, default="operator")
    create_user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create_user.set_defaults(handler=users_create)
    users_commands.add_parser("list", help="list users").set_defaults(handler=users_list)

    keys_parser = commands.add_parser("keys", help="manage API keys of other systems")
    keys_commands = keys_parser.add_subparsers(dest="keys_command", required=True)
    create_key = keys_commands.add_parser("create", help="create an API key (printed once)")
    create_key.add_argument("name")
    create_key.add_argument("--role", choices=roles, default="operator")
    create_key.add_argument(
        "--model", action="append", metavar="ID", help="limit the key to this model (repeatable)"
    )
    create_key.add_argument("--expires-in-days", type=int, metavar="DAYS")
    create_key.set_defaults(handler=keys_create)

    extract_parser = commands.add_parser(
        "extract",
        help="cut a batch of pictures with a model",
        description="Cut every picture and document under PATH with the model and file the "
        "crops, on a server (--server) or on this instance. Running it again over the same "
        "files cuts nothing twice. Exit status: 0 all filed, 1 some refused or failed, 2 a "
        "usage error.",
    )
    extract_parser.add_argument("paths", nargs="+", metavar="PATH", help="files and folders")
    extract_parser.add_argument("--model", required=True, metavar="NAME", help="name or id")
    extract_parser.add_argument(
        "--server", metavar="URL", help="a Zonecut server; default: this instance, in-process"
    )
    extract_parser.add_argument(
        "--api-key", metavar="KEY", help="the server's API key (default: ZONECUT_API_KEY)"
    )
    extract_parser.add_argument(
        "--jobs", type=int, default=4, metavar="N", help="files cut at once (default 4)"
    )
    extract_parser.add_argument(
        "--report", metavar="FILE", help="write what became of each file: .csv or .json"
    )
    extract_parser.add_argument(
        "--refused", metavar="DIR", help="copy refused files here, at their relative paths"
    )
    extract_parser.add_argument(
        "--download", metavar="DIR", help="mirror the crops here, at <folder>/<file>"
    )
    extract_parser.add_argument(
        "--pages-each",
        action="store_true",
        help="cut every page of a document as its own picture (sends pages=each)",
    )
    extract_parser.set_defaults(handler=extract)

    args = parser.parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()
