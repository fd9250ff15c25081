"""Models made from other tools' files: the rectangles of a VIA project, a Label Studio
export, a COCO or CVAT annotation file or a Tabula template, placed on the reference
picture sent with it.

The file is read by :mod:`api.services.models.importers`; here the picture it describes
is chosen (the one named like the uploaded picture, else the only one), its rectangles
are put in reference pixels (scaled when the file was drawn on a picture of another
size; Tabula's PDF points at the 200 dpi a PDF reference renders at), clipped to the
page, and named: zone names unique, folders valid, each change reported. Nothing is
silently dropped: every shape that does not become a zone is in the report with why.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from api import errors
from api.imaging.documents import POINTS_PER_INCH, REFERENCE_DPI, sniff_document
from api.services.models.catalog import (
    check_unique_name,
    create_model_from_pages,
    name_is_taken,
    reference_pictures,
)
from api.services.models.importers.detect import read_foreign
from api.services.models.importers.shapes import FORMATS, Box, Entry, Skipped, base_name
from api.services.models.rules import Limits, ZoneSpec, name_key
from api.storage import Storage
from api.storage.names import MAX_FOLDER_SEGMENTS, InvalidName, normalize_folder, safe_component
from api.tables import Model

MAX_ZONE_NAME = 100
MAX_MODEL_NAME = 200
MAX_DESCRIPTION = 5000
# Two pictures are the same picture at another size when their shapes differ by less.
ASPECT_TOLERANCE = 0.02
SHOWN_CANDIDATES = 10


@dataclass(frozen=True)
class Renamed:
    """A zone's name or folder that is not the label the file gave, and why."""

    field: Literal["name", "folder"]
    original: str
    given: str
    reason: str


