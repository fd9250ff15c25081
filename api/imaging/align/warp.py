"""Cut a zone through a homography or a smooth mapping, as an upright crop.

The crop is at the picture's own resolution."""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

from api.imaging.align.homography import (
    overlap_area,
    polygon_area,
    project,
    rectangle,
    scaling,
    to_cv,
    translation,
)
from api.imaging.errors import ImagingError
from api.imaging.geometry import Box, Matrix

MIN_VISIBLE = 0.95
"""Least share of a zone's area that must lie inside the picture for it to be cut."""

_NATIVE_MODES = ("L", "RGB", "RGBA", "I;16")


class ZoneOutsidePicture(ImagingError):
    """Too much of a zone falls outside the picture: its crop would be mostly made up."""

    def __init__(self, box: Box, visible: float) -> None:
        self.box = box
        self.visible = visible
        message = (
            f"The zone {box.width}x{box.height} at ({box.x}, {box.y}) lies "
            f"{1 - visible:.0%} outside the picture; at most {1 - MIN_VISIBLE:.0%} may."
        )
        super().__init__(message)


def _fill(mode: str) -> tuple[float, ...] | float:
    """White paper outside the picture; transparent where the picture has an alpha."""
    if mode == "RGBA":
        return (255, 255, 255, 0)
    if mode == "RGB":
        return (255, 255, 255)
    if mode == "I;16":
        return 65535
    return 255


def _upright_source(picture: Image.Image) -> Image.Image:
    if picture.mode in _NATIVE_MODES:
        return picture
    has_alpha = "A" in picture.getbands() or "transparency" in picture.info
    return picture.convert("RGBA" if has_alpha else "RGB")


def _finish(warped: np.ndarray, source: Image.Image, picture: Image.Image) -> Image.Image:
    out = Image.fromarray(warped, mode=None)
    if source.mode == "I;16" and out.mode != "I;16":
        out = Image.fromarray(warped.astype(np.uint16)).convert("I;16")
    icc = picture.info.get("icc_profile")
    if icc:
        out.info["icc_profile"] = icc
    return out


def _checked_size(quad: np.ndarray, size: tuple[int, int], box: Box) -> tuple[int, int]:
    """The crop's size for a zone seen as ``quad`` in a picture of ``size``, or
    ZoneOutsidePicture."""
    convex = bool(np.isfinite(quad).all()) and cv2.isContourConvex(
        quad.astype(np.float32).reshape(-1, 1, 2)
    )
    area = polygon_area(quad) if convex else 0.0
    visible = overlap_area(quad, rectangle(*size)) / area if area else 0.0
    if visible < MIN_VISIBLE:
        raise ZoneOutsidePicture(box, min(visible, 1.0))
    scale = math.sqrt(area / box.area)
    return max(1, round(box.width * scale)), max(1, round(box.height * scale))


def _corners(box: Box) -> np.ndarray:
    return np.array(
        [[box.x, box.y], [box.right, box.y], [box.right, box.bottom], [box.x, box.bottom]],
        np.float64,
    )


