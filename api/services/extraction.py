"""The extraction pipeline: decode, place the zones, cut, encode, file, record.

No database transaction is held while pictures are cut: the model is read in one short
transaction, the pixels are worked on with none open, and the record is written in a
second one. Files are written before the record and removed again if it cannot be saved,
so an extraction either files every crop and is recorded, or leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from api import errors, metrics
from api.db import session_scope
from api.imaging import errors as imaging_errors
from api.imaging.crop import crop
from api.imaging.decode import Picture
from api.imaging.encode import EXTENSIONS, encode_image
from api.imaging.geometry import Box, Matrix, map_box_by_scale, scale_matrix
from api.models import Crop, Extraction, Model, OutputFile, utcnow
from api.services import alignment, intents, review_items
from api.services.models import find_model
from api.services.pictures import decode_upload
from api.storage import Storage, StoredFile
from api.storage.names import render_filename, safe_component, source_stem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractRequest:
    """What a client asked for: which model, which picture, and how."""

    model: str
    filename: str
    data: bytes
    output_format: str | None = None
    alignment: str | None = None
    store: bool = True
    idempotency_key: str | None = None
    created_by: str | None = None

    def fingerprint(self, source_sha256: str, model_id: uuid.UUID) -> str:
        """Identity of the request, to tell a retry from a different request: the model,
        the picture's content and the options, not the file name (the same scan under two
        names is one request)."""
        parts = [
            str(model_id),
            source_sha256,
            self.output_format or "",
            self.alignment or "",
            str(self.store),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class ZoneSnapshot:
    id: uuid.UUID
    name: str
    folder: str
    box: Box


@dataclass(frozen=True)
class ModelSnapshot:
    """The model as it was when the extraction started, free of any session."""

    id: uuid.UUID
    name: str
    version: int
    alignment: str
    on_refusal: str
    output_format: str
    output_quality: int
    filename_template: str
    reference_size: tuple[int, int]
    reference_path: str
    zones: tuple[ZoneSnapshot, ...]

    @classmethod
    def of(cls, model: Model) -> ModelSnapshot:
        return cls(
            id=model.id,
            name=model.name,
            version=model.version,
            alignment=model.alignment,
            on_refusal=model.on_refusal,
            output_format=model.output_format,
            output_quality=model.output_quality,
            filename_template=model.filename_template,
            reference_size=(model.image_width, model.image_height),
            reference_path=model.image_path,
            zones=tuple(
                ZoneSnapshot(z.id, z.name, z.folder, Box(z.x, z.y, z.width, z.height))
                for z in model.zones
            ),
        )


Quad = list[list[float]]


@dataclass(frozen=True)
class Placement:
    """Where a zone was cut: its four corners in picture pixels, clockwise from the
    zone's top-left, and how sure the placement is (0-1)."""

    quad: Quad
    confidence: float


@dataclass(frozen=True)
class ZonePlacer:
    """How the zones of one picture are placed: the transform record, and for one zone
    its placement and its crop."""

    transform: dict[str, Any]
    place: Callable[[Box], Placement]
    cut: Callable[[Box], Image.Image]


@dataclass
class CutCrop:
    """One encoded crop, before and after it is filed."""

    zone: ZoneSnapshot
    width: int
    height: int
    data: bytes
    extension: str
    placement: Placement
    stored: StoredFile | None = None

    @property
    def archive_name(self) -> str:
        """Where the crop goes in a ZIP answer: its filed path, or where it would be filed."""
        if self.stored is not None:
            return self.stored.path
        return f"{self.zone.folder}/{safe_component(self.zone.name)}.{self.extension}"


@dataclass
class ExtractionOutcome:
    """The recorded extraction, the crops' bytes (for a ZIP answer) and whether it is a replay."""

    record: Extraction
    crops: list[CutCrop] = field(default_factory=list)
    replayed: bool = False


@dataclass(frozen=True)
class Pipeline:
    """What the pipeline needs from the application."""

    sessions: sessionmaker[Session]
    storage: Storage
    references: alignment.ReferenceCache
    max_pixels: int
    # where refused pictures are kept for review; None keeps none
    reviews: Storage | None = None
    # where the pictures cut are kept for overlays, and for how long (0: not kept)
    sources: Storage | None = None
    keep_sources: timedelta = timedelta(0)


