"""What an importer reads out of another tool's file: the pictures the file describes
and, on each, the labelled rectangles it holds and the shapes it holds that are not
(with why they cannot be zones). Coordinates stay in the file's own units here; placing
them on a reference picture is the import service's job.

Also the checks every reader shares: numbers that are numbers, labels that are text, and
the 422 naming where in the file something is wrong.
"""

from __future__ import annotations

import math
import posixpath
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from api import errors

Units = Literal["pixels", "percent", "points"]
"""``pixels`` of the picture the file was drawn on, ``percent`` of its width and height
(Label Studio), PDF ``points`` of 1/72 inch from the page's top-left corner (Tabula)."""

FORMATS: Mapping[str, str] = {
    "via": "VIA (VGG Image Annotator) 2 project JSON",
    "label-studio": "Label Studio JSON export",
    "coco": "COCO JSON",
    "cvat": "CVAT for images 1.1 XML",
    "tabula": "Tabula template JSON",
}
"""The formats read, by key, with the name a person knows them by."""


@dataclass(frozen=True)
class Box:
    """One axis-aligned rectangle: its top-left corner and size in the entry's units,
    the page it is on (from 1) and its label ("" when the file gives none)."""

    label: str
    left: float
    top: float
    width: float
    height: float
    page: int = 1


@dataclass(frozen=True)
class Skipped:
    """A shape of the file that does not become a zone, and why."""

    label: str
    reason: str


@dataclass(frozen=True)
class Entry:
    """One picture the file describes.

    ``name`` is the picture's file name as the file gives it (None: the file names no
    picture); ``aliases`` are other names the same picture goes by (Label Studio puts a
    prefix before uploaded names). ``size`` is the picture's size in pixels when the
    file records it; ``notes`` say what the reader left aside (a second annotation).
    """

    name: str | None
    boxes: tuple[Box, ...]
    skipped: tuple[Skipped, ...] = ()
    units: Units = "pixels"
    size: tuple[float, float] | None = None
    aliases: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def has_shapes(self) -> bool:
        """Whether the file draws anything on this picture, rectangle or not."""
        return bool(self.boxes or self.skipped)


@dataclass(frozen=True)
class ForeignFile:
    """Another tool's file, read: its format key, the pictures it describes, its
    project's title if it has one, and where its zone names come from."""

    format: str
    entries: tuple[Entry, ...]
    title: str | None = None
    label_source: str | None = None


def invalid(fmt: str, where: str, message: str) -> errors.ValidationFailed:
    """The 422 for a file of format ``fmt`` that breaks it at ``where``."""
    place = f" at {where}" if where else ""
    return errors.validation_failed(
        [errors.FieldError(field="file", message=f"{FORMATS[fmt]}{place}: {message}")]
    )


def number(fmt: str, value: Any, where: str) -> float:
    """``value`` as a finite number, or the 422 naming ``where`` it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        # XML attributes are text: a number written as text is a number.
        if isinstance(value, str):
            try:
                parsed = float(value)
            except ValueError:
                raise invalid(fmt, where, f"{_shown(value)} is not a number") from None
            return _finite(fmt, parsed, where)
        raise invalid(fmt, where, f"{_shown(value)} is not a number")
    return _finite(fmt, float(value), where)


def _finite(fmt: str, value: float, where: str) -> float:
    if not math.isfinite(value):
        raise invalid(fmt, where, f"{value} is not a finite number")
    return value


def page_number(fmt: str, value: Any, where: str) -> int:
    """``value`` as a page number from 1, or the 422 naming ``where``."""
    parsed = number(fmt, value, where)
    if parsed != int(parsed) or parsed < 1 or parsed > 10_000:
        raise invalid(fmt, where, f"{_shown(value)} is not a page number (1, 2, …)")
    return int(parsed)


def mapping(fmt: str, value: Any, where: str) -> Mapping[str, Any]:
    """``value`` as a JSON object, or the 422 naming ``where``."""
    if not isinstance(value, dict):
        raise invalid(fmt, where, "must be an object")
    return value


def listing(fmt: str, value: Any, where: str) -> Sequence[Any]:
    """``value`` as a JSON array, or the 422 naming ``where``."""
    if not isinstance(value, list):
        raise invalid(fmt, where, "must be a list")
    return value


def label_text(value: Any) -> str:
    """A label as text: strings as they are (trimmed), numbers written out, anything
    else (a missing label, a list, an object) empty."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return ""


def base_name(location: str) -> str:
    """The file name at the end of a path or URL (``/data/upload/1/a.png?x=1`` ->
    ``a.png``), whatever the separators."""
    path = (
        urllib.parse.unquote(urllib.parse.urlsplit(location).path)
        if "://" in location
        else location
    )
    path = path.split("?", 1)[0].replace("\\", "/")
    return posixpath.basename(path.rstrip("/"))


def not_a_rectangle(shape: str) -> str:
    """Why a shape of another kind is skipped."""
    article = "an" if shape[:1].lower() in "aeiou" else "a"
    return f"{article} {shape} is not a rectangle; only rectangles become zones"


def rotated(degrees: float) -> str:
    """Why a rotated rectangle is skipped."""
    return f"rotated by {degrees:g}°; zones are upright rectangles"


def rotation(value: Any) -> float:
    """A rotation in degrees folded into (-180, 180]; anything that is not a number is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        degrees = float(value)
    except ValueError:
        return 0.0
    if not math.isfinite(degrees):
        return 0.0
    folded = math.fmod(degrees, 360.0)
    if folded > 180.0:
        folded -= 360.0
    elif folded <= -180.0:
        folded += 360.0
    return round(folded, 6)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
