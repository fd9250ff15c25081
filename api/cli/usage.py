"""How a command refuses its arguments: one line on standard error, exit status 2."""

from __future__ import annotations

import sys
from typing import NoReturn


def fail(message: str) -> NoReturn:
    """Say ``zonecut: <message>`` on standard error and exit with status 2."""
    sys.stderr.write(f"zonecut: {message}\n")
    raise SystemExit(2)
