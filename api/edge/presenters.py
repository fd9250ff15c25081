"""Shaping records into API answers: URLs, ETags, download names and response models."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Literal
from urllib.parse import quote, urlencode

from fastapi import Response

from api.imaging.suggest.results import PageSuggestions
from api.schemas.extraction import CropRead, ExtractionRead, Source, Transform
from api.schemas.folders import FileRead, FolderRead
from api.schemas.jobs import JobItem, JobProgress, JobRead
from api.schemas.models import (
    ImageInfo,
    ImagePage,
    ImportClipped,
    ImportRenamed,
    ImportReport,
    ImportSkipped,
    ModelImported,
    ModelRead,
    ModelSummary,
    PrintedLine,
    SuggestedZone,
    ZoneRead,
    ZoneSuggestions,
)
from api.schemas.reviews import ReviewRead
from api.schemas.samples import (
    CropPreview,
    SampleCheck,
    SampleCrop,
    SampleDiff,
    SampleRead,
    ZoneDiff,
)
from api.schemas.webhooks import DeliveryRead, WebhookCreated, WebhookRead
from api.services.jobs import queue
from api.services.models import foreign
from api.services.models.references import reference_pages
from api.services.samples import check
from api.services.webhooks.sender import message_id
from api.storage import FolderInfo, StoredFile
from api.tables import Extraction, Job, Model, Review, Sample, Webhook, WebhookDelivery

API_PREFIX = "/api/v1"


def file_url(path: str) -> str:
    """Where an output file is downloaded."""
    return f"{API_PREFIX}/files/{quote(path)}"


def folder_files_url(path: str) -> str:
    """Where a folder's files are listed."""
    return f"{API_PREFIX}/folders/{quote(path)}/files"


def model_url(model: Model) -> str:
    return f"{API_PREFIX}/models/{model.id}"


def etag(model: Model) -> str:
    return f'"{model.version}"'


