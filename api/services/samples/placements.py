"""Where a model's reference lies in each of its samples, found once and kept; and the
sample's boxes cut through it.

A sample is placed with the extraction's own code (:mod:`api.services.extraction.placing`):
by scale from its size alone, by features through a full alignment. The result is kept
in the sample's row with the key of what it depends on — the alignment method and the
reference's pages — so a check on every pause of an edit aligns nothing again, and a
new reference or method places every sample anew. A sample that cannot be placed any
more is kept as refused, with the reason, under the same key.

Cutting needs the sample's pixels, and only those the cut reads: the box a zone maps to
by scale, the region the warp reads around it by features (the imaging code that cuts
tells it). Only the tiles under them are read back (:mod:`api.imaging.tiles`, kept when
the sample was added): no decoding. Where the tiles are not of today's decoders the page
is decoded whole — and then tiled again, so the next check need not.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import select, update

from api import errors
from api.db import session_scope
from api.imaging.decode import Picture
from api.imaging.geometry import Box, Matrix, map_box_by_scale
from api.imaging.pixels import as_image
from api.imaging.tiles import (
    TileGrid,
    assemble,
    cut_tiles,
    decoder_identity,
    grid_of_record,
    grid_record,
)
from api.services.extraction import alignment
from api.services.extraction.pipeline import ModelSnapshot
from api.services.extraction.placing import (
    PageLocation,
    locate_by_scale,
    locate_page,
    refusal_of_page,
    zone_placer,
)
from api.services.overlays import remove_files
from api.services.samples.parts import SampleParts
from api.services.uploads import Upload, open_upload
from api.storage import FileNotFoundInStorage
from api.tables import Sample

# Grows when what is kept changes shape or meaning; every sample is then placed anew.
PLACEMENT_FORMAT = 1


@dataclass(frozen=True)
class SampleSnapshot:
    """A sample as a check works with it, free of any session."""

    id: uuid.UUID
    model_id: uuid.UUID
    filename: str
    format: str
    size: tuple[int, int]
    pages: int
    path: str
    placement_key: str | None
    placement: dict[str, Any] | None
    tiles: dict[str, Any] | None

    @classmethod
    def of(cls, sample: Sample) -> SampleSnapshot:
        return cls(
            sample.id,
            sample.model_id,
            sample.filename,
            sample.format,
            (sample.width, sample.height),
            sample.pages,
            sample.path,
            sample.placement_key,
            sample.placement,
            sample.tiles,
        )

    @property
    def is_document(self) -> bool:
        """Whether its pages are rendered (a PDF, a TIFF of several pages)."""
        return self.format == "pdf" or self.pages > 1

    @property
    def folder(self) -> str:
        """Where its files lie in the samples store."""
        return posixpath.dirname(self.path)


@dataclass(frozen=True)
class SamplePlacement:
    """Where the reference lies in a sample, page by page, with the size each page is cut
    at, under ``key``; or why it cannot be placed (``refused``)."""

    key: str
    pages: tuple[PageLocation, ...] = ()
    sizes: tuple[tuple[int, int], ...] = ()
    refused: str | None = None


def placement_key(model: ModelSnapshot) -> str:
    """What a sample's placement depends on, as a digest: the alignment method and every
    page of the reference (its kept path names its content) with its size."""
    facts = [
        PLACEMENT_FORMAT,
        model.alignment,
        [[page.path, *page.size] for page in model.pages]
        or [[model.reference_path, *model.reference_size]],
    ]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:40]


# ----- tiles ---------------------------------------------------------------------------


def new_tile_set(pages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A tile record of today's decoders, under a name of its own (a set is never
    rewritten: a new one is written beside it, and the old one removed)."""
    return {"key": decoder_identity(), "set": uuid.uuid4().hex[:12], "pages": pages or []}


def tile_path(folder: str, tile_set: str, page: int, tile: tuple[int, int]) -> str:
    """Where one tile of a sample's page is kept."""
    return f"{folder}/tiles-{tile_set}/p{page}-{tile[0]}-{tile[1]}.bin"


def tile_files(folder: str, record: dict[str, Any] | None) -> list[str]:
    """Every tile file a sample's tile record names."""
    if not record:
        return []
    paths = []
    for number, page in enumerate(record["pages"], start=1):
        grid = grid_of_record(page)
        paths += [tile_path(folder, record["set"], number, tile) for tile in grid.all()]
    return paths


def write_tiles(
    put: Callable[[str, bytes], object], folder: str, record: dict[str, Any], picture: Picture
) -> None:
    """Keep the next page of the tile set ``record`` (see :func:`new_tile_set`) with
    ``put``, and add its grid to the record."""
    number = len(record["pages"]) + 1
    grid = TileGrid(picture.width, picture.height, picture.image.mode)
    for tile, data in cut_tiles(picture.image, grid):
        put(tile_path(folder, record["set"], number, tile), data)
    record["pages"].append(grid_record(grid))


