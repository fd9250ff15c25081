"""Placing a model's zones on a picture: by scale, or by features refined locally."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from api import errors
from api.imaging import errors as imaging_errors
from api.imaging.decode import Picture
from api.imaging.geometry import Box, Matrix, map_box_by_scale, scale_matrix
from api.services.extraction import alignment
from api.services.extraction.pipeline import (
    ModelSnapshot,
    Pipeline,
    PlacedPage,
    Placement,
    ZonePlacer,
    ZoneSnapshot,
)

if TYPE_CHECKING:
    from api.imaging.align.pipeline import Alignment


@dataclass(frozen=True)
class PageLocation:
    """Where a page of a model's reference lies in a picture, as placing finds it before
    any zone is cut: the homography reference -> picture, and for features the whole
    alignment (its mesh, figures and zone scores). Worth keeping: placing a zone through
    it again gives the same crop (the samples of a model keep theirs)."""

    method: str
    matrix: Matrix
    aligned: Alignment | None = None


def place_page(
    pipeline: Pipeline, model: ModelSnapshot, number: int, picture: Picture, method: str
) -> ZonePlacer:
    """How the zones of page ``number`` land on its picture, aligned on that page alone."""
    page = model.page(number)
    with refusal_of_page(model, number):
        location = locate_page(pipeline.references, page, picture, method)
    return zone_placer(page, picture, location)


@contextmanager
def refusal_of_page(model: ModelSnapshot, number: int) -> Iterator[None]:
    """A refusal raised inside names its page when the model has several."""
    try:
        yield
    except errors.PictureDoesNotMatch as refusal:
        if model.page_count > 1:
            refusal.detail = f"page {number} of {model.page_count}: {refusal.detail}"
            refusal.args = (refusal.detail,)
        raise


def locate_page(
    references: alignment.ReferenceCache, page: ModelSnapshot, picture: Picture, method: str
) -> PageLocation:
    """Where the reference ``page`` (a model seen from one page) lies in the picture, by
    ``method``, or 422 when it cannot be found with confidence.

    By features, the alignment also judges each zone of the page where it lands (see
    api/imaging/align/zones.py); by scale only the picture's size counts.
    """
    if method == "features":
        reference = references.features(page.reference_path)
        zones = [(z.name, z.box) for z in page.zones]
        aligned = alignment.align(reference, picture.image, zones)
        return PageLocation("features", aligned.matrix, aligned)
    return locate_by_scale(page.reference_size, (picture.width, picture.height))


def locate_by_scale(reference_size: tuple[int, int], size: tuple[int, int]) -> PageLocation:
    """The ``scale`` location of a reference in a picture of ``size``: no pixel needed."""
    try:
        return PageLocation("scale", scale_matrix(reference_size, size))
    except imaging_errors.AspectMismatch as exc:
        raise errors.PictureDoesNotMatch(str(exc)) from exc


def zone_placer(page: ModelSnapshot, picture: Picture, location: PageLocation) -> ZonePlacer:
    """How the zones of the reference ``page`` land on the picture where ``location``
    puts it, and how each is cut.

    By features, each zone is placed through the page's homography refined locally where
    the page is not flat, and judged on its own: a crop's confidence is the lesser of the
    page's and its zone's.
    """
    if location.aligned is not None:
        return _placer_by_features(location.aligned, picture, [(z.name, z.box) for z in page.zones])
    matrix = location.matrix
    size = (picture.width, picture.height)

    def mapped(box: Box) -> Placement:
        cut = map_box_by_scale(box, matrix, size)
        corners = [(cut.x, cut.y), (cut.right, cut.y), (cut.right, cut.bottom), (cut.x, cut.bottom)]
        return Placement([[float(x), float(y)] for x, y in corners], 1.0)

    return ZonePlacer(
        {"method": "scale", "matrix": _rows(matrix), "local": None},
        mapped,
        lambda box: picture.region(map_box_by_scale(box, matrix, size)),
        picture.icc_profile,
    )


def _placer_by_features(
    aligned: Alignment, picture: Picture, zones: Sequence[tuple[str, Box]]
) -> ZonePlacer:
    """Zones placed through a feature alignment of ``picture``, verified zone by zone for
    the named ``zones`` (reference pixels)."""
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
        lambda box: np.asarray(alignment.cut(picture.image, aligned, box)),
        picture.icc_profile,
    )


def _page_confidence(figures: dict[str, float]) -> float:
    """How sure a feature alignment is: the share of the model's landmarks found in place."""
    value = figures.get("found_ratio", figures.get("inlier_ratio", 0.0))
    return round(min(1.0, max(0.0, float(value))), 4)


def _rows(matrix: Matrix) -> list[list[float]]:
    return [[float(value) for value in row] for row in matrix]


T = TypeVar("T")


@cache
def _cutting_threads() -> ThreadPoolExecutor:
    """The threads of this process that cut and encode crops: one per core. Cutting,
    warping and encoding release the GIL, so the crops of one request use every core,
    and two requests in one process share the cores rather than queue for one."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="cutting")


def cut_zones(
    placed: Sequence[PlacedPage],
    zones: Sequence[ZoneSnapshot],
    then: Callable[[ZoneSnapshot, np.ndarray, Placement, bytes | None], T],
) -> list[T]:
    """Every zone cut from its page where that page's placer puts it, handed with its
    placement and its page's colour profile to ``then`` (which encodes it): the results,
    in the zones' order.

    The zones are cut side by side, each crop made only when a thread takes it up and
    dropped once ``then`` is done with it, so no more crops than threads are held at once.
    """
    placers = {page.number: page.placer for page in placed}

    def one(zone: ZoneSnapshot) -> T:
        placer = placers[zone.page]
        return then(zone, placer.cut(zone.box), placer.place(zone.box), placer.icc_profile)

    return list(_cutting_threads().map(one, zones))
