"""Where the pictures are cut: the :class:`Cutter` protocol that the HTTP client and the
in-process cutter both keep, and what passes through it."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from api.cli.extract.plan import Options

Status = Literal["filed", "refused", "failed"]


class DownloadFailed(Exception):
    """The crops of a filed extraction could not be brought home."""


@dataclass(frozen=True)
class ModelRef:
    """The model every file is cut with, resolved once from the name or id given."""

    id: str
    name: str
    zone_count: int


@dataclass(frozen=True)
class Submission:
    """One file as it is sent: its name, its bytes and the key that makes a retry safe."""

    filename: str
    data: bytes
    idempotency_key: str

    @property
    def media_type(self) -> str:
        """The file's media type by its name (the server looks at the bytes anyway)."""
        return mimetypes.guess_type(self.filename)[0] or "application/octet-stream"


@dataclass(frozen=True)
class Result:
    """What became of one file: ``filed`` (with its extractions and how many crops),
    ``refused`` by the server, or ``failed`` (the network, the server, this machine)."""

    status: Status
    extraction_ids: tuple[str, ...] = ()
    crops: int = 0
    reason: str = ""
    replayed: bool = False  # filed by an earlier request with the same key


@dataclass(frozen=True)
class RetryLater:
    """The server cannot take the file now; ask again after ``after`` seconds (None: back
    off by the attempt)."""

    reason: str
    after: float | None = None


Answer = Result | RetryLater

# Told how far a job is, each time it is looked at: pages (or parts) done, and in all (None
# until the server has counted them).
PagesDone = Callable[[int, int | None], None]


class Cutter(Protocol):
    """Where the pictures are cut: a server over HTTP, or this instance in-process."""

    def resolve_model(self, reference: str) -> ModelRef:
        """The model named by id or (case-insensitive) name; :class:`UsageError` if none."""
        ...

    def cut(
        self,
        model: ModelRef,
        submission: Submission,
        options: Options,
        pages_done: PagesDone | None = None,
    ) -> Answer:
        """Cut one file; a refusal or failure is an answer, not an exception. A file cut as
        a job tells ``pages_done`` how far the job is while it runs."""
        ...

    def crops(self, extraction_id: str) -> Iterator[tuple[str, bytes]]:
        """The filed crops of an extraction as ``(<folder>/<file>, bytes)``."""
        ...

    def interrupt(self) -> None:
        """The run was interrupted: stop waiting on anything long (the jobs followed)."""
        ...

    def close(self) -> None:
        """Let go of connections and engines."""
        ...