def run_extraction(pipeline: Pipeline, request: ExtractRequest) -> ExtractionOutcome:
    """Cut the picture with the model and file every crop, or raise and leave nothing.

    A picture refused as not matching is kept as a review item when the model says so
    (and the run files at all): the 422 then names the item.
    """
    started = time.perf_counter()
    source_sha256 = hashlib.sha256(request.data).hexdigest()

    with session_scope(pipeline.sessions) as session:
        model = ModelSnapshot.of(find_model(session, request.model))
        fingerprint = request.fingerprint(source_sha256, model.id)
        if request.idempotency_key is not None:
            replay = _replay(session, request.idempotency_key, fingerprint)
            if replay is not None:
                return replay
    if not model.zones:
        raise errors.validation_failed(
            [errors.FieldError(field="model", message=f"model '{model.name}' has no zones yet")]
        )

    with metrics.stage("decode"):
        picture = decode_upload(request.data, max_pixels=pipeline.max_pixels)
    method = request.alignment or model.alignment
    try:
        with metrics.stage("align"):
            placer = _place_zones(pipeline, model, picture, method)
        return cut_and_file(
            pipeline, request, model, picture, placer, started, fingerprint, source_sha256
        )
    except errors.PictureDoesNotMatch as refusal:
        if request.store and model.on_refusal == "review" and pipeline.reviews is not None:
            review_id = review_items.keep(
                pipeline.sessions, pipeline.reviews, request, model, picture, refusal
            )
            refusal.review_id = str(review_id)
            refusal.review_url = f"/api/v1/reviews/{review_id}"
        raise


def cut_and_file(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    picture: Picture,
    placer: ZonePlacer,
    started: float,
    fingerprint: str,
    source_sha256: str,
) -> ExtractionOutcome:
    """Cut every zone where ``placer`` puts it, encode, and file and record the crops."""
    output_format = request.output_format or model.output_format
    extension = EXTENSIONS[output_format]  # type: ignore[index]

    def cut_and_encode(zone: ZoneSnapshot) -> CutCrop:
        image = placer.cut(zone.box)
        data = encode_image(image, output_format, model.output_quality)  # type: ignore[arg-type]
        placement = placer.place(zone.box)
        return CutCrop(zone, image.width, image.height, data, extension, placement)

    with metrics.stage("encode"):
        crops = [cut_and_encode(zone) for zone in model.zones]

    record = Extraction(
        id=uuid.uuid4(),
        model_id=model.id,
        model_name=model.name,
        model_version=model.version,
        created_at=utcnow(),
        source_filename=request.filename,
        source_format=picture.format,
        source_width=picture.width,
        source_height=picture.height,
        source_bytes=len(request.data),
        source_sha256=source_sha256,
        transform=placer.transform,
        idempotency_key=request.idempotency_key,
        request_fingerprint=fingerprint,
        created_by=request.created_by,
    )
    if not request.store:
        record.duration_ms = _elapsed_ms(started)
        record.crops = [_crop_record(position, crop_) for position, crop_ in enumerate(crops)]
        return ExtractionOutcome(record, crops)
    with metrics.stage("store"):
        return _file_and_record(pipeline, request, model, record, crops, started, fingerprint)


@cache
def _filing_threads() -> ThreadPoolExecutor:
    """The threads of this process that write crops (one per core)."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="filing")


def _place_zones(
    pipeline: Pipeline, model: ModelSnapshot, picture: Picture, method: str
) -> ZonePlacer:
    """How the model's zones land on the picture, by ``method``.

    By features, each zone is placed through the page's homography refined locally where
    the page is not flat, and judged on its own: a crop's confidence is the lesser of the
    page's and its zone's (see api/imaging/align_zones.py).
    """
    if method == "features":
        return _place_by_features(
            pipeline, model.reference_path, picture, [(z.name, z.box) for z in model.zones]
        )
    try:
        matrix = scale_matrix(model.reference_size, (picture.width, picture.height))
    except imaging_errors.AspectMismatch as exc:
        raise errors.PictureDoesNotMatch(str(exc)) from exc
    size = (picture.width, picture.height)

    def mapped(box: Box) -> Placement:
        cut = map_box_by_scale(box, matrix, size)
        corners = [(cut.x, cut.y), (cut.right, cut.y), (cut.right, cut.bottom), (cut.x, cut.bottom)]
        return Placement([[float(x), float(y)] for x, y in corners], 1.0)

    return ZonePlacer(
        {"method": "scale", "matrix": _rows(matrix), "local": None},
        mapped,
        lambda box: crop(picture.image, map_box_by_scale(box, matrix, size)),
    )


def _place_by_features(
    pipeline: Pipeline, reference_path: str, picture: Picture, zones: Sequence[tuple[str, Box]]
) -> ZonePlacer:
    """Feature alignment of ``picture`` to the reference at ``reference_path``, verified
    zone by zone for the named ``zones`` (reference pixels)."""
    reference = pipeline.references.features(reference_path)
    aligned = alignment.align(reference, picture.image, zones)
    page = _page_confidence(aligned.figures)
    scores = {box: score for (_, box), score in zip(zones, aligned.zone_scores, strict=False)}

    def place(box: Box) -> Placement:
        score = scores.get(box)
        confidence = page if score is None else min(page, round(score, 4))
        return Placement(aligned.zone_quad(box), confidence)

    local = aligned.local_summary([box for _, box in zones])
    if local is not None:
        local["zones_refined"] = int(local["zones_refined"])
    figures = {k: v for k, v in aligned.figures.items() if k != "local_shift_px"}
    return ZonePlacer(
        {"method": "features", "matrix": _rows(aligned.matrix), **figures, "local": local},
        place,
        lambda box: alignment.cut(picture.image, aligned, box),
    )


def _page_confidence(figures: dict[str, float]) -> float:
    """How sure a feature alignment is: the share of the model's landmarks found in place."""
    value = figures.get("found_ratio", figures.get("inlier_ratio", 0.0))
    return round(min(1.0, max(0.0, float(value))), 4)


