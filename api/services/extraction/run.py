"""The extraction pipeline: decode, place the zones, cut, encode, file, record.

A document (PDF, multi-page TIFF) is cut with a model of as many pages: each page is
rendered at the width of its reference page, placed on its own, and every zone is cut
from its page; one record holds the crops of all pages.

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
from dataclasses import dataclass, field, replace
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
from api.services.extraction import alignment, intents
from api.services.extraction import refusals as review_items
from api.services.extraction import replay as idempotency
from api.services.models.catalog import find_model
from api.services.models.references import reference_pages
from api.services.uploads import Upload, open_upload
from api.storage import Storage, StoredFile
from api.storage.names import render_filename, safe_component, source_stem
from api.tables import Crop, Extraction, Model, OutputFile, utcnow

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
    page: int = 1


@dataclass(frozen=True)
class PageSnapshot:
    """One page of a model's reference: where its picture is kept and its size."""

    number: int
    path: str
    size: tuple[int, int]


@dataclass(frozen=True)
class ModelSnapshot:
    """The model as it was when the extraction started, free of any session.

    ``reference_size`` and ``reference_path`` are page 1's; ``pages`` lists every page.
    """

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
    pages: tuple[PageSnapshot, ...] = ()

    @property
    def page_count(self) -> int:
        """How many pages the reference has."""
        return max(1, len(self.pages))

    def page(self, number: int) -> ModelSnapshot:
        """The model as seen from one page of its reference: that page as the reference,
        and only the zones drawn on it."""
        if not self.pages:
            return self
        page = self.pages[number - 1]
        return replace(
            self,
            reference_size=page.size,
            reference_path=page.path,
            zones=tuple(zone for zone in self.zones if zone.page == number),
            pages=(replace(page, number=1),),
        )

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
                ZoneSnapshot(z.id, z.name, z.folder, Box(z.x, z.y, z.width, z.height), z.page)
                for z in model.zones
            ),
            pages=tuple(
                PageSnapshot(page.number, page.path, (page.width, page.height))
                for page in reference_pages(model)
            ),
        )

    @property
    def page_widths(self) -> list[int | None]:
        """The width in pixels each page of a document is rendered at: its reference's."""
        return [page.size[0] for page in self.pages] or [self.reference_size[0]]


@dataclass(frozen=True)
class SourceFacts:
    """What an extraction records of the file it cut."""

    filename: str
    format: str
    width: int
    height: int
    bytes: int
    sha256: str
    pages: int = 1
    # the page cut, when each page of a document is cut as its own picture
    page: int | None = None


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
class PlacedPage:
    """One page of the upload, the picture it was cut from and how its zones land."""

    number: int
    picture: Picture
    placer: ZonePlacer


@dataclass(frozen=True)
class Pipeline:
    """What the pipeline needs from the application."""

    sessions: sessionmaker[Session]
    storage: Storage
    references: alignment.ReferenceCache
    max_pixels: int
    max_pages: int = 50
    # where refused pictures are kept for review; None keeps none
    reviews: Storage | None = None
    # where the pictures cut are kept for overlays, and for how long (0: not kept)
    sources: Storage | None = None
    keep_sources: timedelta = timedelta(0)
    # a request of several pictures still pending this long was abandoned
    pending_timeout: timedelta = timedelta(minutes=5)


def run_extraction(pipeline: Pipeline, request: ExtractRequest) -> ExtractionOutcome:
    """Cut the picture or document with the model and file every crop, or raise and
    leave nothing.

    A picture refused as not matching is kept as a review item when the model says so
    (and the run files at all): the 422 then names the item.
    """
    started = time.perf_counter()
    source_sha256 = hashlib.sha256(request.data).hexdigest()

    with session_scope(pipeline.sessions) as session:
        model = ModelSnapshot.of(find_model(session, request.model))
        fingerprint = request.fingerprint(source_sha256, model.id)
        if request.idempotency_key is not None:
            idempotency.check_not_batch(session, request.created_by, request.idempotency_key)
            replay = _replay(session, request.idempotency_key, fingerprint)
            if replay is not None:
                return replay
    check_has_zones(model)
    with metrics.stage("decode"):
        upload = open_upload(
            request.data, max_pixels=pipeline.max_pixels, max_pages=pipeline.max_pages
        )
    with upload:
        return extract_upload(pipeline, request, model, upload, started, fingerprint, source_sha256)


def check_has_zones(model: ModelSnapshot) -> None:
    """422 for a model with nothing to cut."""
    if not model.zones:
        raise errors.validation_failed(
            [errors.FieldError(field="model", message=f"model '{model.name}' has no zones yet")]
        )


def extract_upload(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    upload: Upload,
    started: float,
    fingerprint: str | None,
    source_sha256: str,
) -> ExtractionOutcome:
    """Cut an opened upload whose pages are the model's pages, one for one."""
    if upload.page_count != model.page_count:
        raise page_count_mismatch(upload.page_count, model)
    with metrics.stage("decode"):
        pictures = list(upload.pages(model.page_widths))
    source = SourceFacts(
        filename=request.filename,
        format=upload.format,
        width=pictures[0].width,
        height=pictures[0].height,
        bytes=len(request.data),
        sha256=source_sha256,
        pages=upload.page_count,
    )
    return cut_pictures(pipeline, request, model, pictures, source, started, fingerprint)


