"""What the run shows while it goes: the progress bar, the counts on it and the closing
line."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from api.cli.extract.cutter import Result

if TYPE_CHECKING:
    from tqdm import tqdm


@dataclass
class Tally:
    """How many files were filed, refused and failed, and how many crops were filed."""

    filed: int = 0
    refused: int = 0
    failed: int = 0
    crops: int = 0
    replayed: int = 0

    def add(self, result: Result) -> None:
        setattr(self, result.status, getattr(self, result.status) + 1)
        if result.status == "filed":
            self.crops += result.crops
            self.replayed += result.replayed

    def counts(self) -> str:
        """Filed, refused and failed so far, for the progress bar."""
        return f"filed {self.filed}, refused {self.refused}, failed {self.failed}"

    def summary(self, total: int, seconds: float) -> str:
        """The closing line: filed (and how many were already cut), refused, failed, crops."""
        earlier = f" ({self.replayed} were already cut)" if self.replayed else ""
        return (
            f"{total} files: {self.filed} filed{earlier}, {self.refused} refused, "
            f"{self.failed} failed, {self.crops} crops in {seconds:.1f} s"
        )


@dataclass
class JobPages:
    """How far the jobs of the run are (files past the synchronous limits go as jobs):
    pages done and in all, summed over every job, shown beside the counts on the bar."""

    bar: tqdm[Any]
    tally: Tally
    _jobs: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def told(self, file: int, done: int, total: int | None) -> None:
        """The job of file number ``file`` has ``done`` of ``total`` pages cut: redraw."""
        with self._lock:
            self._jobs[file] = (done, total)
            self.bar.set_postfix_str(self._postfix_locked(), refresh=True)

    def counts_changed(self) -> None:
        """A file was settled: redraw the counts (on the next refresh of the bar)."""
        with self._lock:
            self.bar.set_postfix_str(self._postfix_locked(), refresh=False)

    def _postfix_locked(self) -> str:
        if not self._jobs:
            return self.tally.counts()
        done = sum(done for done, _ in self._jobs.values())
        totals = [total for _, total in self._jobs.values()]
        total = "?" if None in totals else str(sum(total or 0 for total in totals))
        plural = "s" if len(self._jobs) > 1 else ""
        return f"{self.tally.counts()}; job{plural}: {done}/{total} pages"


def progress_bar(progress: TextIO, total: int, title: str) -> tqdm[Any]:
    """A bar of ``total`` files on ``progress``, named ``title``: redrawn often and as wide
    as the window on a terminal, seldom into a file or a pipe."""
    from tqdm import tqdm

    tty = progress.isatty()
    return tqdm(
        total=total,
        desc=title,
        unit="file",
        file=progress,
        dynamic_ncols=tty,
        mininterval=0.1 if tty else 1.0,
    )
