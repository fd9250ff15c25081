"""Editing the zones of a model: add, change, remove one, or replace them all at once."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from api import errors
from api.services.models.catalog import bump_version, page_sizes
from api.services.models.rules import Limits, ZoneSpec, check_zones, name_key, new_zone, zone_spec
from api.tables import Model, Zone


def find_zone(model: Model, zone_id: uuid.UUID) -> Zone:
    """One zone of the model, or 404."""
    for zone in model.zones:
        if zone.id == zone_id:
            return zone
    raise errors.NotFound(f"zone {zone_id} does not exist in model {model.id}")


def add_zone(session: Session, model: Model, zone: ZoneSpec, limits: Limits) -> Zone:
    """Append one zone."""
    current = [zone_spec(z) for z in model.zones]
    folders = check_zones([*current, zone], sizes=page_sizes(model), limits=limits)
    bump_version(session, model)
    created = new_zone(zone, folders[-1], len(current))
    model.zones.append(created)
    session.flush()
    return created


def update_zone(
    session: Session,
    model: Model,
    zone_id: uuid.UUID,
    changes: Mapping[str, Any],
    limits: Limits,
) -> Zone:
    """Change the fields of one zone given in ``changes``; the result must still be a
    valid zone list."""
    target = find_zone(model, zone_id)
    values = dict(changes)
    nulls = [field for field, value in values.items() if value is None]
    if nulls:
        raise errors.validation_failed(
            [errors.FieldError(field=field, message="must not be null") for field in nulls]
        )
    merged = [
        replace(zone_spec(z), **values) if z.id == zone_id else zone_spec(z) for z in model.zones
    ]
    index = model.zones.index(target)
    folders = check_zones(merged, sizes=page_sizes(model), limits=limits)
    bump_version(session, model)
    updated = merged[index]
    target.name = updated.name.strip()
    target.name_key = name_key(updated.name)
    target.folder = folders[index]
    target.page = updated.page or 1
    target.x, target.y, target.width, target.height = (
        updated.x,
        updated.y,
        updated.width,
        updated.height,
    )
    session.flush()
    return target


def delete_zone(session: Session, model: Model, zone_id: uuid.UUID) -> None:
    """Remove one zone; the others keep their order."""
    target = find_zone(model, zone_id)
    bump_version(session, model)
    model.zones.remove(target)
    for position, zone in enumerate(model.zones):
        zone.position = position
    session.flush()


def checked_replacement(
    model: Model, zones: Sequence[ZoneSpec], limits: Limits
) -> tuple[list[ZoneSpec], list[str]]:
    """The zones of a full replacement as they would be saved, and their folders: a zone
    given with an existing ``id`` keeps its page unless one is given (others go on page
    1); 422 for a list that breaks a rule, or for an ``id`` not of this model or given
    twice."""
    pages: dict[uuid.UUID | None, int] = {zone.id: zone.page for zone in model.zones}
    zones = [
        replace(zone, page=pages.get(zone.id, 1)) if zone.page is None else zone for zone in zones
    ]
    folders = check_zones(zones, sizes=page_sizes(model), limits=limits)
    known = {zone.id for zone in model.zones}
    given = Counter(zone.id for zone in zones if zone.id is not None)
    problems: list[errors.FieldError] = []
    for index, zone in enumerate(zones):
        if zone.id is None:
            continue
        if zone.id not in known:
            problems.append(
                errors.FieldError(field=f"zones[{index}].id", message="is not a zone of this model")
            )
        if given[zone.id] > 1:
            problems.append(errors.FieldError(field=f"zones[{index}].id", message="is given twice"))
    if problems:
        raise errors.validation_failed(problems)
    return zones, folders


def replace_zones(
    session: Session, model: Model, zones: Sequence[ZoneSpec], limits: Limits
) -> Model:
    """Replace all zones at once; zones given with an existing ``id`` keep it (and their
    page, unless one is given)."""
    zones, folders = checked_replacement(model, zones, limits)
    bump_version(session, model)
    model.zones.clear()
    session.flush()  # old rows go first: names and ids may be reused by the new list
    model.zones = [
        new_zone(zone, folder, position, zone.id)
        for position, (zone, folder) in enumerate(zip(zones, folders, strict=True))
    ]
    session.flush()
    return model
