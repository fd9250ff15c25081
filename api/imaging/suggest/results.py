"""What a page's suggestions are: rectangles with a kind and a score, and the printed
lines; and their cached form, a small JSON document."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

Kind = Literal["box", "cell", "frame", "checkbox", "underline"]
KINDS: tuple[Kind, ...] = ("box", "cell", "frame", "checkbox", "underline")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Suggestion:
    """A suggested zone: the inside of a printed frame, in reference pixels."""

    x: int
    y: int
    width: int
    height: int
    kind: Kind
    score: float


@dataclass(frozen=True)
class PrintedLine:
    """The centre line of a printed stroke from (x1, y1) to (x2, y2), in reference pixels
    (pixel edges: a stroke covering rows 10 and 11 has its centre at y = 11), and how
    thick it is."""

    x1: float
    y1: float
    x2: float
    y2: float
    thickness: float


@dataclass(frozen=True)
class PageSuggestions:
    """Everything suggested on one page: zones best first, and the printed lines."""

    width: int
    height: int
    items: tuple[Suggestion, ...]
    lines: tuple[PrintedLine, ...]

    def to_bytes(self) -> bytes:
        """A small JSON document, for caching beside the reference."""
        body = {
            "version": FORMAT_VERSION,
            "size": [self.width, self.height],
            "items": [asdict(item) for item in self.items],
            "lines": [asdict(line) for line in self.lines],
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> PageSuggestions:
        """Read what :meth:`to_bytes` wrote; ``ValueError`` for another format version or
        anything else (the caller then computes the suggestions again)."""
        try:
            body = json.loads(data)
            if body["version"] != FORMAT_VERSION:
                message = f"Suggestions of format {body['version']}, not {FORMAT_VERSION}."
                raise ValueError(message)
            width, height = (int(v) for v in body["size"])
            items = tuple(
                Suggestion(
                    int(i["x"]),
                    int(i["y"]),
                    int(i["width"]),
                    int(i["height"]),
                    _kind(i["kind"]),
                    float(i["score"]),
                )
                for i in body["items"]
            )
            lines = tuple(
                PrintedLine(*(float(line[k]) for k in ("x1", "y1", "x2", "y2", "thickness")))
                for line in body["lines"]
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
            message = "Not suggestions data."
            raise ValueError(message) from error
        return cls(width, height, items, lines)


def _kind(value: object) -> Kind:
    for kind in KINDS:
        if value == kind:
            return kind
    message = f"Unknown suggestion kind {value!r}."
    raise ValueError(message)


# ----------------------------------------------------------------------------- the search
