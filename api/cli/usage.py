"""How a command refuses its arguments or settings: one line on standard error, exit
status 2."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from api.settings import Settings


def fail(message: str) -> NoReturn:
    """Say ``zonecut: <message>`` on standard error and exit with status 2."""
    sys.stderr.write(f"zonecut: {message}\n")
    raise SystemExit(2)


def load_settings() -> Settings:
    """The settings from the environment, or one line saying which are wrong and why
    (never their values: they may be secrets)."""
    from pydantic import ValidationError

    from api.settings import Settings, describe_errors

    try:
        return Settings()
    except ValidationError as exc:
        fail(f"invalid settings: {describe_errors(exc)}")
