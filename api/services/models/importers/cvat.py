"""CVAT for images 1.1 XML: ``<annotations>`` with one ``<image name width height>`` per
picture, holding ``<box label xtl ytl xbr ybr [rotation]>`` rectangles in pixels (and
polygons, polylines, points, ellipses, masks, cuboids, which are skipped, and tags,
which are not shapes). CVAT for video holds ``<track>`` elements instead and is refused
with a word on which export to choose.

The XML is parsed by defusedxml: no entity, DTD or external reference is followed, so a
file cannot expand into gigabytes or read another file.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from api import errors
from api.services.models.importers.shapes import (
    Box,
    Entry,
    ForeignFile,
    Skipped,
    invalid,
    label_text,
    not_a_rectangle,
    number,
    rotated,
    rotation,
)

FORMAT = "cvat"
OTHER_SHAPES = {
    "polygon": "polygon",
    "polyline": "polyline",
    "points": "set of points",
    "ellipse": "ellipse",
    "mask": "mask",
    "cuboid": "cuboid",
    "skeleton": "skeleton",
}


def parse(data: bytes) -> Element | None:
    """The root of an XML file, or None when ``data`` is not well-formed XML; an XML
    file that declares entities or a DTD is refused (422)."""
    try:
        root: Element = SafeElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise errors.validation_failed(
            [
                errors.FieldError(
                    field="file",
                    message="the XML declares a DTD or entities, which are not read "
                    f"({type(exc).__name__})",
                )
            ]
        ) from exc
    except (SafeElementTree.ParseError, ValueError):
        return None
    return root


def matches(root: Element) -> bool:
    """Whether ``root`` is the root of a CVAT XML file (for images or for video)."""
    return root.tag == "annotations" and (
        root.find("image") is not None
        or root.find("track") is not None
        or root.find("meta") is not None
    )


def read(root: Element) -> ForeignFile:
    """The pictures of a CVAT for images file and their boxes."""
    images = root.findall("image")
    if not images and root.find("track") is not None:
        raise invalid(
            FORMAT,
            "",
            "this is CVAT for video (tracks); export the task as CVAT for images 1.1",
        )
    entries: list[Entry] = []
    for index, image in enumerate(images):
        where = f"image[{index}]"
        boxes: list[Box] = []
        skipped: list[Skipped] = []
        for child in image:
            label = label_text(child.get("label"))
            if child.tag in OTHER_SHAPES:
                skipped.append(Skipped(label, not_a_rectangle(OTHER_SHAPES[child.tag])))
                continue
            if child.tag != "box":
                continue
            degrees = rotation(child.get("rotation", "0"))
            if degrees:
                skipped.append(Skipped(label, rotated(degrees)))
                continue
            left, top, right, bottom = (
                number(FORMAT, child.get(part), f"{where}.box[@label={label!r}].{part}")
                for part in ("xtl", "ytl", "xbr", "ybr")
            )
            boxes.append(
                Box(
                    label,
                    min(left, right),
                    min(top, bottom),
                    abs(right - left),
                    abs(bottom - top),
                )
            )
        name = image.get("name")
        entries.append(
            Entry(
                name=name or None,
                boxes=tuple(boxes),
                skipped=tuple(skipped),
                size=_size(image, where),
            )
        )
    return ForeignFile(
        format=FORMAT, entries=tuple(entries), title=_title(root), label_source="box labels"
    )


def _size(image: Element, where: str) -> tuple[float, float] | None:
    width, height = image.get("width"), image.get("height")
    if width is None or height is None:
        return None
    return number(FORMAT, width, f"{where}.width"), number(FORMAT, height, f"{where}.height")


def _title(root: Element) -> str | None:
    for path in ("meta/task/name", "meta/project/name", "meta/job/name"):
        text: Any = root.findtext(path)
        if label_text(text):
            return label_text(text)
    return None
