"""The rules every zone list obeys: names unique regardless of case, folders safe,
rectangles inside their page, within the configured limits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api import errors
from api.storage.names import InvalidName, normalize_folder
from api.tables import Zone


@dataclass(frozen=True)
class Limits:
    """The configurable bounds that model edits are checked against."""

    max_zones: int
    max_coordinate: int
    max_pixels: int
    max_pages: int
    # what a reference upload may decode or render over all its pages
    max_request_pixels: int


def name_key(name: str) -> str:
    """The case-insensitive identity of a model or zone name."""
    return name.strip().casefold()


@dataclass(frozen=True)
class ZoneSpec:
    """A zone as given: where it is in reference pixels, its name and folder, its page
    (None: page 1, or in a replacement the zone's page so far) and, to keep an existing
    zone in a replacement, its id."""

    name: str
    folder: str
    x: int
    y: int
    width: int
    height: int
    page: int | None = None
    id: uuid.UUID | None = None

    def fields(self) -> dict[str, Any]:
        """The zone's fields as a portable document holds them (no id)."""
        return {
            "name": self.name,
            "folder": self.folder,
            "page": self.page,
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
        }


def check_zones(
    zones: Sequence[ZoneSpec],
    *,
    sizes: Sequence[tuple[int, int]],
    limits: Limits,
    prefix: str = "zones",
) -> list[str]:
    """Validate a whole list of zones on the reference pages of ``sizes`` (width, height
    of page 1, 2, …); return their normalised folders or raise one 422."""
    problems: list[errors.FieldError] = []
    if len(zones) > limits.max_zones:
        problems.append(
            errors.FieldError(
                field=prefix,
                message=f"{len(zones)} zones is more than the limit of {limits.max_zones}",
            )
        )
    folders: list[str] = []
    seen: dict[str, int] = {}
    for index, zone in enumerate(zones):
        where = f"{prefix}[{index}]"
        key = name_key(zone.name)
        if not key:
            problems.append(errors.FieldError(field=f"{where}.name", message="must not be blank"))
        elif key in seen:
            problems.append(
                errors.FieldError(
                    field=f"{where}.name",
                    message=f"'{zone.name}' is already the name of zone {seen[key]} "
                    "(names are unique regardless of case)",
                )
            )
        else:
            seen[key] = index
        try:
            folders.append(normalize_folder(zone.folder))
        except InvalidName as exc:
            problems.append(errors.FieldError(field=f"{where}.folder", message=str(exc)))
            folders.append(zone.folder)
        page = zone.page or 1
        if page > len(sizes):
            pages = f"{len(sizes)} page" + ("s" if len(sizes) > 1 else "")
            problems.append(
                errors.FieldError(
                    field=f"{where}.page",
                    message=f"the reference has {pages}; there is no page {page}",
                )
            )
            continue
        width, height = sizes[page - 1]
        problems.extend(_check_geometry(zone, where, width=width, height=height, limits=limits))
    if problems:
        error = errors.validation_failed(problems)
        if all(p.message.startswith("zone reaches") for p in problems):
            raise errors.ZoneDoesNotFit(error.detail, errors=problems)
        raise error
    return folders


def _check_geometry(
    zone: ZoneSpec, where: str, *, width: int, height: int, limits: Limits
) -> list[errors.FieldError]:
    problems = [
        errors.FieldError(
            field=f"{where}.{field}", message=f"must be at most {limits.max_coordinate}"
        )
        for field in ("x", "y", "width", "height")
        if getattr(zone, field) > limits.max_coordinate
    ]
    if problems:
        return problems
    if zone.x + zone.width > width:
        problems.append(
            errors.FieldError(
                field=f"{where}.width",
                message=f"zone reaches x={zone.x + zone.width}, past the picture's width {width}"
                + _on_page(zone),
            )
        )
    if zone.y + zone.height > height:
        problems.append(
            errors.FieldError(
                field=f"{where}.height",
                message=f"zone reaches y={zone.y + zone.height}, "
                f"past the picture's height {height}" + _on_page(zone),
            )
        )
    return problems


def _on_page(zone: ZoneSpec) -> str:
    return f" of page {zone.page}" if zone.page and zone.page > 1 else ""


def new_zone(zone: ZoneSpec, folder: str, position: int, zone_id: uuid.UUID | None = None) -> Zone:
    return Zone(
        id=zone_id or uuid.uuid4(),
        position=position,
        name=zone.name.strip(),
        name_key=name_key(zone.name),
        folder=folder,
        page=zone.page or 1,
        x=zone.x,
        y=zone.y,
        width=zone.width,
        height=zone.height,
    )


def zone_spec(zone: Zone) -> ZoneSpec:
    """A stored zone in the shape of a new one, to check a whole list together."""
    return ZoneSpec(
        name=zone.name,
        folder=zone.folder,
        x=zone.x,
        y=zone.y,
        width=zone.width,
        height=zone.height,
        page=zone.page,
    )
