"""One extraction, step by step: replay a known key, open the upload, place the zones
(:mod:`.placing`), cut and encode every crop, then file and record them (:mod:`.filing`).

A document (PDF, multi-page TIFF) is cut with a model of as many pages: each page is
rendered at the width of its reference page (never above twice its pixels), placed on its
own, and every zone is cut from its page; one record holds the crops of all pages. What
the request would render is counted before anything is, against the budget of a request.

No database transaction is held while pictures are cut: the model is read in one short
transaction, the pixels are worked on with none open, and the record is written in a
second one. Files are written before the record and removed again if it cannot be saved,
so an extraction either files every crop and is recorded, or leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from api import errors, metrics
from api.db import session_scope
from api.imaging.decode import Picture
from api.imaging.encode import EXTENSIONS, encode_pixels
from api.services.extraction import refusals, replay
from api.services.extraction.filing import crop_record, filing
from api.services.extraction.pipeline import (
    CutCrop,
    ExtractionOutcome,
    ExtractRequest,
    ModelSnapshot,
    Pipeline,
    PlacedPage,
    Placement,
    SourceFacts,
    ZoneSnapshot,
    elapsed_ms,
)
from api.services.extraction.placing import cut_zones, locate_by_scale, place_page
from api.services.extraction.refusals import KeptPicture
from api.services.models.catalog import find_model
from api.services.uploads import Upload, check_request_pixels, open_upload
from api.tables import Extraction, utcnow


def run_extraction(pipeline: Pipeline, request: ExtractRequest) -> ExtractionOutcome:
    """Cut the picture or document with the model and file every crop, or raise and
    leave nothing.

    A picture refused as not matching is kept as a review item when the model says so
    (and the run files at all): the 422 then names the item. With an Idempotency-Key, the
    caller's earlier answer to the same request is given again; the key is kept once the
    picture was judged (filed, or refused as not matching) and given up on any other
    error, so that a retry runs anew.
    """
    started = time.perf_counter()
    source_sha256 = hashlib.sha256(request.data).hexdigest()

    with session_scope(pipeline.sessions) as session:
        model = ModelSnapshot.of(find_model(session, request.model))
    if request.idempotency_key is not None and request.store:
        claimed = replay.claim(
            pipeline.sessions,
            caller=request.caller,
            key=request.idempotency_key,
            fingerprint=request.fingerprint(source_sha256, model.id),
            stale_after=pipeline.pending_timeout,
            holder=pipeline.holder,
            lease=pipeline.lease,
            wait=pipeline.idempotency_wait,
        )
        if isinstance(claimed, replay.KeptAnswer):
            return replay.replay_single(pipeline.sessions, claimed)
        request = replace(request, claim=claimed)
    try:
        check_has_zones(model)
        with metrics.stage("decode"):
            upload = open_upload(
                request.data, max_pixels=pipeline.max_pixels, max_pages=pipeline.max_pages
            )
        with upload:
            pixels = pixels_to_render(upload, model)
            check_request_pixels(pixels, upload.page_count, pipeline.max_request_pixels)
            return extract_upload(pipeline, request, model, upload, started, source_sha256)
    except errors.PictureDoesNotMatch as refusal:
        if request.claim is not None:  # unless the review item kept it already
            with session_scope(pipeline.sessions) as session:
                replay.keep_refused(session, request.claim, refusal)
        raise
    except BaseException:
        if request.claim is not None:
            replay.release(pipeline.sessions, request.claim)
        raise


def pixels_to_render(upload: Upload, model: ModelSnapshot, *, each_page: bool = False) -> int:
    """How many pixels cutting the upload with the model decodes or renders: every page
    for its reference page (page 1's for all with ``each_page``).

    Raises, before anything is rendered, for an upload that cannot be cut: another number
    of pages than the model's, or a page too large.
    """
    if each_page:
        return upload.pixels([model.page_sizes[0]] * upload.page_count)
    if upload.page_count != model.page_count:
        raise page_count_mismatch(upload.page_count, model)
    return upload.pixels(model.page_sizes)


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
    source_sha256: str,
) -> ExtractionOutcome:
    """Cut an opened upload whose pages are the model's pages, one for one."""
    if upload.page_count != model.page_count:
        raise page_count_mismatch(upload.page_count, model)
    method = request.alignment or model.alignment
    if method == "scale" and upload.picture_size is not None:
        # A picture of another shape is refused from its header, without being decoded.
        try:
            locate_by_scale(model.reference_size, upload.picture_size)
        except errors.PictureDoesNotMatch as refusal:
            kept = KeptPicture(upload.format, upload.picture_size)
            keep_for_review(pipeline, request, model, kept, refusal)
            raise
    with metrics.stage("decode"):
        pictures = upload.pages(model.page_sizes)
    source = SourceFacts(
        filename=request.filename,
        format=upload.format,
        width=pictures[0].width,
        height=pictures[0].height,
        bytes=len(request.data),
        sha256=source_sha256,
        pages=upload.page_count,
    )
    return cut_pictures(pipeline, request, model, pictures, source, started)


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
) -> ExtractionOutcome:
    """Place the zones on each page's picture, then cut, file and record them.

    ``request.data`` is what is kept for the overlay and for review: the upload, or the
    page alone when each page of a document is cut as its own picture.
    """
    method = request.alignment or model.alignment
    try:
        with metrics.stage("align"):
            placed = [
                PlacedPage(number, picture, place_page(pipeline, model, number, picture, method))
                for number, picture in enumerate(pictures, start=1)
            ]
        return cut_and_file_pages(pipeline, request, model, placed, source, started)
    except errors.PictureDoesNotMatch as refusal:
        kept_format = source.format if source.page is None else "png"
        first = pictures[0]
        keep_for_review(pipeline, request, model, KeptPicture(kept_format, first.size), refusal)
        raise


