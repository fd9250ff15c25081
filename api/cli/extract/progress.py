"""What the run shows while it goes: the progress bar, the counts on it and the closing
line."""

from __future__ import annotations

from dataclasses import dataclass
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
