"""Samples kept with a model: added from an upload or from an extraction's kept picture,
listed, removed; at most :data:`MAX_SAMPLES` a model.

A sample is cut when it is added, with the extraction's own placing code: a picture that
does not match the model is refused (422) and nothing is kept. What each zone gave then
is recorded — the crop's size, the SHA-256 of its pixels, a small copy — with the model's
version, and where the reference lies in it (:mod:`.placements`).

Its files lie in the samples store under ``<model id>/<sample id>/``: the picture as it
was given, a small copy of its first page, a small copy of each crop, and its pages as
decoded, in tiles (:mod:`.placements`). They are
written before the row, removed again if the row is not committed, and removed once the
removal of the sample, or of its model, is committed.
"""

from __future__ import annotations

import hashlib
import posixpath
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import errors
from api.db import on_commit, session_scope
from api.imaging.difference import fingerprint, preview
from api.imaging.pixels import as_image
from api.services import audit
from api.services.extraction.pipeline import ModelSnapshot, ZoneSnapshot
from api.services.extraction.placing import PageLocation, locate_page, refusal_of_page, zone_placer
from api.services.extraction.records import load_extraction
from api.services.extraction.run import pixels_to_render
from api.services.models.catalog import load_model
from api.services.overlays import remove_files
from api.services.samples.parts import SampleParts
from api.services.samples.placements import (
    SamplePlacement,
    new_tile_set,
    placement_key,
    placement_record,
    tile_files,
    write_tiles,
)
from api.services.uploads import check_request_pixels, open_upload
from api.storage import FileNotFoundInStorage, Storage
from api.tables import Model, Sample, utcnow

MAX_SAMPLES = 20
THUMBNAIL_SIDE = 320  # pixels, the longest side of a sample's small copy
# the extension a sample's picture is kept under, by its format
EXTENSIONS = {
    "jpeg": "jpg",
    "png": "png",
    "webp": "webp",
    "tiff": "tif",
    "bmp": "bmp",
    "gif": "gif",
    "heif": "heic",
    "pdf": "pdf",
}


@dataclass(frozen=True)
class NewSample:
    """A picture to keep as a sample: what was uploaded, or an extraction's kept picture."""

    filename: str
    data: bytes
    extraction_id: uuid.UUID | None = None


def picture_of_extraction(parts: SampleParts, extraction_id: uuid.UUID) -> NewSample:
    """The picture an extraction kept, to add as a sample: 404 for an unknown extraction,
    410 once its picture is no longer kept."""
    with session_scope(parts.sessions) as session:
        record = load_extraction(session, extraction_id)
        path, filename, page = record.source_path, record.source_filename, record.source_page
    gone = errors.Gone(
        f"the picture of extraction {extraction_id} is no longer kept "
        "(pictures are kept for ZONECUT_KEEP_SOURCES_DAYS days)"
    )
    if path is None or parts.sources is None:
        raise gone
    try:
        data = parts.sources.read(path)
    except FileNotFoundInStorage as exc:
        raise gone from exc
    if page is not None:  # a page of a document cut alone is kept alone
        filename = f"{filename} (page {page})"
    return NewSample(filename, data, extraction_id)


def add_sample(parts: SampleParts, model_id: uuid.UUID, new: NewSample, *, actor: str) -> Sample:
    """Keep a picture or document as a sample of the model, cut with its zones now.

    409 past :data:`MAX_SAMPLES`; 413, 415 and 422 as an extraction answers the upload
    (another page count than the model's, a picture that does not match it). No
    transaction is held while the picture is cut.
    """
    with session_scope(parts.sessions) as session:
        model = ModelSnapshot.of(load_model(session, model_id))
        _check_room(session, model_id)
    sample_id = uuid.uuid4()
    folder = f"{model_id}/{sample_id}"
    written: list[str] = []

    def put(path: str, data: bytes) -> None:
        parts.store.put_exact(path, data)
        written.append(path)

    try:
        cut = _cut_sample(parts, model, new.data, folder, put)
        picture_path = f"{folder}/picture.{EXTENSIONS.get(cut.format, 'bin')}"
        put(picture_path, new.data)
        put(f"{folder}/thumbnail.jpg", cut.thumbnail)
        crops: list[dict[str, Any]] = []
        for index, (facts, small) in enumerate(cut.crops, start=1):
            path = f"{folder}/crop-{index}.jpg"
            put(path, small)
            crops.append({**facts, "path": path})
        with session_scope(parts.sessions) as session:
            # the model's row, locked: a concurrent add waits here and counts this one
            locked = select(Model.id).where(Model.id == model_id).with_for_update()
            if session.scalar(locked) is None:
                raise errors.NotFound(f"model {model_id} does not exist")
            _check_room(session, model_id)
            sample = Sample(
                id=sample_id,
                model_id=model_id,
                filename=new.filename[:300],
                format=cut.format,
                width=cut.size[0],
                height=cut.size[1],
                pages=cut.pages,
                bytes=len(new.data),
                sha256=hashlib.sha256(new.data).hexdigest(),
                path=picture_path,
                thumbnail_path=f"{folder}/thumbnail.jpg",
                model_version=model.version,
                crops=crops,
                extraction_id=new.extraction_id,
                created_by=actor,
                created_at=utcnow(),
                placement_key=cut.placement.key,
                placement=placement_record(cut.placement),
                tiles=cut.tiles,
            )
            session.add(sample)
            audit.record(
                session,
                actor,
                "sample.create",
                str(model_id),
                {"sample": str(sample_id), "filename": sample.filename},
            )
    except BaseException:
        remove_files(parts.store, written)
        raise
    return sample


