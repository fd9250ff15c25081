"""The ``zonecut`` command: ``serve``, ``migrate`` and ``openapi``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import yaml


def _workers_default() -> int:
    return int(os.environ.get("ZONECUT_WORKERS", 0)) or min(os.cpu_count() or 1, 4)


def serve(args: argparse.Namespace) -> None:
    """Apply pending migrations once, then serve the API (and the web app) with uvicorn."""
    import uvicorn

    from api.db import upgrade_database
    from api.settings import Settings

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.effective_database_url)
    uvicorn.run(
        "api.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level,
        proxy_headers=True,
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

    args = parser.parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()
