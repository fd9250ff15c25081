"""The ``zonecut`` command: ``serve``, ``worker``, ``migrate``, ``openapi``, ``users``,
``keys`` and ``extract``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from api.cli.database import migrate
from api.cli.keys import keys_create
from api.cli.openapi import openapi
from api.cli.serve import serve, workers_default
from api.cli.usage import fail
from api.cli.users import users_create, users_list
from api.cli.worker import worker


def extract(args: argparse.Namespace) -> None:
    """Cut every picture under the paths with one model (see :mod:`api.cli.extract`); on
    this instance, in-process, when no ``--server`` is given."""
    from pathlib import Path

    from api.cli.extract.plan import Options, Plan, UsageError
    from api.cli.extract.run import extract_command
    from api.cli.local_cutter import LocalCutter

    plan = Plan(
        model=args.model,
        paths=tuple(args.paths),
        jobs=args.jobs,
        report=Path(args.report) if args.report else None,
        refused_dir=Path(args.refused) if args.refused else None,
        download_dir=Path(args.download) if args.download else None,
        options=Options(pages_each=args.pages_each),
    )
    try:
        status = extract_command(
            plan, server=args.server, api_key=args.api_key, local_cutter=LocalCutter
        )
    except UsageError as exc:
        fail(str(exc))
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
        default=workers_default(),
        help="worker processes (default: ZONECUT_WORKERS, else the CPU count up to 4)",
    )
    serve_parser.set_defaults(handler=serve)

    worker_parser = commands.add_parser(
        "worker",
        help="cut jobs and send webhooks, without serving HTTP",
        description="Take jobs up and cut them, and send webhook deliveries, until stopped "
        "(SIGTERM finishes the page being cut). Runs beside servers started with "
        "ZONECUT_JOB_RUNNER=false, on the same database and store.",
    )
    worker_parser.add_argument(
        "--threads", type=int, metavar="N", help="jobs cut at once (default ZONECUT_JOB_WORKERS)"
    )
    worker_parser.set_defaults(handler=worker)

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