def page_count_mismatch(pages: int, model: ModelSnapshot) -> errors.PageCountMismatch:
    """422 for an upload of another number of pages than the model's reference."""
    has = f"{pages} pages" if pages > 1 else "1 page"
    wants = f"{model.page_count} pages" if model.page_count > 1 else "1 page"
    hint = "; send pages=each to cut every page as its own picture" if model.page_count == 1 else ""
    return errors.PageCountMismatch(
        f"the file has {has} but model '{model.name}' has {wants}{hint} (nothing was cut)"
    )


def cut_pictures(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    pictures: Sequence[Picture],
    source: SourceFacts,
    started: float,
    fingerprint: str | None,
) -> ExtractionOutcome:
    """Place the zones on each page's picture, then cut, file and record them.

    ``request.data`` is what is kept for the overlay and for review: the upload, or the
    page alone when each page of a document is cut as its own picture.
    """
    method = request.alignment or model.alignment
    try:
        with metrics.stage("align"):
            placed = [
                PlacedPage(number, picture, _place_page(pipeline, model, number, picture, method))
                for number, picture in enumerate(pictures, start=1)
            ]
        return cut_and_file_pages(pipeline, request, model, placed, source, started, fingerprint)
    except errors.PictureDoesNotMatch as refusal:
        if request.store and model.on_refusal == "review" and pipeline.reviews is not None:
            kept = replace(pictures[0], format=source.format if source.page is None else "png")
            review_id = review_items.keep(
                pipeline.sessions, pipeline.reviews, request, model, kept, refusal
            )
            refusal.review_id = str(review_id)
            refusal.review_url = f"/api/v1/reviews/{review_id}"
        raise


def _place_page(
    pipeline: Pipeline, model: ModelSnapshot, number: int, picture: Picture, method: str
) -> ZonePlacer:
    """How the zones of page ``number`` land on its picture, aligned on that page alone."""
    try:
        return _place_zones(pipeline, model.page(number), picture, method)
    except errors.PictureDoesNotMatch as refusal:
        if model.page_count > 1:
            refusal.detail = f"page {number} of {model.page_count}: {refusal.detail}"
            refusal.args = (refusal.detail,)
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
    """Cut every zone of a one-page model where ``placer`` puts it, encode, and file and
    record the crops."""
    source = SourceFacts(
        filename=request.filename,
        format=picture.format,
        width=picture.width,
        height=picture.height,
        bytes=len(request.data),
        sha256=source_sha256,
    )
    placed = [PlacedPage(1, picture, placer)]
    return cut_and_file_pages(pipeline, request, model, placed, source, started, fingerprint)


def cut_and_file_pages(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    placed: Sequence[PlacedPage],
    source: SourceFacts,
    started: float,
    fingerprint: str | None,
) -> ExtractionOutcome:
    """Cut every zone from its page where that page's placer puts it, encode, and file
    and record the crops."""
    output_format = request.output_format or model.output_format
    extension = EXTENSIONS[output_format]  # type: ignore[index]
    placers = {page.number: page.placer for page in placed}

    def cut_and_encode(zone: ZoneSnapshot) -> CutCrop:
        placer = placers[zone.page]
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
        source_filename=source.filename,
        source_format=source.format,
        source_width=source.width,
        source_height=source.height,
        source_bytes=source.bytes,
        source_sha256=source.sha256,
        source_pages=source.pages,
        source_page=source.page,
        transform=_transform(placed),
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


def _transform(placed: Sequence[PlacedPage]) -> dict[str, Any]:
    """The record's transform: page 1's, and for several pages each page's as well."""
    first = placed[0].placer.transform
    if len(placed) == 1:
        return first
    pages = [
        {
            "page": page.number,
            "width": page.picture.width,
            "height": page.picture.height,
            **page.placer.transform,
        }
        for page in placed
    ]
    return {**first, "pages": pages}


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
    fingerprint: str | None,
) -> ExtractionOutcome:
    """Record the intent with its names reserved, write the files, then mark it done."""
    source = source_stem(request.filename)
    if record.source_page is not None:
        source = f"{source}-p{record.source_page}"  # the pages of one file apart
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
        if request.idempotency_key is None or fingerprint is None:
            raise
        with session_scope(pipeline.sessions) as session:
            replay = _replay(session, request.idempotency_key, fingerprint)
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
    """Keep the picture for the extraction's overlay (best effort: the crops are filed).

    A page cut as its own picture is kept alone, as PNG.
    """
    if pipeline.sources is None or pipeline.keep_sources <= timedelta(0):
        return
    kept_format = "png" if record.source_page is not None else record.source_format
    path = f"{record.id}/source.{review_items.EXTENSIONS.get(kept_format, 'bin')}"
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
        page=cut.zone.page,
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
