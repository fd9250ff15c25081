"""VIA (VGG Image Annotator) 2: a saved project, or its "annotations as JSON" export.

A project holds ``_via_img_metadata``: per picture ``{filename, size, regions,
file_attributes}``, each region a ``shape_attributes`` (``{"name": "rect", x, y, width,
height}`` in pixels of the picture, or a circle, an ellipse, a polygon, a polyline, a
point) and ``region_attributes`` (what the person typed or picked for it). The export
is that same object alone. Which region attribute names the zones is chosen from the
values: see :func:`label_attribute`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from api.services.models.importers.shapes import (
    Box,
    Entry,
    ForeignFile,
    Skipped,
    label_text,
    listing,
    mapping,
    not_a_rectangle,
    number,
)

FORMAT = "via"
METADATA = "_via_img_metadata"
# Attribute names people give the one that names a region, most telling first.
NAMING_ATTRIBUTES = ("name", "label", "zone", "field", "title", "id", "class", "type")


def matches(document: Any) -> bool:
    """Whether ``document`` (parsed JSON) is a VIA 2 project or annotations export."""
    if not isinstance(document, dict):
        return False
    if METADATA in document:
        return True
    return bool(document) and all(_is_image(value) for value in document.values())


def _is_image(value: Any) -> bool:
    return isinstance(value, dict) and "filename" in value and "regions" in value


def read(document: Mapping[str, Any]) -> ForeignFile:
    """The pictures of a VIA project and their rectangles."""
    metadata = mapping(FORMAT, document.get(METADATA, document), METADATA)
    images = [
        (key, mapping(FORMAT, value, f"{METADATA}[{key!r}]")) for key, value in metadata.items()
    ]
    regions = [
        (key, index, mapping(FORMAT, region, f"{key!r}.regions[{index}]"))
        for key, image in images
        for index, region in enumerate(_regions(image, key))
    ]
    definitions = _definitions(document)
    attributes = {
        (key, index): _texts(_attributes(region, key, index), definitions)
        for key, index, region in regions
    }
    chosen = label_attribute(list(attributes.values()))
    entries: list[Entry] = []
    for key, image in images:
        boxes: list[Box] = []
        skipped: list[Skipped] = []
        for index, region in enumerate(_regions(image, key)):
            where = f"{key!r}.regions[{index}]"
            region = mapping(FORMAT, region, where)
            label = attributes[key, index].get(chosen, "") if chosen else ""
            shape = mapping(FORMAT, region.get("shape_attributes"), f"{where}.shape_attributes")
            kind = shape.get("name")
            if kind != "rect":
                skipped.append(Skipped(label, not_a_rectangle(str(kind or "shape"))))
                continue
            left, top, width, height = (
                number(FORMAT, shape.get(part), f"{where}.shape_attributes.{part}")
                for part in ("x", "y", "width", "height")
            )
            boxes.append(Box(label, left, top, width, height))
        name = image.get("filename")
        entries.append(
            Entry(
                name=name if isinstance(name, str) and name else None,
                boxes=tuple(boxes),
                skipped=tuple(skipped),
            )
        )
    return ForeignFile(
        format=FORMAT,
        entries=tuple(entries),
        title=_project_name(document),
        label_source=f"region attribute '{chosen}'" if chosen else None,
    )


def label_attribute(attributes: Sequence[Mapping[str, str]]) -> str | None:
    """The region attribute that names the zones, among the attributes of every region.

    The one that tells the regions apart wins: an attribute every region has, with a
    different value on each. Among equals, a conventional name (``name``, ``label``,
    ``zone``…), then more different values, then the attribute seen first. An attribute
    no region gives text for is never chosen; None when there is none.
    """
    order: list[str] = []
    for region in attributes:
        for key in region:
            if key not in order and any(r.get(key) for r in attributes):
                order.append(key)
    if not order:
        return None

    def rank(key: str) -> tuple[bool, int, int, int]:
        values = [region.get(key, "").casefold() for region in attributes]
        present = [value for value in values if value]
        tells_apart = len(present) == len(values) and len(set(present)) == len(present)
        conventional = key.strip().casefold()
        preference = (
            len(NAMING_ATTRIBUTES) - NAMING_ATTRIBUTES.index(conventional)
            if conventional in NAMING_ATTRIBUTES
            else 0
        )
        return tells_apart, preference, len(set(present)), -order.index(key)

    return max(order, key=rank)


def _regions(image: Mapping[str, Any], key: str) -> Sequence[Any]:
    regions = image.get("regions", [])
    # VIA 1 kept regions as an object keyed "0", "1", …; VIA 2 as a list.
    if isinstance(regions, dict):
        return list(regions.values())
    return listing(FORMAT, regions, f"{key!r}.regions")


def _attributes(region: Mapping[str, Any], key: str, index: int) -> Mapping[str, Any]:
    attributes = region.get("region_attributes") or {}
    return mapping(FORMAT, attributes, f"{key!r}.regions[{index}].region_attributes")


def _definitions(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The project's region attributes as defined (type, options), by name."""
    defined = document.get("_via_attributes")
    region = defined.get("region") if isinstance(defined, dict) else None
    return region if isinstance(region, dict) else {}


def _texts(attributes: Mapping[str, Any], definitions: Mapping[str, Any]) -> dict[str, str]:
    """A region's attributes as text. A dropdown or radio value is an option's id, and a
    checkbox value an object of ids set true: each id is replaced by its option's
    description when the project defines one."""
    texts: dict[str, str] = {}
    for key, value in attributes.items():
        definition = definitions.get(key)
        options = definition.get("options") if isinstance(definition, dict) else None
        described = options if isinstance(options, dict) else {}
        if isinstance(value, dict):
            chosen = [str(option) for option, on in value.items() if on is True]
        else:
            chosen = [label_text(value)] if label_text(value) else []
        texts[key] = ", ".join(label_text(described.get(option)) or option for option in chosen)
    return texts


def _project_name(document: Mapping[str, Any]) -> str | None:
    settings = document.get("_via_settings")
    project = settings.get("project") if isinstance(settings, dict) else None
    name = project.get("name") if isinstance(project, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None