@dataclass(frozen=True)
class Clipped:
    """A zone cut back to the edges of its page."""

    zone: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """What an import did with the file: its format, the picture of the file it read,
    where the zone names come from, and what was renamed, clipped or skipped."""

    format: str
    picture: str | None = None
    label_source: str | None = None
    renamed: tuple[Renamed, ...] = ()
    clipped: tuple[Clipped, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()


PORTABLE_REPORT = ImportReport(format="zonecut")
"""The report of a Zonecut export imported: nothing renamed, nothing skipped."""


@dataclass(frozen=True)
class _Placed:
    """A box in reference pixels, with why it was clipped if it was."""

    label: str
    page: int
    x: int
    y: int
    width: int
    height: int
    clipped: str | None


def import_foreign(
    session: Session,
    references: Storage,
    *,
    data: bytes,
    file_name: str | None,
    image: bytes,
    image_name: str | None,
    name: str | None,
    limits: Limits,
) -> tuple[Model, ImportReport]:
    """A new model from another tool's file (``data``) and the reference picture or
    document it was drawn on (``image``); ``name`` None: the file's project name, else
    the picture's, made free."""
    foreign = read_foreign(data)
    entry, chosen_note = choose_entry(foreign.entries, image_name)
    notes = [*entry.notes, *([chosen_note] if chosen_note else [])]
    if entry.units == "points" and sniff_document(image) != "pdf":
        raise errors.validation_failed(
            [
                errors.FieldError(
                    field="image",
                    message=f"a {FORMATS[foreign.format]} places its areas in PDF points: "
                    "send the PDF it was drawn on",
                )
            ]
        )
    if name is not None:
        check_unique_name(session, name)
        model_name = name
    else:
        model_name, naming_note = _free_name(session, _default_name(foreign.title, image_name))
        notes += [naming_note] if naming_note else []
    pages = reference_pictures(image, limits)
    sizes = [(picture.width, picture.height) for _, picture in pages]
    placed, skipped, scale_note = place(entry, sizes)
    notes += [scale_note] if scale_note else []
    skipped = [*entry.skipped, *skipped]
    if not placed:
        raise errors.NothingToImport(_nothing_placed(entry, skipped))
    named, renamed = zone_names([box.label for box in placed])
    zones = [
        ZoneSpec(
            name=zone_name,
            folder=folder,
            x=box.x,
            y=box.y,
            width=box.width,
            height=box.height,
            page=box.page,
        )
        for box, (zone_name, folder) in zip(placed, named, strict=True)
    ]
    model = create_model_from_pages(
        session,
        references,
        name=model_name,
        description=_description(foreign.format, file_name),
        pages=pages,
        limits=limits,
        zones=zones,
    )
    report = ImportReport(
        format=foreign.format,
        picture=entry.name,
        label_source=foreign.label_source,
        renamed=tuple(renamed),
        clipped=tuple(
            Clipped(zone=zone.name, reason=box.clipped)
            for box, zone in zip(placed, zones, strict=True)
            if box.clipped
        ),
        skipped=tuple(skipped),
        notes=tuple(notes),
    )
    return model, report


def choose_entry(entries: Sequence[Entry], image_name: str | None) -> tuple[Entry, str | None]:
    """The picture of the file to import, and a note when its name is not the uploaded
    picture's: the entry named like ``image_name`` (exactly, else regardless of case),
    else the only entry (or the only one with any shape). 422 when that leaves several,
    naming them, or none."""
    wanted = base_name(image_name) if image_name else ""
    if wanted:
        exact = [entry for entry in entries if wanted in _names(entry)]
        folded = [
            entry
            for entry in entries
            if wanted.casefold() in {name.casefold() for name in _names(entry)}
        ]
        matching = exact or folded
        if len(matching) == 1:
            return matching[0], None
        if len(matching) > 1:
            raise errors.AmbiguousImport(
                f"The file describes {len(matching)} pictures named '{wanted}' "
                f"({_candidates(matching)}); keep one of them in the file and import again."
            )
    drawn = [entry for entry in entries if entry.has_shapes]
    if len(entries) == 1:
        only = entries[0]
    elif len(drawn) == 1:
        only = drawn[0]
    elif not drawn:
        raise errors.NothingToImport("The file draws no shape on any picture.")
    else:
        named = f"none is named '{wanted}' like the `image` part" if wanted else "none is chosen"
        raise errors.AmbiguousImport(
            f"The file describes {len(drawn)} pictures and {named}: send the picture under "
            f"one of these names: {_candidates(drawn)}."
        )
    note = None
    if wanted and only.name and wanted not in _names(only):
        note = (
            f"The file names its picture '{only.name}', not '{wanted}'; it describes only "
            "that one, so its rectangles were placed on the picture sent."
        )
    return only, note


def place(
    entry: Entry, sizes: Sequence[tuple[int, int]]
) -> tuple[list[_Placed], list[Skipped], str | None]:
    """The entry's boxes in pixels of the reference pages of ``sizes``, clipped to their
    page; the boxes that land on no page or outside it; a note when the file's
    coordinates were scaled from a picture of another size."""
    width, height = sizes[0]
    note = None
    if entry.units == "points":
        scale_x = scale_y = REFERENCE_DPI / POINTS_PER_INCH
    elif entry.units == "percent":
        scale_x, scale_y = width / 100, height / 100
    else:
        scale_x = scale_y = 1.0
    if entry.size is not None and entry.units != "points":
        note = _check_size(entry, entry.size, (width, height))
        if entry.units == "pixels":
            scale_x, scale_y = width / entry.size[0], height / entry.size[1]
    placed: list[_Placed] = []
    skipped: list[Skipped] = []
    for box in entry.boxes:
        if box.page > len(sizes):
            pages = f"{len(sizes)} page" + ("s" if len(sizes) > 1 else "")
            skipped.append(
                Skipped(box.label, f"it is on page {box.page}; the reference has {pages}")
            )
            continue
        outcome = _placed(box, sizes[box.page - 1], scale_x, scale_y)
        if isinstance(outcome, Skipped):
            skipped.append(outcome)
        else:
            placed.append(outcome)
    return placed, skipped, note


def _placed(box: Box, size: tuple[int, int], scale_x: float, scale_y: float) -> _Placed | Skipped:
    width, height = size
    if box.width <= 0 or box.height <= 0:
        return Skipped(box.label, "it has no area")
    left, right = round(box.left * scale_x), round((box.left + box.width) * scale_x)
    top, bottom = round(box.top * scale_y), round((box.top + box.height) * scale_y)
    if right <= 0 or bottom <= 0 or left >= width or top >= height:
        return Skipped(
            box.label,
            f"it lies outside the picture ({width}x{height} pixels"
            + (f", page {box.page}" if box.page > 1 else "")
            + ")",
        )
    edges = [
        side
        for side, past in (
            ("left", left < 0),
            ("top", top < 0),
            ("right", right > width),
            ("bottom", bottom > height),
        )
        if past
    ]
    left, top = max(left, 0), max(top, 0)
    right, bottom = min(right, width), min(bottom, height)
    if right - left < 1 or bottom - top < 1:
        return Skipped(box.label, "it is less than a pixel wide or high")
    clipped = None
    if edges:
        clipped = f"it reached past the picture's {_words(edges)} edge; cut back to it"
    return _Placed(box.label, box.page, left, top, right - left, bottom - top, clipped)


def zone_names(labels: Sequence[str]) -> tuple[list[tuple[str, str]], list[Renamed]]:
    """A valid (name, folder) for each label, in order, and what differs from the label.

    A name is the label with control and invisible characters gone, at most 100
    characters, unique regardless of case (``total``, ``total 2``…); an unlabelled box is
    ``zone N``. A folder is the label when it is a valid folder, else the label made one
    (unsafe characters replaced, at most five segments); boxes of the same label share a
    folder.
    """
    taken: set[str] = set()
    named: list[tuple[str, str]] = []
    renamed: list[Renamed] = []
    for position, label in enumerate(labels, start=1):
        cleaned = _printable(label)
        base, reason = cleaned, None
        if not cleaned:
            base, reason = f"zone {position}", "the file gives it no label"
        elif len(cleaned) > MAX_ZONE_NAME:
            base = cleaned[:MAX_ZONE_NAME].rstrip()
            reason = f"a zone name has at most {MAX_ZONE_NAME} characters"
        elif cleaned != label:
            reason = "control or invisible characters removed"
        name, number = base, 2
        while name_key(name) in taken:
            suffix = f" {number}"
            name = base[: MAX_ZONE_NAME - len(suffix)].rstrip() + suffix
            number += 1
        if name != base:
            reason = f"another zone is named '{base}' (names are unique regardless of case)"
        taken.add(name_key(name))
        if reason:
            renamed.append(Renamed("name", label, name, reason))
        folder, problem = folder_for(label or name)
        if problem and label:
            renamed.append(Renamed("folder", label, folder, problem))
        named.append((name, folder))
    return named, renamed


def folder_for(text: str) -> tuple[str, str | None]:
    """``text`` as a folder, and why it had to change (None: it did not)."""
    try:
        return normalize_folder(text), None
    except InvalidName as exc:
        problem = str(exc)
    segments = [segment for segment in re.split(r"[/\\]+", text) if segment.strip(" .")]
    made = "/".join(
        safe_component(segment, fallback="zone") for segment in segments[:MAX_FOLDER_SEGMENTS]
    )
    return normalize_folder(made or "zones"), problem


def _check_size(entry: Entry, recorded: tuple[float, float], actual: tuple[int, int]) -> str | None:
    """422 when the file's picture has another shape than the reference; a note when it
    has the same shape at another size."""
    file_width, file_height = recorded
    width, height = actual
    if file_width <= 0 or file_height <= 0:
        return None
    ratio = (width / height) / (file_width / file_height)
    if abs(ratio - 1) > ASPECT_TOLERANCE:
        described = f"'{entry.name}'" if entry.name else "its picture"
        raise errors.validation_failed(
            [
                errors.FieldError(
                    field="image",
                    message=f"the file describes {described} as {file_width:g}x{file_height:g} "
                    f"pixels; the picture sent is {width}x{height}, another shape: send the "
                    "picture the file was drawn on",
                )
            ]
        )
    if entry.units == "pixels" and (
        not math.isclose(file_width, width) or not math.isclose(file_height, height)
    ):
        return (
            f"The file was drawn on a picture of {file_width:g}x{file_height:g} pixels; its "
            f"rectangles were scaled to the {width}x{height} of the picture sent."
        )
    return None


def _printable(label: str) -> str:
    text = unicodedata.normalize("NFC", label)
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(text.split())


def _names(entry: Entry) -> set[str]:
    return {base_name(name) for name in (entry.name, *entry.aliases) if name}


def _candidates(entries: Sequence[Entry]) -> str:
    names = [f"'{entry.name}'" if entry.name else "(unnamed)" for entry in entries]
    shown = ", ".join(names[:SHOWN_CANDIDATES])
    more = len(names) - SHOWN_CANDIDATES
    return shown + (f" and {more} more" if more > 0 else "")


def _default_name(title: str | None, image_name: str | None) -> str:
    if title:
        return _printable(title)[:MAX_MODEL_NAME].strip() or "Imported model"
    stem = base_name(image_name or "").rsplit(".", 1)[0] if image_name else ""
    return _printable(stem.replace("_", " "))[:MAX_MODEL_NAME].strip() or "Imported model"


def _free_name(session: Session, base: str) -> tuple[str, str | None]:
    """``base``, or ``base (2)``, ``base (3)``… the first no model has; a note if not
    ``base``. Past a hundred tries it is ``base`` again, and the 409 it gives."""
    if not name_is_taken(session, base):
        return base, None
    for number in range(2, 100):
        suffix = f" ({number})"
        name = base[: MAX_MODEL_NAME - len(suffix)].rstrip() + suffix
        if not name_is_taken(session, name):
            return name, f"A model named '{base}' exists, so this one is named '{name}'."
    return base, None


def _description(fmt: str, file_name: str | None) -> str:
    source = f" '{base_name(file_name)}'" if file_name else ""
    return f"Imported from the {FORMATS[fmt]} file{source}."[:MAX_DESCRIPTION]


def _nothing_placed(entry: Entry, skipped: Sequence[Skipped]) -> str:
    where = f"'{entry.name}'" if entry.name else "the picture"
    if not skipped:
        return f"The file draws no rectangle on {where}."
    reasons = "; ".join(
        f"{item.label or 'a shape'}: {item.reason}" for item in skipped[:SHOWN_CANDIDATES]
    )
    more = len(skipped) - SHOWN_CANDIDATES
    return (
        f"No rectangle of the file could become a zone on {where} ({reasons}"
        + (f"; and {more} more" if more > 0 else "")
        + ")."
    )


def _words(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
