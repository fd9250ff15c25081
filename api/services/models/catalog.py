"""Models as a whole: found, listed, made, renamed, given a new reference, deleted;
their versions and concurrent edits (If-Match)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from api import errors
from api.db import on_commit, on_rollback
from api.imaging.decode import Picture
from api.services.models.references import (
    page_record,
    reference_pages,
    remove_reference,
    store_reference,
)
from api.services.models.rules import Limits, ZoneSpec, check_zones, name_key, new_zone, zone_spec
from api.services.uploads import (
    check_request_pixels,
    decode_upload,
    open_upload,
    picture_pixels,
)
from api.storage import Storage
from api.storage.names import InvalidName, validate_template
from api.tables import Model, Zone, utcnow


def load_model(
    session: Session, model_id: uuid.UUID, *, only: Collection[uuid.UUID] | None = None
) -> Model:
    """The model with its zones, or 404; a model outside ``only`` (a key's scope) is
    answered exactly as one that does not exist."""
    model = session.scalar(
        select(Model).where(Model.id == model_id).options(selectinload(Model.zones))
    )
    if model is None or (only is not None and model.id not in only):
        raise errors.NotFound(f"model {model_id} does not exist")
    return model


def find_model(
    session: Session, reference: str, *, only: Collection[uuid.UUID] | None = None
) -> Model:
    """The model named by id or (case-insensitive) name, or 404; a model outside ``only``
    (a key's scope) is answered exactly as one that does not exist."""
    query = select(Model).options(selectinload(Model.zones))
    try:
        model_id = uuid.UUID(reference)
    except ValueError:
        model = session.scalar(query.where(Model.name_key == name_key(reference)))
    else:
        model = session.scalar(query.where(Model.id == model_id))
    if model is None or (only is not None and model.id not in only):
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


def check_unique_name(session: Session, name: str, *, exclude: uuid.UUID | None = None) -> str:
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


def name_is_taken(session: Session, name: str) -> bool:
    """Whether a model of that name (regardless of case) exists."""
    return session.scalar(select(Model.id).where(Model.name_key == name_key(name))) is not None


def flush_unique(session: Session, name: str) -> None:
    """Flush, turning a lost race for a model name into the same 409 as a plain clash."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise errors.Conflict(f"a model named '{name.strip()}' already exists") from exc


def page_sizes(model: Model) -> list[tuple[int, int]]:
    """The size in pixels of every page of the model's reference, page 1 first."""
    return [(page.width, page.height) for page in reference_pages(model)]


# A reference page to keep: the uploaded file it was decoded from (None for a page of a
# document, kept as PNG) and the picture.
ReferenceUpload = tuple[bytes | None, Picture]


def reference_pictures(
    image: bytes, limits: Limits, more_pages: Sequence[bytes] = ()
) -> list[ReferenceUpload]:
    """The pages of an uploaded reference: a picture, or every page of a document (a PDF
    rendered at 200 dpi), then ``more_pages`` (pictures, as an import carries them).

    Every page is counted and measured first: past the pages or the pixels of a request
    it is 413 before any is decoded.
    """
    with open_upload(image, max_pixels=limits.max_pixels, max_pages=limits.max_pages) as upload:
        count = upload.page_count + len(more_pages)
        if count > limits.max_pages:
            raise errors.PayloadTooLarge(
                f"The reference has {count} pages, more than the limit of {limits.max_pages}."
            )
        pixels = upload.pixels() + sum(
            picture_pixels(data, max_pixels=limits.max_pixels, field=f"pages[{index}]")
            for index, data in enumerate(more_pages)
        )
        check_request_pixels(pixels, count, limits.max_request_pixels)
        if upload.page_count == 1 and upload.format != "pdf":
            pages: list[ReferenceUpload] = [(image, upload.page(1))]
        else:
            pages = [(None, picture) for picture in upload.pages([])]
    for index, data in enumerate(more_pages):
        field = f"pages[{index}]"
        pages.append((data, decode_upload(data, max_pixels=limits.max_pixels, field=field)))
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
    settings: Mapping[str, Any] | None = None,
    zones: Sequence[ZoneSpec] = (),
    more_pages: Sequence[bytes] = (),
) -> Model:
    """A new model from a reference picture or document (and, for imports, settings,
    zones and the pictures of further pages)."""
    return create_model_from_pages(
        session,
        references,
        name=name,
        description=description,
        pages=reference_pictures(image, limits, more_pages),
        limits=limits,
        settings=settings,
        zones=zones,
    )


def create_model_from_pages(
    session: Session,
    references: Storage,
    *,
    name: str,
    description: str,
    pages: Sequence[ReferenceUpload],
    limits: Limits,
    settings: Mapping[str, Any] | None = None,
    zones: Sequence[ZoneSpec] = (),
) -> Model:
    """A new model from reference pages already decoded by :func:`reference_pictures`
    (an import places its zones on them first)."""
    key = check_unique_name(session, name)
    return _new_model(
        session,
        references,
        key=key,
        name=name,
        description=description,
        pages=pages,
        limits=limits,
        settings=settings,
        zones=zones,
    )


def _new_model(
    session: Session,
    references: Storage,
    *,
    key: str,
    name: str,
    description: str,
    pages: Sequence[ReferenceUpload],
    limits: Limits,
    settings: Mapping[str, Any] | None,
    zones: Sequence[ZoneSpec],
) -> Model:
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
        apply_settings(model, settings)
    _store_pages(session, references, model, pages)
    model.zones = [
        new_zone(zone, folder, position)
        for position, (zone, folder) in enumerate(zip(zones, folders, strict=True))
    ]
    session.add(model)
    flush_unique(session, name)
    return model


def apply_settings(model: Model, changes: Mapping[str, Any]) -> None:
    """Set the settings among ``changes`` (every field but the name)."""
    values = {field: value for field, value in changes.items() if field != "name"}
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


def update_model(session: Session, model: Model, changes: Mapping[str, Any]) -> Model:
    """Rename a model or change its settings: ``changes`` holds only the fields given."""
    if "name" in changes:
        name = changes["name"]
        if name is None:
            raise errors.validation_failed(
                [errors.FieldError(field="name", message="must not be null")]
            )
        model.name_key = check_unique_name(session, name, exclude=model.id)
        model.name = name.strip()
    apply_settings(model, changes)
    bump_version(session, model)
    flush_unique(session, model.name)
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
        [zone_spec(zone) for zone in model.zones],
        sizes=[(picture.width, picture.height) for _, picture in pages],
        limits=replace(limits, max_zones=len(model.zones)),
    )
    bump_version(session, model)
    _store_pages(session, references, model, pages)
    session.flush()
    return model