def _check_room(session: Session, model_id: uuid.UUID) -> None:
    count = session.scalar(
        select(func.count()).select_from(Sample).where(Sample.model_id == model_id)
    )
    if (count or 0) >= MAX_SAMPLES:
        raise errors.Conflict(
            f"model {model_id} already keeps {MAX_SAMPLES} samples, the most a model keeps; "
            "remove one before adding another"
        )


@dataclass(frozen=True)
class _CutSample:
    format: str
    pages: int
    size: tuple[int, int]
    thumbnail: bytes
    # each zone's facts and the small copy of its crop, in the model's order
    crops: list[tuple[dict[str, Any], bytes]]
    placement: SamplePlacement
    tiles: dict[str, Any]


def _cut_sample(
    parts: SampleParts,
    model: ModelSnapshot,
    data: bytes,
    folder: str,
    put: Callable[[str, bytes], None],
) -> _CutSample:
    """Open, place and cut the picture with the model's zones, as an extraction does;
    keep its pages as tiles (with ``put``) on the way, one page in memory at a time."""
    with open_upload(data, max_pixels=parts.max_pixels, max_pages=parts.max_pages) as upload:
        pixels = pixels_to_render(upload, model)
        check_request_pixels(pixels, upload.page_count, parts.max_request_pixels)
        located: list[PageLocation] = []
        sizes: list[tuple[int, int]] = []
        tiles = new_tile_set()
        cut: dict[uuid.UUID, tuple[dict[str, Any], bytes]] = {}
        thumbnail = b""
        for number in range(1, upload.page_count + 1):
            page = model.page(number)
            picture = upload.page(number, model.page_sizes[number - 1])
            if number == 1:
                thumbnail = preview(picture.image, THUMBNAIL_SIDE)
            try:
                with refusal_of_page(model, number):
                    location = locate_page(parts.references, page, picture, model.alignment)
                    placer = zone_placer(page, picture, location)
                    for zone in page.zones:
                        image = as_image(placer.cut(zone.box))
                        cut[zone.id] = (_crop_facts(zone, image), preview(image))
            except errors.PictureDoesNotMatch as refusal:
                refusal.detail = f"the sample does not match the model: {refusal.detail}"
                refusal.args = (refusal.detail,)
                raise
            located.append(location)
            sizes.append((picture.width, picture.height))
            write_tiles(put, folder, tiles, picture)
        return _CutSample(
            format=upload.format,
            pages=upload.page_count,
            size=sizes[0],
            thumbnail=thumbnail,
            crops=[cut[zone.id] for zone in model.zones],
            placement=SamplePlacement(placement_key(model), tuple(located), tuple(sizes)),
            tiles=tiles,
        )


def _crop_facts(zone: ZoneSnapshot, image: Image.Image) -> dict[str, Any]:
    """What a zone gave a sample when it was added."""
    box = zone.box
    return {
        "zone_id": str(zone.id),
        "zone_name": zone.name,
        "page": zone.page,
        "x": box.x,
        "y": box.y,
        "width": box.width,
        "height": box.height,
        "crop_width": image.width,
        "crop_height": image.height,
        "sha256": fingerprint(image),
    }


def list_samples(session: Session, model_id: uuid.UUID) -> list[Sample]:
    """The samples of a model, oldest first."""
    return list(
        session.scalars(
            select(Sample).where(Sample.model_id == model_id).order_by(Sample.created_at, Sample.id)
        ).all()
    )


def find_sample(session: Session, model_id: uuid.UUID, sample_id: uuid.UUID) -> Sample:
    """One sample of the model, or 404."""
    sample = session.get(Sample, sample_id)
    if sample is None or sample.model_id != model_id:
        raise errors.NotFound(f"sample {sample_id} does not exist in model {model_id}")
    return sample


def delete_sample(session: Session, store: Storage, sample: Sample) -> None:
    """Remove a sample; its files go once that is committed."""
    session.delete(sample)
    session.flush()
    on_commit(session, _remover(store, sample_files(sample)))


def forget_model_samples(session: Session, store: Storage, model_id: uuid.UUID) -> None:
    """The files of every sample of a model, removed once the model's removal is committed
    (the rows go with the model)."""
    paths = [path for sample in list_samples(session, model_id) for path in sample_files(sample)]
    if paths:
        on_commit(session, _remover(store, paths))


def sample_files(sample: Sample) -> list[str]:
    """Every file a sample keeps in the samples store."""
    tiles = tile_files(posixpath.dirname(sample.path), sample.tiles)
    return [sample.path, sample.thumbnail_path, *(crop["path"] for crop in sample.crops), *tiles]


def _remover(store: Storage, paths: list[str]) -> Callable[[], None]:
    return lambda: remove_files(store, paths)


def read_thumbnail(store: Storage, sample: Sample, zone_id: uuid.UUID | None) -> bytes:
    """The small copy of the sample's first page, or of the crop ``zone_id`` gave when the
    sample was added (404 for a zone it was not cut with)."""
    path = sample.thumbnail_path
    if zone_id is not None:
        found = [crop["path"] for crop in sample.crops if crop["zone_id"] == str(zone_id)]
        if not found:
            raise errors.NotFound(
                f"sample {sample.id} was not cut with zone {zone_id} when it was added"
            )
        path = found[0]
    try:
        return store.read(path)
    except FileNotFoundInStorage as exc:
        raise errors.NotFound(f"the file of sample {sample.id} is missing") from exc
