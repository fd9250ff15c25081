"""The rules of models and their zones: names, fitting, versions and concurrent edits."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from api import errors
from api.db import on_commit, on_rollback
from api.imaging.decode import Picture
from api.schemas.models import ModelExport, ModelUpdate, ZoneCreate, ZoneReplace, ZoneUpdate
from api.services.models.references import (
    page_record,
    reference_pages,
    remove_reference,
    store_reference,
)
from api.services.uploads import decode_upload, open_upload
from api.storage import Storage
from api.storage.names import InvalidName, normalize_folder, validate_template
from api.tables import Model, Zone, utcnow


@dataclass(frozen=True)
class Limits:
    """The configurable bounds that model edits are checked against."""

    max_zones: int
    max_coordinate: int
    max_pixels: int
    max_pages: int = 50


def name_key(name: str) -> str:
    """The case-insensitive identity of a model or zone name."""
    return name.strip().casefold()


def load_model(session: Session, model_id: uuid.UUID) -> Model:
    """The model with its zones, or 404."""
    model = session.scalar(
        select(Model).where(Model.id == model_id).options(selectinload(Model.zones))
    )
    if model is None:
        raise errors.NotFound(f"model {model_id} does not exist")
    return model


def find_model(session: Session, reference: str) -> Model:
    """The model named by id or (case-insensitive) name, or 404."""
    query = select(Model).options(selectinload(Model.zones))
    try:
        model_id = uuid.UUID(reference)
    except ValueError:
        model = session.scalar(query.where(Model.name_key == name_key(reference)))
    else:
        model = session.scalar(query.where(Model.id == model_id))
    if model is None:
        raise errors.NotFound(f"model '{reference}' does not exist")
    return model


def list_models(
    session: Session,
    *,
    limit: int,
    offset: int,
    q: str | None,
    only: Collection[uuid.UUID] | None = None,
) -> tuple[Sequence[tuple[Model, int]], int]:
    """A page of models, newest change first, with their zone counts, and the total.

    ``only`` limits the list to those model ids (an API key's scope).
    """
    condition: ColumnElement[bool] = true()
    if only is not None:
        condition = Model.id.in_(list(only))
    if q:
        pattern = f"%{q.strip().casefold()}%"
        matches = or_(Model.name_key.like(pattern), func.lower(Model.description).like(pattern))
        condition = and_(condition, matches)  # a search stays inside the caller's scope
    total = session.scalar(select(func.count()).select_from(Model).where(condition)) or 0
    zone_count = select(func.count(Zone.id)).where(Zone.model_id == Model.id).scalar_subquery()
    rows = session.execute(
        select(Model, zone_count)
        .where(condition)
        .order_by(Model.updated_at.desc(), Model.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(model, count) for model, count in rows], total


def check_if_match(model: Model, if_match: str | None) -> None:
    """412 when the client's ``If-Match`` names a version other than the current one."""
    if if_match is None:
        return
    current = str(model.version)
    for tag in (part.strip() for part in if_match.split(",")):
        if tag == "*" or tag.removeprefix("W/").strip('"') == current:
            return
    raise errors.PreconditionFailed(
        f"model {model.id} is at version {current}, not {if_match}; reload it and retry",
        headers={"ETag": f'"{current}"'},
    )


def bump_version(session: Session, model: Model) -> None:
    """Count one change; 412 if another writer changed the model since it was loaded."""
    expected = model.version
    now = utcnow()
    result = session.execute(
        update(Model)
        .where(Model.id == model.id, Model.version == expected)
        .values(version=expected + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise errors.PreconditionFailed(
            f"model {model.id} was changed by someone else meanwhile; reload it and retry"
        )
    set_committed_value(model, "version", expected + 1)
    set_committed_value(model, "updated_at", now)


def _check_unique_name(session: Session, name: str, *, exclude: uuid.UUID | None = None) -> str:
    key = name_key(name)
    if not key:
        raise errors.validation_failed(
            [errors.FieldError(field="name", message="must not be blank")]
        )
    query = select(Model.id).where(Model.name_key == key)
    if exclude is not None:
        query = query.where(Model.id != exclude)
    if session.scalar(query) is not None:
        raise errors.Conflict(f"a model named '{name.strip()}' already exists")
    return key


def _flush_unique(session: Session, name: str) -> None:
    """Flush, turning a lost race for a model name into the same 409 as a plain clash."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise errors.Conflict(f"a model named '{name.strip()}' already exists") from exc


def page_sizes(model: Model) -> list[tuple[int, int]]:
    """The size in pixels of every page of the model's reference, page 1 first."""
    return [(page.width, page.height) for page in reference_pages(model)]


def check_zones(
    zones: Sequence[ZoneCreate],
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
    zone: ZoneCreate, where: str, *, width: int, height: int, limits: Limits
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


def _on_page(zone: ZoneCreate) -> str:
    return f" of page {zone.page}" if zone.page and zone.page > 1 else ""


# A reference page to keep: the uploaded file it was decoded from (None for a page of a
# document, kept as PNG) and the picture.
ReferenceUpload = tuple[bytes | None, Picture]


def reference_pictures(
    image: bytes, limits: Limits, more_pages: Sequence[bytes] = ()
) -> list[ReferenceUpload]:
    """The pages of an uploaded reference: a picture, or every page of a document (a PDF
    rendered at 200 dpi), then ``more_pages`` (pictures, as an import carries them)."""
    with open_upload(image, max_pixels=limits.max_pixels, max_pages=limits.max_pages) as upload:
        if upload.page_count == 1 and upload.format != "pdf":
            pages: list[ReferenceUpload] = [(image, upload.page(1))]
        else:
            pages = [(None, picture) for picture in upload.pages([])]
    for index, data in enumerate(more_pages):
        field = f"pages[{index}]"
        pages.append((data, decode_upload(data, max_pixels=limits.max_pixels, field=field)))
    if len(pages) > limits.max_pages:
        raise errors.PayloadTooLarge(
            f"The reference has {len(pages)} pages, more than the limit of {limits.max_pages}."
        )
    return pages


def _store_pages(
    session: Session, references: Storage, model: Model, pages: Sequence[ReferenceUpload]
) -> None:
    """Keep the reference's pages and record them; the old ones go once that is committed."""
    previous = {page.path for page in reference_pages(model)} if model.image_path else set()
    stored = [store_reference(references, model.id, data, picture) for data, picture in pages]
    first = stored[0]
    model.image_path = first.path
    model.image_format = first.format
    model.image_width = first.width
    model.image_height = first.height
    model.image_bytes = first.bytes
    model.image_sha256 = first.sha256
    model.extra_pages = [page_record(page) for page in stored[1:]] or None
    kept = {page.path for page in stored}
    for path in kept - previous:
        on_rollback(session, _remover(references, path))
    for path in previous - kept:
        on_commit(session, _remover(references, path))


def _remover(references: Storage, path: str) -> Callable[[], None]:
    return lambda: remove_reference(references, path)


def create_model(
    session: Session,
    references: Storage,
    *,
    name: str,
    description: str,
    image: bytes,
    limits: Limits,
    settings: ModelUpdate | None = None,
    zones: Sequence[ZoneCreate] = (),
    more_pages: Sequence[bytes] = (),
) -> Model:
    """A new model from a reference picture or document (and, for imports, settings,
    zones and the pictures of further pages)."""
    key = _check_unique_name(session, name)
    pages = reference_pictures(image, limits, more_pages)
    sizes = [(picture.width, picture.height) for _, picture in pages]
    folders = check_zones(zones, sizes=sizes, limits=limits)
    model = Model(
        id=uuid.uuid4(),
        name=name.strip(),
        name_key=key,
        description=description,
        version=1,
        on_refusal="review",
        image_path="",
    )
    if settings is not None:
        _apply_settings(model, settings)
    _store_pages(session, references, model, pages)
    model.zones = [
        _new_zone(zone, folder, position)
        for position, (zone, folder) in enumerate(zip(zones, folders, strict=True))
    ]
    session.add(model)
    _flush_unique(session, name)
    return model


def _new_zone(
    zone: ZoneCreate, folder: str, position: int, zone_id: uuid.UUID | None = None
) -> Zone:
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


def _apply_settings(model: Model, changes: ModelUpdate) -> None:
    values = changes.model_dump(exclude_unset=True, exclude={"name"})
    if values.get("filename_template") is not None:
        try:
            values["filename_template"] = validate_template(values["filename_template"])
        except InvalidName as exc:
            raise errors.validation_failed(
                [errors.FieldError(field="filename_template", message=str(exc))]
            ) from exc
    for field, value in values.items():
        if value is None:
            raise errors.validation_failed(
                [errors.FieldError(field=field, message="must not be null")]
            )
        setattr(model, field, value)


def update_model(session: Session, model: Model, changes: ModelUpdate) -> Model:
    """Rename a model or change its settings."""
    if "name" in changes.model_fields_set:
        if changes.name is None:
            raise errors.validation_failed(
                [errors.FieldError(field="name", message="must not be null")]
            )
        model.name_key = _check_unique_name(session, changes.name, exclude=model.id)
        model.name = changes.name.strip()
    _apply_settings(model, changes)
    bump_version(session, model)
    _flush_unique(session, model.name)
    return model


def delete_model(session: Session, references: Storage, model: Model) -> None:
    """Remove a model and its zones; its extractions stay on record, its picture goes."""
    bump_version(session, model)
    session.delete(model)
    paths = [page.path for page in reference_pages(model)]

    def remove() -> None:
        for path in paths:
            remove_reference(references, path)

    on_commit(session, remove)


def replace_image(
    session: Session, references: Storage, model: Model, image: bytes, limits: Limits
) -> Model:
    """Swap the reference picture or document; every zone must still fit its page."""
    pages = reference_pictures(image, limits)
    check_zones(
        [_as_input(zone) for zone in model.zones],
        sizes=[(picture.width, picture.height) for _, picture in pages],
        limits=Limits(
            max_zones=len(model.zones),
            max_coordinate=limits.max_coordinate,
            max_pixels=limits.max_pixels,
            max_pages=limits.max_pages,
        ),
    )
    bump_version(session, model)
    _store_pages(session, references, model, pages)
    session.flush()
    return model


def replace_zones(
    session: Session, model: Model, zones: Sequence[ZoneReplace], limits: Limits
) -> Model:
    """Replace all zones at once; zones given with an existing ``id`` keep it (and their
    page, unless one is given)."""
    pages: dict[uuid.UUID | None, int] = {zone.id: zone.page for zone in model.zones}
    zones = [
        zone.model_copy(update={"page": pages.get(zone.id, 1)}) if zone.page is None else zone
        for zone in zones
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
    bump_version(session, model)
    model.zones.clear()
    session.flush()  # old rows go first: names and ids may be reused by the new list
    model.zones = [
        _new_zone(zone, folder, position, zone.id)
        for position, (zone, folder) in enumerate(zip(zones, folders, strict=True))
    ]
    session.flush()
    return model


def _as_input(zone: Zone) -> ZoneCreate:
    """A stored zone in the shape of a new one, to check a whole list together."""
    return ZoneCreate.model_validate(zone, from_attributes=True)


def find_zone(model: Model, zone_id: uuid.UUID) -> Zone:
    """One zone of the model, or 404."""
    for zone in model.zones:
        if zone.id == zone_id:
            return zone
    raise errors.NotFound(f"zone {zone_id} does not exist in model {model.id}")


def add_zone(session: Session, model: Model, zone: ZoneCreate, limits: Limits) -> Zone:
    """Append one zone."""
    current = [_as_input(z) for z in model.zones]
    folders = check_zones([*current, zone], sizes=page_sizes(model), limits=limits)
    bump_version(session, model)
    created = _new_zone(zone, folders[-1], len(current))
    model.zones.append(created)
    session.flush()
    return created


def update_zone(
    session: Session, model: Model, zone_id: uuid.UUID, changes: ZoneUpdate, limits: Limits
) -> Zone:
    """Change some fields of one zone; the result must still be a valid zone list."""
    target = find_zone(model, zone_id)
    values = changes.model_dump(exclude_unset=True)
    nulls = [field for field, value in values.items() if value is None]
    if nulls:
        raise errors.validation_failed(
            [errors.FieldError(field=field, message="must not be null") for field in nulls]
        )
    merged = [
        ZoneCreate.model_validate(
            {**_as_input(z).model_dump(), **(values if z.id == zone_id else {})}
        )
        for z in model.zones
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


def export_model(model: Model, images: Sequence[bytes]) -> ModelExport:
    """The portable document of a model; ``images`` holds its reference pages' bytes."""
    pages = reference_pages(model)
    return ModelExport.model_validate(
        {
            "name": model.name,
            "description": model.description,
            "alignment": model.alignment,
            "on_refusal": model.on_refusal,
            "output_format": model.output_format,
            "output_quality": model.output_quality,
            "filename_template": model.filename_template,
            "zones": [_as_input(z) for z in model.zones],
            "image": _exported(pages[0].format, images[0]),
            "pages": [
                _exported(page.format, data)
                for page, data in zip(pages[1:], images[1:], strict=True)
            ],
        }
    )


def _exported(fmt: str, data: bytes) -> dict[str, str]:
    return {"format": fmt, "data_base64": base64.b64encode(data).decode()}


def import_model(
    session: Session, references: Storage, document: ModelExport, limits: Limits
) -> Model:
    """A new model from an exported document."""
    image = _from_base64(document.image.data_base64, "image.data_base64")
    more_pages = [
        _from_base64(page.data_base64, f"pages[{index}].data_base64")
        for index, page in enumerate(document.pages)
    ]
    settings = ModelUpdate.model_validate(
        document.model_dump(
            include={
                "alignment",
                "on_refusal",
                "output_format",
                "output_quality",
                "filename_template",
            }
        )
    )
    return create_model(
        session,
        references,
        name=document.name,
        description=document.description,
        image=image,
        limits=limits,
        settings=settings,
        zones=document.zones,
        more_pages=more_pages,
    )


def _from_base64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.validation_failed(
            [errors.FieldError(field=field, message="is not valid base64")]
        ) from exc