def warp_crop(picture: Image.Image, matrix: Matrix, box: Box) -> Image.Image:
    """The zone ``box`` (reference pixels) cut from ``picture`` as an upright crop.

    ``matrix`` maps reference pixels to picture pixels. The crop keeps the zone's aspect
    ratio and is sized at the picture's own resolution there: the zone's size times the
    homography's local scale (the square root of the area ratio of the zone and its image
    in the picture), rounded, at least 1 pixel. Only the picture region under the zone is
    warped (bilinear). Where the zone leaves the picture the crop is white (transparent
    for a picture with alpha); when more than 5 % of it does, the crop would be made up,
    and :class:`ZoneOutsidePicture` is raised instead. For an identity or whole-pixel
    translation the crop is exactly the picture's pixels. The mode and ICC profile are
    kept (modes other than L, RGB, RGBA and I;16 are converted to RGB or RGBA).
    """
    homography = np.asarray(matrix, np.float64)
    (left, top, right, bottom), (out_w, out_h) = _homography_region(
        homography, (picture.width, picture.height), box
    )
    crop_to_picture = (
        homography @ translation(box.x, box.y) @ scaling(box.width / out_w, box.height / out_h)
    )
    source = _upright_source(picture)
    region = np.asarray(source.crop((left, top, right, bottom)))
    to_region = translation(-left, -top) @ crop_to_picture
    warped = cv2.warpPerspective(
        region,
        to_cv(to_region),
        (out_w, out_h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=_fill(source.mode),
    )
    return _finish(warped, source, picture)


def _homography_region(
    homography: np.ndarray, size: tuple[int, int], box: Box
) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
    """The region of a picture of ``size`` that :func:`warp_crop` reads for ``box``
    (left, top, right, bottom), and the crop's size."""
    quad = project(homography, _corners(box))
    out_w, out_h = _checked_size(quad, size, box)
    # Only the region under the zone, plus a pixel for the interpolation.
    left = max(0, math.floor(quad[:, 0].min()) - 1)
    top = max(0, math.floor(quad[:, 1].min()) - 1)
    right = min(size[0], math.ceil(quad[:, 0].max()) + 1)
    bottom = min(size[1], math.ceil(quad[:, 1].max()) + 1)
    return (left, top, right, bottom), (out_w, out_h)


def warp_region(size: tuple[int, int], matrix: Matrix, box: Box) -> Box:
    """The pixels of a picture of ``size`` that :func:`warp_crop` reads to cut ``box``:
    the crop is the same from any picture whose pixels there are the same.
    :class:`ZoneOutsidePicture` as the cut raises it."""
    (left, top, right, bottom), _ = _homography_region(np.asarray(matrix, np.float64), size, box)
    return Box(left, top, max(1, right - left), max(1, bottom - top))


_MAP_GRID = 8  # crop pixels between exactly mapped samples of a curved cut


def warp_crop_mapped(
    picture: Image.Image, to_picture: Callable[[np.ndarray], np.ndarray], box: Box
) -> Image.Image:
    """Like :func:`warp_crop`, through any smooth mapping ``to_picture`` of reference
    points (N, 2) to picture points: a zone on a bowed row comes out straight.

    The mapping is evaluated exactly every 8 crop pixels and interpolated linearly in
    between, which is far below a pixel for the gentle curves of paper and lenses.
    """
    (left, top, right, bottom), (map_x, map_y) = _mapped_region(
        to_picture, (picture.width, picture.height), box
    )
    source = _upright_source(picture)
    region = np.asarray(source.crop((left, top, right, bottom)))
    warped = cv2.remap(
        region,
        np.ascontiguousarray(map_x),
        np.ascontiguousarray(map_y),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=_fill(source.mode),
    )
    return _finish(warped, source, picture)


def _mapped_region(
    to_picture: Callable[[np.ndarray], np.ndarray], size: tuple[int, int], box: Box
) -> tuple[tuple[int, int, int, int], tuple[np.ndarray, np.ndarray]]:
    """The region of a picture of ``size`` that :func:`warp_crop_mapped` reads for
    ``box`` (left, top, right, bottom), and where each crop pixel is taken in it."""
    quad = to_picture(_corners(box))
    out_w, out_h = _checked_size(quad, size, box)
    # Samples every _MAP_GRID crop pixels, one more beyond each edge, placed so that
    # cv2.resize by _MAP_GRID interpolates linearly between them for every crop pixel.
    nx, ny = math.ceil(out_w / _MAP_GRID) + 2, math.ceil(out_h / _MAP_GRID) + 2
    us = _MAP_GRID * (np.arange(nx) - 1) + _MAP_GRID / 2
    vs = _MAP_GRID * (np.arange(ny) - 1) + _MAP_GRID / 2
    grid = np.stack(np.meshgrid(us, vs), axis=-1).reshape(-1, 2)
    reference = np.column_stack(
        [box.x + grid[:, 0] * (box.width / out_w), box.y + grid[:, 1] * (box.height / out_h)]
    )
    mapped = to_picture(reference)
    outline = np.concatenate([mapped, quad])
    left = max(0, math.floor(outline[:, 0].min()) - 2)
    top = max(0, math.floor(outline[:, 1].min()) - 2)
    right = min(size[0], math.ceil(outline[:, 0].max()) + 2)
    bottom = min(size[1], math.ceil(outline[:, 1].max()) + 2)
    coarse_x = (mapped[:, 0] - left - 0.5).reshape(ny, nx).astype(np.float32)
    coarse_y = (mapped[:, 1] - top - 0.5).reshape(ny, nx).astype(np.float32)
    grid_size = (nx * _MAP_GRID, ny * _MAP_GRID)
    inner = (slice(_MAP_GRID, _MAP_GRID + out_h), slice(_MAP_GRID, _MAP_GRID + out_w))
    map_x = cv2.resize(coarse_x, grid_size, interpolation=cv2.INTER_LINEAR)[inner]
    map_y = cv2.resize(coarse_y, grid_size, interpolation=cv2.INTER_LINEAR)[inner]
    return (left, top, max(right, left + 1), max(bottom, top + 1)), (map_x, map_y)


def mapped_region(
    size: tuple[int, int], to_picture: Callable[[np.ndarray], np.ndarray], box: Box
) -> Box:
    """The pixels of a picture of ``size`` that :func:`warp_crop_mapped` reads to cut
    ``box``, as :func:`warp_region` tells them for :func:`warp_crop`."""
    (left, top, right, bottom), _ = _mapped_region(to_picture, size, box)
    return Box(left, top, right - left, bottom - top)
