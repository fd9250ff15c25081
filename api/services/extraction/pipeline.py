"""What an extraction works with: the request, the model and the source as snapshots,
where zones land, the outcome, and the parts of the app the steps use (:class:`Pipeline`)."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from api import errors
from api.imaging.decode import Picture
from api.imaging.documents import Size
from api.imaging.geometry import Box
from api.services.extraction import alignment
from api.services.models.references import reference_pages
from api.services.webhooks.events import Events
from api.storage import Storage, StoredFile
from api.storage.names import safe_component
from api.tables import Extraction, Model


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
    # who asks, as data from the edge: ``caller`` scopes the Idempotency-Key (an id, never
    # a name), ``created_by`` is the name the record shows
    caller: str | None = None
    created_by: str | None = None
    # the key's claim (:mod:`.replay`) this request answers: the answer is kept with the
    # record it files or the review item it keeps, in the same transaction
    claim: uuid.UUID | None = None

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
    def page_sizes(self) -> list[Size]:
        """The size in pixels of every page of the reference, page 1 first: a page of a
        document renders at its width, and at most twice its pixels."""
        return [page.size for page in self.pages] or [self.reference_size]


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
    its placement and its crop (upright pixels, as :meth:`Picture.region` gives them);
    the colour profile the crops carry."""

    transform: dict[str, Any]
    place: Callable[[Box], Placement]
    cut: Callable[[Box], np.ndarray]
    icc_profile: bytes | None = None


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


class InFlight:
    """The extractions this process is filing, and whether it is giving up on them.

    Once :meth:`abort` is called (the drain of a stopping server ran out), an extraction
    writes no further crop and is not marked done: it undoes itself as on any failure.
    """

    def __init__(self) -> None:
        self._filing: set[uuid.UUID] = set()
        self._changed = threading.Condition()
        self._aborting = threading.Event()

    @contextmanager
    def holding(self, extraction_id: uuid.UUID) -> Iterator[None]:
        self.check()
        with self._changed:
            self._filing.add(extraction_id)
        try:
            yield
        finally:
            with self._changed:
                self._filing.discard(extraction_id)
                self._changed.notify_all()

    def check(self) -> None:
        if self._aborting.is_set():
            raise errors.ServiceUnavailable(
                "the server process is shutting down; nothing was filed, try again",
                headers={"Retry-After": "1"},
            )

    def abort(self, wait: float) -> list[uuid.UUID]:
        """Stop filing; wait up to ``wait`` seconds for the extractions to undo
        themselves; answer those still filing then."""
        self._aborting.set()
        deadline = time.monotonic() + wait
        with self._changed:
            while self._filing and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return sorted(self._filing)

    def __len__(self) -> int:
        with self._changed:
            return len(self._filing)


@dataclass(frozen=True)
class Pipeline:
    """What the pipeline needs from the application."""

    sessions: sessionmaker[Session]
    storage: Storage
    references: alignment.ReferenceCache
    max_pixels: int
    max_pages: int
    # what one request may render over all its parts and pages, and how many parts it has
    max_request_pixels: int
    max_parts: int
    # where refused pictures are kept for review; None keeps none
    reviews: Storage | None = None
    # where the pictures cut are kept for overlays, and for how long (0: not kept)
    sources: Storage | None = None
    keep_sources: timedelta = timedelta(0)
    # a claim or intent without a holder still pending this long was abandoned
    pending_timeout: timedelta = timedelta(minutes=5)
    # this instance (api.services.leases.Heartbeat), holder of the work it starts; the
    # lease after which a silent holder is dead; how long a request waits for another
    # holding its Idempotency-Key
    holder: uuid.UUID | None = None
    lease: timedelta = timedelta(seconds=15)
    idempotency_wait: timedelta = timedelta(seconds=20)
    # the extractions of this app being filed (undone when a drain runs out)
    in_flight: InFlight = field(default_factory=lambda: InFlight())
    # where extraction.created and review.created go (webhooks); None tells no one
    events: Events | None = None


def elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