class SamplePages:
    """A sample's pages: regions of one from its tiles, or the page decoded or rendered
    whole when first asked for (the last one is kept, one page at a time in memory)."""

    def __init__(self, parts: SampleParts, sample: SampleSnapshot, model: ModelSnapshot) -> None:
        self._parts = parts
        self._sample = sample
        self._model = model
        self._upload: Upload | None = None
        self._last: tuple[int, Picture] | None = None
        self._identity = decoder_identity()

    def _opened(self) -> Upload:
        if self._upload is None:
            data = self._parts.store.read(self._sample.path)
            self._upload = open_upload(
                data, max_pixels=self._parts.max_pixels, max_pages=self._parts.max_pages
            )
        return self._upload

    def page(self, number: int) -> Picture:
        """Page ``number`` (from 1), whole, for the reference page it stands for."""
        if self._last is not None and self._last[0] == number:
            return self._last[1]
        sizes = self._model.page_sizes
        self._last = None
        picture = self._opened().page(number, sizes[number - 1] if number <= len(sizes) else None)
        self._last = (number, picture)
        return picture

    def tiled(self, number: int, size: tuple[int, int]) -> TileGrid | None:
        """The grid of page ``number``'s tiles when they hold today's decoding of it at
        ``size``; None when they cannot be used."""
        record = self._sample.tiles
        if not record or record.get("key") != self._identity:
            return None
        try:
            grid = grid_of_record(record["pages"][number - 1])
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        return grid if (grid.width, grid.height) == size and "set" in record else None

    def window(self, number: int, grid: TileGrid, regions: Iterable[Box]) -> Picture | None:
        """Page ``number`` as a picture whose ``regions`` (picture pixels) hold exactly the
        decoded pixels, put together from its tiles; None when a tile is missing."""
        tile_set = str(self._sample.tiles["set"]) if self._sample.tiles else ""
        folder = self._sample.folder

        def read(tile: tuple[int, int]) -> bytes:
            return self._parts.store.read(tile_path(folder, tile_set, number, tile))

        try:
            image = assemble(grid, grid.under(regions), read)
        except (FileNotFoundInStorage, ValueError):
            return None
        fmt = self._sample.format
        return Picture.of_image(image, fmt)

    def close(self) -> None:
        """Release the opened file and the page kept."""
        self._last = None
        if self._upload is not None:
            self._upload.close()
            self._upload = None


# ----- placing --------------------------------------------------------------------------


def place_sample(
    parts: SampleParts, model: ModelSnapshot, sample: SampleSnapshot, pages: SamplePages
) -> tuple[SamplePlacement, bool]:
    """Where the reference lies in the sample, and whether it was computed now (then it
    is worth keeping: :func:`keep_placements`). The kept one is used when its key is the
    model's."""
    key = placement_key(model)
    if sample.placement_key == key and sample.placement is not None:
        kept = _placement_of_record(key, sample.placement)
        if kept is not None:
            return kept, False
    return locate_sample(parts, model, sample, pages), True


def locate_sample(
    parts: SampleParts, model: ModelSnapshot, sample: SampleSnapshot, pages: SamplePages
) -> SamplePlacement:
    """Place the reference in every page of the sample, as an extraction would; a sample
    that does not match is a placement refused with the reason."""
    key = placement_key(model)
    count = sample.pages
    if count != model.page_count:
        has = f"{count} pages" if count > 1 else "1 page"
        wants = f"{model.page_count} pages" if model.page_count > 1 else "1 page"
        return SamplePlacement(key, refused=f"the sample has {has} but the model has {wants}")
    located: list[PageLocation] = []
    sizes: list[tuple[int, int]] = []
    try:
        for number in range(1, count + 1):
            page = model.page(number)
            with refusal_of_page(model, number):
                if model.alignment == "scale" and not sample.is_document:
                    located.append(locate_by_scale(page.reference_size, sample.size))
                    sizes.append(sample.size)
                else:
                    picture = pages.page(number)
                    located.append(locate_page(parts.references, page, picture, model.alignment))
                    sizes.append((picture.width, picture.height))
    except errors.PictureDoesNotMatch as refusal:
        return SamplePlacement(key, refused=refusal.detail)
    return SamplePlacement(key, tuple(located), tuple(sizes))


def keep_placements(parts: SampleParts, placed: dict[uuid.UUID, SamplePlacement]) -> None:
    """Keep placements computed now in their samples' rows (a sample deleted meanwhile is
    no matter), in one short transaction."""
    if not placed:
        return
    with session_scope(parts.sessions) as session:
        for sample_id, placement in placed.items():
            session.execute(
                update(Sample)
                .where(Sample.id == sample_id)
                .values(placement_key=placement.key, placement=placement_record(placement))
                .execution_options(synchronize_session=False)
            )


def placement_record(placement: SamplePlacement) -> dict[str, Any]:
    """A placement as the sample's row keeps it (JSON)."""
    if placement.refused is not None:
        return {"refused": placement.refused}
    return {
        "pages": [
            {**_location_record(location), "size": list(size)}
            for location, size in zip(placement.pages, placement.sizes, strict=True)
        ]
    }