def _rows(matrix: Matrix) -> list[list[float]]:
    return [[float(value) for value in row] for row in matrix]


def _file_and_record(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    record: Extraction,
    crops: Sequence[CutCrop],
    started: float,
    fingerprint: str,
) -> ExtractionOutcome:
    """Record the intent with its names reserved, write the files, then mark it done."""
    source = source_stem(request.filename)
    record.status = "pending"
    record.duration_ms = 0  # known once it is done
    record.crops = []  # the crops are recorded when the files are filed
    planned: list[str] = []
    try:
        with session_scope(pipeline.sessions) as session:
            session.add(record)
            session.flush()  # a second request with this Idempotency-Key fails here
            for cut in crops:
                stem = render_filename(
                    model.filename_template,
                    source=source,
                    zone=cut.zone.name,
                    model=model.name,
                    extraction=str(record.id)[:8],
                    moment=record.created_at,
                )
                planned.append(
                    intents.reserve_path(
                        session,
                        folder=cut.zone.folder,
                        stem=stem,
                        extension=cut.extension,
                        extraction_id=record.id,
                        taken=planned,
                    )
                )
    except IntegrityError:
        with session_scope(pipeline.sessions) as session:
            replay = _replay(session, request.idempotency_key or "", fingerprint)
        if replay is None:
            raise
        return replay
    try:
        # Writing releases the GIL too: the files are written side by side. Every write
        # has ended before anything is undone, so no file lands after the clean-up.
        writes = [
            _filing_threads().submit(_write_reserved, pipeline, record.id, path, cut)
            for path, cut in zip(planned, crops, strict=True)
        ]
        wait(writes)
        for cut, write in zip(crops, writes, strict=True):
            if write.exception() is None:
                cut.stored = write.result()
        for write in writes:
            write.result()  # the first failure, if any
        duration_ms = _elapsed_ms(started)
        with session_scope(pipeline.sessions) as session:
            claimed = session.execute(
                update(Extraction)
                .where(Extraction.id == record.id, Extraction.status == "pending")
                .values(status="done", duration_ms=duration_ms)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise errors.ServiceUnavailable(
                    "the extraction took too long and was swept; nothing was filed, try again",
                    headers={"Retry-After": "1"},
                )
            session.add_all(
                [_crop_record(position, cut, record.id) for position, cut in enumerate(crops)]
            )
            session.add_all(_output_file(cut, record) for cut in crops)
            intents.release(session, record.id)
    except BaseException:
        _undo(pipeline, record.id, crops)
        raise
    record.status = "done"
    record.duration_ms = duration_ms
    _keep_source(pipeline, record, request.data)
    filed = [_crop_record(position, cut, record.id) for position, cut in enumerate(crops)]
    set_committed_value(record, "crops", filed)  # as stored: the record is detached now
    return ExtractionOutcome(record, list(crops))


def _keep_source(pipeline: Pipeline, record: Extraction, data: bytes) -> None:
    """Keep the picture for the extraction's overlay (best effort: the crops are filed)."""
    if pipeline.sources is None or pipeline.keep_sources <= timedelta(0):
        return
    path = f"{record.id}/source.{review_items.EXTENSIONS.get(record.source_format, 'bin')}"
    until = record.created_at + pipeline.keep_sources
    try:
        pipeline.sources.put_exact(path, data)
        with session_scope(pipeline.sessions) as session:
            session.execute(
                update(Extraction)
                .where(Extraction.id == record.id)
                .values(source_path=path, source_kept_until=until)
            )
    except Exception:
        log.warning("could not keep the picture of extraction %s", record.id, exc_info=True)
        return
    record.source_path, record.source_kept_until = path, until


def _output_file(cut: CutCrop, record: Extraction) -> OutputFile:
    assert cut.stored is not None
    return OutputFile(
        path=cut.stored.path,
        folder=cut.stored.folder,
        name=cut.stored.name,
        bytes=cut.stored.bytes,
        created_at=record.created_at,
        extraction_id=record.id,
    )


def _write_reserved(
    pipeline: Pipeline, extraction_id: uuid.UUID, path: str, cut: CutCrop
) -> StoredFile:
    """Write a crop at its reserved path; when something else put a file there, reserve
    the next free name and write there instead (nothing is ever overwritten)."""
    while True:
        stored = pipeline.storage.put_exact(path, cut.data)
        if stored is not None:
            return stored
        folder, name = path.rsplit("/", 1)
        with session_scope(pipeline.sessions) as session:
            path = intents.reserve_path(
                session,
                folder=folder,
                stem=name.rsplit(".", 1)[0],
                extension=cut.extension,
                extraction_id=extraction_id,
            )


def _undo(pipeline: Pipeline, extraction_id: uuid.UUID, crops: Sequence[CutCrop]) -> None:
    """Remove what a failed extraction wrote and its intent; a sweep finishes the rest."""
    for cut in crops:
        if cut.stored is not None:
            try:
                pipeline.storage.delete(cut.stored.path)
            except Exception:
                log.exception("could not remove %s of a failed extraction", cut.stored.path)
            cut.stored = None
    try:
        intents.abandon(pipeline.sessions, pipeline.storage, extraction_id)
    except Exception:
        log.exception("extraction %s is left pending for the sweep", extraction_id)


def _crop_record(position: int, cut: CutCrop, extraction_id: uuid.UUID | None = None) -> Crop:
    return Crop(
        id=uuid.uuid4(),
        extraction_id=extraction_id,
        position=position,
        zone_id=cut.zone.id,
        zone_name=cut.zone.name,
        folder=cut.zone.folder,
        path=cut.stored.path if cut.stored else "",
        width=cut.width,
        height=cut.height,
        bytes=len(cut.data),
        quad=cut.placement.quad,
        confidence=cut.placement.confidence,
    )


def _replay(session: Session, key: str, fingerprint: str) -> ExtractionOutcome | None:
    record = session.scalar(
        select(Extraction)
        .where(Extraction.idempotency_key == key)
        .options(selectinload(Extraction.crops))
    )
    if record is None:
        return None
    if record.status == "pending":
        raise errors.StillRunning(
            f"a request with Idempotency-Key '{key}' is still being cut; ask again shortly",
            headers={"Retry-After": "2"},
        )
    if record.request_fingerprint != fingerprint:
        raise errors.IdempotencyKeyReused(
            f"Idempotency-Key '{key}' was already used for a different request; "
            "use a new key for a new request"
        )
    return ExtractionOutcome(record, replayed=True)


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def load_extraction(session: Session, extraction_id: uuid.UUID) -> Extraction:
    """One recorded extraction with its crops, or 404."""
    record = session.scalar(
        select(Extraction)
        .where(Extraction.id == extraction_id, Extraction.status == "done")
        .options(selectinload(Extraction.crops))
    )
    if record is None:
        raise errors.NotFound(f"extraction {extraction_id} does not exist")
    return record


def list_extractions(
    session: Session,
    *,
    limit: int,
    offset: int,
    model_id: uuid.UUID | None,
    only: Collection[uuid.UUID] | None = None,
) -> tuple[Sequence[Extraction], int]:
    """A page of extractions, newest first, and the total; ``only`` limits the models."""
    query = select(Extraction).where(Extraction.status == "done")
    count = select(func.count()).select_from(Extraction).where(Extraction.status == "done")
    if only is not None:
        query = query.where(Extraction.model_id.in_(list(only)))
        count = count.where(Extraction.model_id.in_(list(only)))
    if model_id is not None:
        query = query.where(Extraction.model_id == model_id)
        count = count.where(Extraction.model_id == model_id)
    total = session.scalar(count) or 0
    records = session.scalars(
        query.options(selectinload(Extraction.crops))
        .order_by(Extraction.created_at.desc(), Extraction.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return records, total
