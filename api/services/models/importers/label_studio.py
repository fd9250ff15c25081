"""Label Studio: the JSON export of a project (a list of tasks), or one task as kept in
target storage.

A task has ``data`` (the picture's URL under a key such as ``image``) and
``annotations``, each with a ``result`` list. A rectangle is a result of type
``rectanglelabels`` (or ``rectangle``) whose ``value`` holds ``x``, ``y``, ``width``,
``height`` in percent of the picture, a ``rotation`` in degrees and the labels; the
result also gives ``original_width`` and ``original_height`` in pixels. The first
annotation not cancelled is read; a task without one falls back on its first prediction.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from api.services.models.importers.shapes import (
    Box,
    Entry,
    ForeignFile,
    Skipped,
    base_name,
    label_text,
    listing,
    mapping,
    not_a_rectangle,
    number,
    rotated,
    rotation,
)

FORMAT = "label-studio"
RECTANGLES = ("rectanglelabels", "rectangle")
# Result types that draw a region of another shape; the others (choices, textarea,
# relations…) describe the task or a region and are not shapes at all.
OTHER_SHAPES = {
    "polygonlabels": "polygon",
    "polygon": "polygon",
    "ellipselabels": "ellipse",
    "ellipse": "ellipse",
    "keypointlabels": "keypoint",
    "keypoint": "keypoint",
    "brushlabels": "brush mask",
    "brush": "brush mask",
    "bitmasklabels": "bitmask",
    "bitmask": "bitmask",
}
# Label Studio stores an uploaded file as "<8 hex digits>-<original name>".
UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-(.+)$")


def matches(document: Any) -> bool:
    """Whether ``document`` (parsed JSON) is a Label Studio export or task."""
    tasks = document if isinstance(document, list) else [document]
    return bool(tasks) and all(_is_task(task) for task in tasks)


def _is_task(task: Any) -> bool:
    return (
        isinstance(task, dict)
        and isinstance(task.get("data"), dict)
        and any(key in task for key in ("annotations", "predictions", "completions"))
    )


def read(document: Any) -> ForeignFile:
    """The pictures of the tasks and their rectangles."""
    tasks = document if isinstance(document, list) else [document]
    entries = [
        _entry(mapping(FORMAT, task, f"[{index}]"), f"[{index}]")
        for index, task in enumerate(tasks)
    ]
    return ForeignFile(format=FORMAT, entries=tuple(entries), label_source="rectangle labels")


def _entry(task: Mapping[str, Any], where: str) -> Entry:
    location = _picture(task["data"])
    name = _file_name(location) if location else None
    notes: list[str] = []
    results, note = _results(task, where)
    if note:
        notes.append(note)
    boxes: list[Box] = []
    skipped: list[Skipped] = []
    size: tuple[float, float] | None = None
    for index, result in enumerate(results):
        here = f"{where}.result[{index}]"
        result = mapping(FORMAT, result, here)
        kind = str(result.get("type", ""))
        value = mapping(FORMAT, result.get("value", {}), f"{here}.value")
        label = _label(value)
        if kind in OTHER_SHAPES:
            skipped.append(Skipped(label, not_a_rectangle(OTHER_SHAPES[kind])))
            continue
        if kind not in RECTANGLES:
            continue
        if size is None and "original_width" in result and "original_height" in result:
            size = (
                number(FORMAT, result["original_width"], f"{here}.original_width"),
                number(FORMAT, result["original_height"], f"{here}.original_height"),
            )
        degrees = rotation(value.get("rotation", 0))
        if degrees:
            skipped.append(Skipped(label, rotated(degrees)))
            continue
        left, top, width, height = (
            number(FORMAT, value.get(part), f"{here}.value.{part}")
            for part in ("x", "y", "width", "height")
        )
        boxes.append(Box(label, left, top, width, height))
    aliases = _aliases(name)
    return Entry(
        name=name,
        boxes=tuple(boxes),
        skipped=tuple(skipped),
        units="percent",
        size=size,
        aliases=aliases,
        notes=tuple(notes),
    )


def _results(task: Mapping[str, Any], where: str) -> tuple[Sequence[Any], str | None]:
    """The results read for a task, and a note when others were left aside."""
    annotations = listing(FORMAT, task.get("annotations", task.get("completions", [])), where)
    kept = [
        a
        for a in annotations
        if isinstance(a, dict) and not a.get("was_cancelled") and isinstance(a.get("result"), list)
    ]
    if kept:
        note = (
            f"{where}: the first of its {len(kept)} annotations was read" if len(kept) > 1 else None
        )
        return kept[0]["result"], note
    predictions = listing(FORMAT, task.get("predictions", []), f"{where}.predictions")
    for prediction in predictions:
        if isinstance(prediction, dict) and isinstance(prediction.get("result"), list):
            return prediction["result"], f"{where}: no annotation, so its first prediction was read"
    return [], None


def _picture(data: Mapping[str, Any]) -> str | None:
    """The picture's location: ``data.image``, else the first text value that looks like
    a file's location."""
    image = data.get("image")
    if isinstance(image, str) and image:
        return image
    for value in data.values():
        if isinstance(value, str) and re.search(r"\.[A-Za-z0-9]{2,5}($|\?)", value):
            return value
    return None


def _file_name(location: str) -> str:
    """The file name of a task's picture; a local-storage URL keeps it in ``?d=``."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if query.get("d"):
        return base_name(query["d"][0])
    return base_name(location)


def _aliases(name: str | None) -> tuple[str, ...]:
    if name is None:
        return ()
    uploaded = UPLOAD_PREFIX.match(name)
    return (uploaded.group(1),) if uploaded else ()


def _label(value: Mapping[str, Any]) -> str:
    for key, labels in value.items():
        if key.endswith("labels") and isinstance(labels, list) and labels:
            return label_text(labels[0])
    return ""
