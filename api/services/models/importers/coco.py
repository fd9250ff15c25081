"""COCO object detection JSON: ``images`` (``id``, ``file_name``, ``width``, ``height``),
``annotations`` (``image_id``, ``category_id``, ``bbox`` as ``[x, y, width, height]`` in
pixels from the top-left corner) and ``categories`` (``id``, ``name``). Each annotation
with a ``bbox`` is a rectangle labelled with its category's name; one with only a
segmentation is skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from api.services.models.importers.shapes import (
    Box,
    Entry,
    ForeignFile,
    Skipped,
    base_name,
    invalid,
    label_text,
    listing,
    mapping,
    number,
)

FORMAT = "coco"


def matches(document: Any) -> bool:
    """Whether ``document`` (parsed JSON) is a COCO annotation file."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("images"), list)
        and isinstance(document.get("annotations"), list)
    )


def read(document: Mapping[str, Any]) -> ForeignFile:
    """The pictures of a COCO file and their boxes."""
    categories: dict[Any, str] = {}
    for index, category in enumerate(listing(FORMAT, document.get("categories", []), "categories")):
        category = mapping(FORMAT, category, f"categories[{index}]")
        categories[_key(category.get("id"))] = label_text(category.get("name"))
    by_image: dict[Any, list[tuple[int, Mapping[str, Any]]]] = defaultdict(list)
    for index, annotation in enumerate(document["annotations"]):
        annotation = mapping(FORMAT, annotation, f"annotations[{index}]")
        by_image[_key(annotation.get("image_id"))].append((index, annotation))
    entries: list[Entry] = []
    for index, image in enumerate(document["images"]):
        where = f"images[{index}]"
        image = mapping(FORMAT, image, where)
        boxes: list[Box] = []
        skipped: list[Skipped] = []
        for number_in_file, annotation in by_image.get(_key(image.get("id")), []):
            here = f"annotations[{number_in_file}]"
            label = categories.get(_key(annotation.get("category_id")), "")
            bbox = annotation.get("bbox")
            if bbox is None:
                skipped.append(Skipped(label, "it has no bbox, only a segmentation"))
                continue
            parts = listing(FORMAT, bbox, f"{here}.bbox")
            if len(parts) != 4:
                raise invalid(FORMAT, f"{here}.bbox", "must be [x, y, width, height]")
            left, top, width, height = (
                number(FORMAT, part, f"{here}.bbox[{i}]") for i, part in enumerate(parts)
            )
            boxes.append(Box(label, left, top, width, height))
        name = image.get("file_name")
        entries.append(
            Entry(
                name=base_name(name) if isinstance(name, str) and name else None,
                boxes=tuple(boxes),
                skipped=tuple(skipped),
                size=_size(image, where),
            )
        )
    return ForeignFile(
        format=FORMAT, entries=tuple(entries), title=_title(document), label_source="category names"
    )


def _key(value: Any) -> Any:
    """An id as a key: 7 and "7" are the same image or category."""
    return str(value) if isinstance(value, int | str) and not isinstance(value, bool) else None


def _size(image: Mapping[str, Any], where: str) -> tuple[float, float] | None:
    if image.get("width") is None or image.get("height") is None:
        return None
    return (
        number(FORMAT, image["width"], f"{where}.width"),
        number(FORMAT, image["height"], f"{where}.height"),
    )


def _title(document: Mapping[str, Any]) -> str | None:
    info = document.get("info")
    description = info.get("description") if isinstance(info, dict) else None
    return label_text(description) or None