def keep_for_review(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    picture: KeptPicture,
    refusal: errors.PictureDoesNotMatch,
) -> None:
    """Keep a refused picture as a review item, when the model says so and the request
    files at all (the 422 then names the item)."""
    if request.store and model.on_refusal == "review" and pipeline.reviews is not None:
        refusals.keep(
            pipeline.sessions, pipeline.reviews, request, model, picture, refusal, pipeline.events
        )


def cut_and_file_pages(
    pipeline: Pipeline,
    request: ExtractRequest,
    model: ModelSnapshot,
    placed: Sequence[PlacedPage],
    source: SourceFacts,
    started: float,
) -> ExtractionOutcome:
    """Cut every zone from its page where that page's placer puts it, encode, and file
    and record the crops."""
    output_format = request.output_format or model.output_format
    extension = EXTENSIONS[output_format]  # type: ignore[index]

    def cut_and_encode(
        zone: ZoneSnapshot, pixels: np.ndarray, placement: Placement, icc: bytes | None
    ) -> CutCrop:
        quality = model.output_quality
        data = encode_pixels(pixels, output_format, quality, icc)  # type: ignore[arg-type]
        height, width = pixels.shape[:2]
        return CutCrop(zone, width, height, data, extension, placement)

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
        created_by=request.created_by,
    )
    if not request.store:
        with metrics.stage("encode"):
            crops = cut_zones(placed, model.zones, cut_and_encode)
        record.duration_ms = elapsed_ms(started)
        record.crops = [crop_record(position, crop_) for position, crop_ in enumerate(crops)]
        return ExtractionOutcome(record, crops)
    # Each crop is written while the next ones are cut: the names are reserved first.
    with filing(pipeline, request, model, record, extension, started) as filed:
        with metrics.stage("encode"):
            crops = cut_zones(placed, model.zones, lambda *cut: filed.write(cut_and_encode(*cut)))
        with metrics.stage("store"):
            return filed.finish(crops)


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
