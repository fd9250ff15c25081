"""Pages that are not flat, for the alignment bench and tests: bowed, curled, lens-bent.

A :class:`Bend` is a known, smooth distortion on top of the camera's homography: the
page's own shape first (in reference pixels: a bow across the page, one edge curling up),
then the lens (radial distortion in picture pixels, centred on the picture). Where a
reference point lands in the picture is therefore ``lens(H(page(x)))``; :meth:`Bend.project`
computes it, and :func:`render_bent` draws a page that way, exactly: every picture pixel
is sampled through the inverse of the same mapping.

The amplitudes are those of real paper in front of a phone: a bow of 1-2 % of the page
height, an edge curled up over its last 20-30 % by 1.5-3 % (the paper there tilts by
up to about 40 degrees), and lens distortion of 2-5 % at
the corners of the picture.

An edge *lifting toward the camera* comes nearer the lens: over the last 20 % of the page
it is magnified and pushed outwards, by 15-45 pixels at 1240 pixels across (1.2-3.6 %),
rather than foreshortened inwards. The ``lifted_*`` kinds combine it with a bow or with
the lens; ``occluded`` is a curled or bowed page with a dark thing lying across the frame
of one zone (bench/align_fixtures.py draws it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

BendKind = Literal["bowed", "curled", "lens", "combined", "lifted_bowed", "lifted_lens", "occluded"]
BEND_KINDS: tuple[BendKind, ...] = (
    "bowed",
    "curled",
    "lens",
    "combined",
    "lifted_bowed",
    "lifted_lens",
    "occluded",
)

_GRID = 8  # picture pixels between exactly computed samples of a resampling map


@dataclass(frozen=True)
class Bend:
    """A page's departure from flat, and the lens's: see the module docstring.

    ``bow`` is the sag's amplitude as a share of the page height (``bow_axis`` 0: rows
    sag, 1: columns do); ``curl`` the depth of a curled edge as a share of the page's size
    across it (``curl_edge``: 0 top, 1 right, 2 bottom, 3 left), over ``curl_extent`` of
    the page (``curl_toward``: the edge lifts toward the camera, magnified and pushed
    outwards rather than foreshortened inwards); ``lens`` the radial coefficient: a
    picture corner moves by ``lens`` of the half-diagonal (positive: pincushion,
    negative: barrel).
    """

    width: float
    height: float
    bow: float = 0.0
    bow_axis: int = 0
    curl: float = 0.0
    curl_edge: int = 1
    curl_extent: float = 0.2
    curl_toward: bool = False
    lens: float = 0.0
    picture_size: tuple[float, float] = (1.0, 1.0)

    def displacement(self, points: np.ndarray) -> np.ndarray:
        """How far the page's shape moves reference ``points`` (N, 2), reference pixels."""
        x = points[:, 0] / self.width
        y = points[:, 1] / self.height
        out = np.zeros_like(points, dtype=np.float64)
        if self.bow:
            along, across = (x, y) if self.bow_axis == 0 else (y, x)
            size = self.height if self.bow_axis == 0 else self.width
            sag = self.bow * size * np.sin(math.pi * along) * (0.35 + 0.65 * across)
            pull = -0.25 * self.bow * size * np.sin(2 * math.pi * along) * across
            if self.bow_axis == 0:
                out[:, 1] += sag
                out[:, 0] += pull
            else:
                out[:, 0] += sag
                out[:, 1] += pull
        if self.curl:
            # t: 0 where the curl starts, 1 at the edge; s: position along the edge, -1..1.
            t_s = {
                0: (1 - y / self.curl_extent, 2 * x - 1),
                1: (1 - (1 - x) / self.curl_extent, 2 * y - 1),
                2: (1 - (1 - y) / self.curl_extent, 2 * x - 1),
                3: (1 - x / self.curl_extent, 2 * y - 1),
            }[self.curl_edge]
            t = np.clip(t_s[0], 0.0, None)
            s = t_s[1]
            across = self.height if self.curl_edge in (0, 2) else self.width
            inward = self.curl * across * t * t
            spread = 0.4 * self.curl * across * t * t * s
            if self.curl_toward:  # nearer the lens: outwards, and wider along the edge
                inward, spread = -inward, 1.5 * spread
            sign = 1.0 if self.curl_edge in (0, 3) else -1.0
            if self.curl_edge in (0, 2):
                out[:, 1] += sign * inward
                out[:, 0] += spread
            else:
                out[:, 0] += sign * inward
                out[:, 1] += spread
        return out

    def page(self, points: np.ndarray) -> np.ndarray:
        """Reference points where the bent page puts them, still in reference pixels."""
        return np.asarray(points, np.float64) + self.displacement(np.asarray(points, np.float64))

    def unpage(self, points: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`page` (fixed-point iteration; the bend is gentle)."""
        target = np.asarray(points, np.float64)
        guess = target.copy()
        for _ in range(8):
            guess = target - self.displacement(guess)
        return guess

    def _lens_factor(self, points: np.ndarray) -> np.ndarray:
        w, h = self.picture_size
        centre = np.array([w / 2, h / 2])
        radius = math.hypot(w, h) / 2
        r2 = np.sum(((points - centre) / radius) ** 2, axis=1)
        return np.asarray(1.0 + self.lens * r2, np.float64)

    def lens_forward(self, points: np.ndarray) -> np.ndarray:
        """Where the lens draws picture ``points`` of an ideal pinhole camera."""
        if not self.lens:
            return np.asarray(points, np.float64)
        w, h = self.picture_size
        centre = np.array([w / 2, h / 2])
        return np.asarray(centre + (points - centre) * self._lens_factor(points)[:, None])

    def lens_inverse(self, points: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`lens_forward` (fixed-point iteration)."""
        if not self.lens:
            return np.asarray(points, np.float64)
        w, h = self.picture_size
        centre = np.array([w / 2, h / 2])
        target = np.asarray(points, np.float64)
        guess = target.copy()
        for _ in range(8):
            guess = centre + (target - centre) / self._lens_factor(guess)[:, None]
        return guess

    def project(self, matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
        """Where reference ``points`` land in the picture: lens(H(page(points)))."""
        return self.lens_forward(_apply(matrix, self.page(points)))


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.column_stack([points, np.ones(len(points))]) @ np.asarray(matrix).T
    return np.asarray(pts[:, :2] / pts[:, 2:3], np.float64)


def random_bend(
    rng: np.random.Generator,
    kind: BendKind,
    reference_size: tuple[int, int],
    lens_allowed: bool = True,
) -> Bend:
    """A bend of ``kind`` with amplitudes drawn from the ranges of the module docstring.
    ``picture_size`` is filled in by :func:`make_bent_picture` once the picture is laid out."""
    width, height = reference_size
    bow = curl = lens = 0.0
    kinds = {kind}
    if kind == "combined":
        kinds = {str(rng.choice(["bowed", "curled"]))}
        if lens_allowed:
            kinds.add("lens")
    elif kind == "lifted_bowed":
        kinds = {"lifted", "bowed"}
    elif kind == "lifted_lens":
        kinds = {"lifted", "lens"} if lens_allowed else {"lifted"}
    elif kind == "occluded":
        kinds = {str(rng.choice(["bowed", "curled", "lifted"]))}
    if "bowed" in kinds:
        bow = float(rng.uniform(0.01, 0.02) * rng.choice([-1, 1]))
    if "curled" in kinds:
        curl = float(rng.uniform(0.015, 0.03))
    if "lifted" in kinds:
        curl = float(rng.uniform(0.012, 0.036))
    if "lens" in kinds and lens_allowed:
        lens = float(rng.uniform(0.02, 0.05) * rng.choice([-1, 1]))
    return Bend(
        float(width),
        float(height),
        bow=bow,
        bow_axis=int(rng.integers(2)),
        curl=curl,
        curl_edge=int(rng.integers(4)),
        curl_extent=0.2 if "lifted" in kinds else float(rng.uniform(0.2, 0.3)),
        curl_toward="lifted" in kinds,
        lens=lens,
    )


def _coarse_samples(width: int, height: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Picture pixel centres every ``_GRID`` pixels, placed so that ``cv2.resize`` by
    ``_GRID`` interpolates between them exactly (see :func:`_upsample`)."""
    nx = math.ceil(width / _GRID)
    ny = math.ceil(height / _GRID)
    xs = _GRID * np.arange(nx) + (_GRID - 1) / 2 + 0.5
    ys = _GRID * np.arange(ny) + (_GRID - 1) / 2 + 0.5
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    return grid, (nx, ny)


def _upsample(values: np.ndarray, shape: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    nx, ny = shape
    coarse = values.reshape(ny, nx).astype(np.float32)
    full = cv2.resize(coarse, (nx * _GRID, ny * _GRID), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(full[: size[1], : size[0]])


def render_bent(
    source: np.ndarray,
    matrix: np.ndarray,
    bend: Bend,
    size: tuple[int, int],
    with_lens: bool = False,
) -> np.ndarray:
    """``source`` (the reference) drawn into a picture of ``size`` through the bent page and
    ``matrix``, and through the lens too when ``with_lens``. Shrinks the source first with
    area averaging where the picture is much smaller, so small text does not alias."""
    h, w = source.shape[:2]
    grid, shape = _coarse_samples(*size)
    ideal = bend.lens_inverse(grid) if with_lens else grid
    on_page = bend.unpage(_apply(np.linalg.inv(matrix), ideal))
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    mapped = _apply(matrix, corners)
    edges = np.linalg.norm(np.roll(mapped, -1, axis=0) - mapped, axis=1)
    local = float(np.min(edges / np.array([w, h, w, h], np.float64)))
    factor = 1.0
    if local < 0.8:
        factor = max(local * 1.25, 1e-3)
        source = cv2.resize(
            source,
            (max(1, round(w * factor)), max(1, round(h * factor))),
            interpolation=cv2.INTER_AREA,
        )
    sx = source.shape[1] / w
    sy = source.shape[0] / h
    map_x = _upsample(on_page[:, 0] * sx - 0.5, shape, size)
    map_y = _upsample(on_page[:, 1] * sy - 0.5, shape, size)
    return cv2.remap(
        source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def lens_picture(image: np.ndarray, bend: Bend) -> np.ndarray:
    """A whole picture seen through the lens of ``bend`` (the desk bends too)."""
    if not bend.lens:
        return image
    size = (image.shape[1], image.shape[0])
    grid, shape = _coarse_samples(*size)
    ideal = bend.lens_inverse(grid)
    map_x = _upsample(ideal[:, 0] - 0.5, shape, size)
    map_y = _upsample(ideal[:, 1] - 0.5, shape, size)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
