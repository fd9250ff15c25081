"""``zonecut openapi``: the API's schema as YAML, as committed in ``openapi.yaml``."""

from __future__ import annotations

import argparse
import sys

import yaml


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