# what RFC 5987 lets stand unencoded in an ext-value, besides letters and digits
_ATTR_CHARS = "!#$&+-.^_`|~"
# what a download's name may not hold: path separators, controls, lone surrogates, line
# separators, and the marks that turn text around ("gnp.exe" shown as "exe.png")
_NOT_IN_NAMES = frozenset(
    "/\\\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_NOT_TEXT = frozenset({"Cc", "Cs", "Zl", "Zp"})


def content_disposition(
    filename: str, disposition: Literal["attachment", "inline"] = "attachment"
) -> str:
    """The ``Content-Disposition`` of a download named ``filename``, whatever its script
    (RFC 6266): the name in UTF-8 as ``filename*``, and an ASCII stand-in as ``filename``
    for clients that know no other. The name is one file's: path separators and what is
    not text become ``_``. Headers are Latin-1 bytes, so a name in another script cannot
    be sent as it is at all.
    """
    name = "".join(
        "_" if ch in _NOT_IN_NAMES or unicodedata.category(ch) in _NOT_TEXT else ch
        for ch in unicodedata.normalize("NFC", filename)
    )
    name = name or "download"
    return (
        f'{disposition}; filename="{_ascii_name(name)}"; '
        f"filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
    )


def _ascii_name(name: str) -> str:
    """``name`` in printable ASCII for ``filename=``: accents dropped ("é" -> "e"), other
    characters, quotes, backslashes and ``%`` as ``_``; the extension kept."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)
    )
    plain = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\%' else "_" for ch in plain
    )
    plain = re.sub(r"_{2,}", "_", plain)
    stem, dot, extension = plain.rpartition(".")
    if not any(ch.isalnum() for ch in (stem if dot else plain)):
        return f"download.{extension}" if dot and extension.isalnum() else "download"
    return plain


def set_model_headers(response: Response, model: Model) -> None:
    """ETag of the model's version on an answer carrying it."""
    response.headers["ETag"] = etag(model)


def image_info(model: Model) -> ImageInfo:
    pages = reference_pages(model)
    return ImageInfo(
        width=model.image_width,
        height=model.image_height,
        format=model.image_format,
        bytes=model.image_bytes,
        sha256=model.image_sha256,
        url=f"{model_url(model)}/image?v={model.image_sha256[:16]}",
        pages=[
            ImagePage(
                page=page.number,
                width=page.width,
                height=page.height,
                url=f"{model_url(model)}/image?page={page.number}&v={page.sha256[:16]}",
            )
            for page in pages
        ],
    )


def model_read(model: Model) -> ModelRead:
    return ModelRead(
        id=model.id,
        name=model.name,
        description=model.description,
        version=model.version,
        alignment=model.alignment,
        on_refusal=model.on_refusal,
        output_format=model.output_format,
        output_quality=model.output_quality,
        filename_template=model.filename_template,
        image=image_info(model),
        zones=[ZoneRead.model_validate(zone) for zone in model.zones],
        created_at=model.created_at,
        updated_at=model.updated_at,
    )


def model_imported(model: Model, report: foreign.ImportReport) -> ModelImported:
    """A model made by an import, with the report of what was made of the file."""
    return ModelImported(
        **model_read(model).model_dump(),
        import_report=ImportReport(
            format=report.format,
            picture=report.picture,
            label_source=report.label_source,
            renamed=[
                ImportRenamed(
                    field=item.field,
                    original=item.original,
                    given=item.given,
                    reason=item.reason,
                )
                for item in report.renamed
            ],
            clipped=[ImportClipped(zone=item.zone, reason=item.reason) for item in report.clipped],
            skipped=[
                ImportSkipped(label=item.label, reason=item.reason) for item in report.skipped
            ],
            notes=list(report.notes),
        ),
    )


def zone_suggestions(found: PageSuggestions) -> ZoneSuggestions:
    return ZoneSuggestions(
        items=[SuggestedZone.model_validate(item, from_attributes=True) for item in found.items],
        lines=[PrintedLine.model_validate(line, from_attributes=True) for line in found.lines],
    )


def model_summary(model: Model, zone_count: int) -> ModelSummary:
    return ModelSummary(
        id=model.id,
        name=model.name,
        description=model.description,
        version=model.version,
        alignment=model.alignment,
        zone_count=zone_count,
        image=image_info(model),
        created_at=model.created_at,
        updated_at=model.updated_at,
    )


def source_read(record: Extraction | Review) -> Source:
    """The facts of the picture an extraction cut or a review item keeps."""
    pages = record.source_pages if isinstance(record, Extraction) else 1
    page = record.source_page if isinstance(record, Extraction) else None
    return Source(
        filename=record.source_filename,
        format=record.source_format,
        width=record.source_width,
        height=record.source_height,
        bytes=record.source_bytes,
        sha256=record.source_sha256,
        pages=pages,
        page=page,
    )


def extraction_read(record: Extraction, *, stored: bool = True) -> ExtractionRead:
    return ExtractionRead(
        id=record.id,
        model_id=record.model_id,
        model_name=record.model_name,
        model_version=record.model_version,
        created_at=record.created_at,
        duration_ms=record.duration_ms,
        stored=stored,
        created_by=record.created_by,
        source=source_read(record),
        transform=Transform.model_validate(record.transform),
        crops=[
            CropRead(
                zone_id=crop.zone_id,
                zone_name=crop.zone_name,
                folder=crop.folder,
                page=crop.page,
                path=crop.path if stored else None,
                url=file_url(crop.path) if stored else None,
                width=crop.width,
                height=crop.height,
                bytes=crop.bytes,
                quad=crop.quad,
                confidence=crop.confidence,
            )
            for crop in record.crops
        ],
    )


def folder_read(folder: FolderInfo) -> FolderRead:
    return FolderRead(
        path=folder.path,
        file_count=folder.file_count,
        bytes=folder.bytes,
        url=folder_files_url(folder.path),
    )


def file_read(stored: StoredFile) -> FileRead:
    return FileRead(
        path=stored.path,
        name=stored.name,
        folder=stored.folder,
        bytes=stored.bytes,
        created_at=stored.created_at,
        url=file_url(stored.path),
    )


def review_read(review: Review) -> ReviewRead:
    return ReviewRead(
        id=review.id,
        model_id=review.model_id,
        model_name=review.model_name,
        model_version=review.model_version,
        status=review.status,
        reason=review.reason,
        detail=review.detail,
        figures=review.figures,
        guess=review.guess,
        source=source_read(review),
        picture_url=f"{API_PREFIX}/reviews/{review.id}/picture",
        created_by=review.created_by,
        created_at=review.created_at,
        decided_by=review.decided_by,
        decided_at=review.decided_at,
        extraction_id=review.extraction_id,
    )


def sample_url(model_id: uuid.UUID, sample_id: uuid.UUID) -> str:
    """Where one sample of a model is read."""
    return f"{API_PREFIX}/models/{model_id}/samples/{sample_id}"


def sample_read(sample: Sample) -> SampleRead:
    url = sample_url(sample.model_id, sample.id)
    return SampleRead(
        id=sample.id,
        model_id=sample.model_id,
        filename=sample.filename,
        format=sample.format,
        width=sample.width,
        height=sample.height,
        pages=sample.pages,
        bytes=sample.bytes,
        sha256=sample.sha256,
        model_version=sample.model_version,
        extraction_id=sample.extraction_id,
        created_by=sample.created_by,
        created_at=sample.created_at,
        thumbnail_url=f"{url}/thumbnail",
        crops=[
            SampleCrop(
                **{k: crop[k] for k in SampleCrop.model_fields if k in crop},
                thumbnail_url=f"{url}/thumbnail?zone={crop['zone_id']}",
            )
            for crop in sample.crops
        ],
    )


def _crop_preview(
    model_id: uuid.UUID, sample_id: uuid.UUID, key: str, side: check.CropSide | None
) -> CropPreview | None:
    """One side of a zone's comparison, with the URL of its preview (none without a
    placement: a sample that could not be opened)."""
    if side is None or not key:
        return None
    box = side.box
    query = urlencode(
        {
            "page": side.page,
            "x": box.x,
            "y": box.y,
            "width": box.width,
            "height": box.height,
            "v": key[:16],  # the placement: a new one is another picture
        }
    )
    return CropPreview(
        page=side.page,
        x=box.x,
        y=box.y,
        width=box.width,
        height=box.height,
        crop_width=side.width,
        crop_height=side.height,
        url=f"{sample_url(model_id, sample_id)}/preview?{query}",
    )


def _sample_diff(model_id: uuid.UUID, checked: check.SampleCheck) -> SampleDiff:
    sample, key = checked.sample, checked.placement_key
    return SampleDiff(
        sample_id=sample.id,
        filename=sample.filename,
        thumbnail_url=f"{sample_url(model_id, sample.id)}/thumbnail",
        status=checked.status,
        detail=checked.detail,
        zones=[
            ZoneDiff(
                zone_id=zone.zone_id,
                index=zone.index,
                name=zone.name,
                status=zone.status,
                changed_share=zone.changed_share,
                before=_crop_preview(model_id, sample.id, key, zone.before),
                after=_crop_preview(model_id, sample.id, key, zone.after),
                detail=zone.detail,
            )
            for zone in checked.zones
        ],
    )


def sample_check_read(outcome: check.CheckOutcome) -> SampleCheck:
    """The check of a proposal, with the preview URLs of every crop compared."""
    samples = [_sample_diff(outcome.model_id, checked) for checked in outcome.samples]
    return SampleCheck(
        model_id=outcome.model_id,
        model_version=outcome.model_version,
        proposed=outcome.proposed,
        unchanged=sum(s.status == "unchanged" for s in samples),
        changed=sum(s.status == "changed" for s in samples),
        refused=sum(s.status == "refused" for s in samples),
        samples=samples,
    )


def job_url(job: Job) -> str:
    return f"{API_PREFIX}/jobs/{job.id}"


def job_read(job: Job) -> JobRead:
    return JobRead(
        id=job.id,
        status=job.status,  # "uploading" is never presented
        model_id=job.model_id,
        model_name=job.model_name,
        progress=JobProgress(done=job.done, total=job.total),
        filed=job.filed,
        refused=job.refused,
        parts=job.part_count,
        filename=job.filename,
        error=job.error,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        items_url=f"{job_url(job)}/items",
    )


def job_item_read(item: queue.JobItem) -> JobItem:
    return JobItem(
        part=item.part,
        page=item.page,
        status="filed" if item.extraction is not None else "refused",
        extraction=extraction_read(item.extraction) if item.extraction is not None else None,
        refusal=item.refusal,
    )


def webhook_read(webhook: Webhook) -> WebhookRead:
    return WebhookRead(
        id=webhook.id,
        url=webhook.url,
        events=webhook.events,
        created_by=webhook.created_by,
        created_at=webhook.created_at,
        deliveries_url=f"{API_PREFIX}/webhooks/{webhook.id}/deliveries",
    )


def webhook_created(webhook: Webhook) -> WebhookCreated:
    return WebhookCreated(**webhook_read(webhook).model_dump(), secret=webhook.secret)


def delivery_read(delivery: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        message_id=message_id(delivery.id),
        event=delivery.event,
        status=delivery.status,
        attempts=delivery.attempts,
        created_at=delivery.created_at,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_attempt_at=delivery.last_attempt_at,
        last_status=delivery.last_status,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
    )
