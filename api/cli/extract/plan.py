"""What ``zonecut extract`` was asked to do: the plan, the options every file is cut
with, the Idempotency-Key those make with a file's content, and the error that stops the
command before anything is cut."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


class UsageError(Exception):
    """The command cannot run as asked (exit status 2); the message says why."""


@dataclass(frozen=True)
class Options:
    """How every file of the run is cut, beyond the model."""

    pages_each: bool = False

    def form(self) -> dict[str, str]:
        """The form fields of ``POST /extract`` that say so."""
        return {"pages": "each"} if self.pages_each else {}


@dataclass(frozen=True)
class Plan:
    """What ``zonecut extract`` was asked to do."""

    model: str
    paths: tuple[str, ...]
    jobs: int = 4
    report: Path | None = None
    refused_dir: Path | None = None
    download_dir: Path | None = None
    options: Options = Options()


def idempotency_key(content_sha256: str, model_id: str, options: Options) -> str:
    """The key of one file's request: a hash of its content, the model and the options.

    The same picture under another name is the same request; the key is the same whether
    the picture goes to a server or is cut in-process.
    """
    parts = [
        "zonecut-extract/1",
        content_sha256,
        model_id,
        "pages=each" if options.pages_each else "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