def _location_record(location: PageLocation) -> dict[str, Any]:
    record: dict[str, Any] = {
        "method": location.method,
        "matrix": [[float(v) for v in row] for row in location.matrix],
    }
    if location.aligned is not None:
        from api.imaging.align.stored import alignment_record

        record["aligned"] = alignment_record(location.aligned)
    return record


def _placement_of_record(key: str, record: dict[str, Any]) -> SamplePlacement | None:
    """The placement kept in ``record``; None for one that cannot be read (it is then
    computed again)."""
    try:
        if "refused" in record:
            return SamplePlacement(key, refused=str(record["refused"]))
        pages = record["pages"]
        sizes = tuple((int(page["size"][0]), int(page["size"][1])) for page in pages)
        return SamplePlacement(key, tuple(_location_of_record(page) for page in pages), sizes)
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _location_of_record(record: dict[str, Any]) -> PageLocation:
    rows = [[float(v) for v in row] for row in record["matrix"]]
    if len(rows) != 3 or any(len(row) != 3 for row in rows):
        raise ValueError("a placement's matrix is 3x3")
    matrix: Matrix = tuple((row[0], row[1], row[2]) for row in rows)
    aligned = None
    if record.get("aligned") is not None:
        from api.imaging.align.stored import alignment_of_record

        aligned = alignment_of_record(record["aligned"])  # UnreadableRecord is a ValueError
    return PageLocation(str(record["method"]), matrix, aligned)


# ----- cutting --------------------------------------------------------------------------

Cut = Image.Image | errors.PictureDoesNotMatch


@dataclass
class Cuts:
    """The crops of some boxes of a sample, and whether its tiles were of no use (then
    worth making again: :func:`retile`)."""

    crops: dict[tuple[int, Box], Cut]
    stale_tiles: bool = False


def cut_boxes(
    model: ModelSnapshot,
    pages: SamplePages,
    placement: SamplePlacement,
    wanted: Iterable[tuple[int, Box]],
) -> Cuts:
    """The crops of the ``wanted`` boxes (reference pixels of a page), cut through the
    placement as an extraction cuts, page by page; a box that cannot be cut gives its
    refusal. Only the tiles under what the cuts read are read."""
    by_page: dict[int, list[Box]] = {}
    for page, box in wanted:
        by_page.setdefault(page, []).append(box)
    cuts = Cuts({})
    for number in sorted(by_page):
        location, size = placement.pages[number - 1], placement.sizes[number - 1]
        boxes = sorted(set(by_page[number]), key=lambda b: (b.y, b.x, b.height, b.width))
        picture = None
        grid = pages.tiled(number, size)
        if grid is not None:
            picture = pages.window(number, grid, _regions(location, size, boxes))
        cuts.stale_tiles |= picture is None
        if picture is None:
            picture = pages.page(number)
        placer = zone_placer(model.page(number), picture, location)
        for box in boxes:
            try:
                cuts.crops[(number, box)] = as_image(placer.cut(box))
            except errors.PictureDoesNotMatch as refusal:
                cuts.crops[(number, box)] = refusal
    return cuts


def _regions(location: PageLocation, size: tuple[int, int], boxes: Iterable[Box]) -> list[Box]:
    """The pixels cutting ``boxes`` through ``location`` reads, in a picture of ``size``:
    by scale exactly the mapped boxes, by features what the warp reads around each."""
    if location.aligned is None:
        return [map_box_by_scale(box, location.matrix, size) for box in boxes]
    regions = [alignment.cut_region(size, location.aligned, box) for box in boxes]
    return [region for region in regions if region is not None]


def retile(parts: SampleParts, model: ModelSnapshot, sample: SampleSnapshot) -> None:
    """Keep the sample's pages as tiles of today's decoders again, then drop the old
    ones. Best effort: a sample removed meanwhile keeps nothing."""
    record = new_tile_set()
    written: list[str] = []

    def put(path: str, data: bytes) -> None:
        parts.store.put_exact(path, data)
        written.append(path)

    pages = SamplePages(parts, sample, model)
    try:
        for number in range(1, sample.pages + 1):
            write_tiles(put, sample.folder, record, pages.page(number))
        with session_scope(parts.sessions) as session:
            row = session.scalar(select(Sample).where(Sample.id == sample.id).with_for_update())
            if row is None:
                raise errors.NotFound(f"sample {sample.id} was removed meanwhile")
            old = tile_files(sample.folder, row.tiles)
            row.tiles = record
    except BaseException:
        remove_files(parts.store, written)
        raise
    finally:
        pages.close()
    remove_files(parts.store, old)


def retile_quietly(
    parts: SampleParts, model: ModelSnapshot, samples: Sequence[SampleSnapshot]
) -> None:
    """:func:`retile` each of ``samples``; one that cannot be is left as it is (its
    checks decode it whole meanwhile)."""
    for sample in samples:
        try:
            retile(parts, model, sample)
        except Exception:  # the check answered without them; the next one tries again
            continue
