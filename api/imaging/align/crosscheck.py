"""A second placement for pages that are not flat: the print around each zone corner,
sought on its own.

The mesh (api/imaging/align/mesh.py) places a bent page from the reference's corners,
tracked one by one by local descent, and a smoothness prior in between; where those are
few (a nearly blank form) or far apart (a curled edge with nothing printed near it) it
interpolates, and can put a zone several pixels off and still look plausible on the
whole. This module places every zone again another way, sharing neither the tracked
corners nor the smoothness nor the descent: around each corner of the zone, a tile of
the reference's print (the two sides of the zone's frame meeting there, labels, rules;
the zone's own inside left out, as it is filled in differently on every picture) is
searched for exhaustively, by normalised correlation of the contrast-normalised pictures
(as refinement sees them: light and paper colour do not count), over a wide window of
the picture seen through the homography alone, at full frame resolution (tiles are small;
a coarser search would alias thin lines), with a sub-pixel peak.

Its own verification: the best match must be good (``MIN_MATCH``) and unique (``UNIQUE``:
the best match a few pixels away or further clearly worse; a tile on a straight rule or
in a table's look-alike cells fails here and gives no evidence rather than a wrong one).
Where the two placements of two of a zone's corners differ by more than
``MAX_DISAGREEMENT`` picture pixels, one of them is wrong and the page is refused: a
refusal costs a person a few seconds in the review queue, a wrong crop filed costs
trust.

Everything here is in working-frame pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from api.imaging.align.mesh import Mesh

SMOOTHING = 1.2  # Gaussian sigma, frame pixels: a blurred photo and a sharp reference alike
NEUTRAL = 128  # what a normalised picture shows where there is nothing
TILE_SHARE = 0.5  # of the zone's shorter side: half a tile's size, inside the zone
TILE_MIN = 10  # frame pixels: half a tile's size, at least ...
TILE_MAX = 32  # ... and at most
OUTSIDE = 16  # frame pixels of a tile beyond the zone's outline (labels, the frame's line)
INSET = 3  # frame pixels of the zone's inside a tile keeps: its outline's own line
REACH = 48  # frame pixels searched around a tile's place, both ways (a curl's drift)
STRUCTURE_FLOOR = 8.0  # grey-level spread of a tile that has print to search for
MIN_MATCH = 0.8  # correlation of the best match for a tile to count (an occluder's edge: ~0.7)
UNIQUE = 0.1  # by how much the best match must beat any other ...
APART = 4  # ... at least this many frame pixels from it
MAX_DISAGREEMENT = 3.0  # picture pixels: two placements further apart cannot both be right


@dataclass(frozen=True)
class Tile:
    """The print around one corner of a zone: its bounds in the frame (left, top,
    right, bottom), the zone's corner, and the part of the zone it covers (left, top,
    right, bottom in tile pixels), left out of the comparison."""

    bounds: tuple[int, int, int, int]
    corner: tuple[float, float]
    inside: tuple[int, int, int, int]

    @property
    def centre(self) -> tuple[float, float]:
        """The tile's middle: where a rigid match measures the page's drift (a bent page
        drifts a little differently at the zone's corner itself)."""
        left, top, right, bottom = self.bounds
        return (left + right) / 2, (top + bottom) / 2

    def template(self, reference: np.ndarray) -> np.ndarray:
        """The tile cut from a (smoothed, normalised) ``reference``, the zone's inside
        shown as nothing."""
        left, top, right, bottom = self.bounds
        template = reference[top:bottom, left:right].copy()
        a, b, c, d = self.inside
        if c > a and d > b:
            template[b:d, a:c] = NEUTRAL
        return template


def tiles(box: tuple[float, float, float, float]) -> list[Tile]:
    """A tile around each corner of a zone ``box`` (x0, y0, x1, y1), clockwise from its
    top-left."""
    x0, y0, x1, y1 = box
    half = int(np.clip(TILE_SHARE * min(x1 - x0, y1 - y0), TILE_MIN, TILE_MAX))
    found: list[Tile] = []
    for cx, cy, sx, sy in ((x0, y0, 1, 1), (x1, y0, -1, 1), (x1, y1, -1, -1), (x0, y1, 1, -1)):
        # sx, sy: the direction from the corner into the zone.
        xs = sorted((cx - sx * OUTSIDE, cx + sx * half))
        ys = sorted((cy - sy * OUTSIDE, cy + sy * half))
        left, right = int(np.floor(xs[0])), int(np.ceil(xs[1]))
        top, bottom = int(np.floor(ys[0])), int(np.ceil(ys[1]))
        # The zone's inside, less INSET pixels along its outline, in tile pixels.
        in_x = sorted((cx + sx * INSET - left, cx + sx * (half + 1) - left))
        in_y = sorted((cy + sy * INSET - top, cy + sy * (half + 1) - top))
        inside = (
            max(0, int(np.ceil(in_x[0]))),
            max(0, int(np.ceil(in_y[0]))),
            min(right - left, int(np.floor(in_x[1]))),
            min(bottom - top, int(np.floor(in_y[1]))),
        )
        found.append(Tile((left, top, right, bottom), (float(cx), float(cy)), inside))
    return found


def smoothed(normalised: np.ndarray) -> np.ndarray:
    """A normalised frame as tiles are compared: float32, lightly smoothed."""
    return np.asarray(cv2.GaussianBlur(normalised.astype(np.float32), (0, 0), SMOOTHING))


def find_tile(reference: np.ndarray, picture: np.ndarray, tile: Tile) -> tuple[float, float] | None:
    """Where ``tile`` of the ``reference`` is found in the ``picture`` (both
    :func:`smoothed`): its offset (dx, dy) in frame pixels from its own place, or None
    when it has no print, leaves the frame, or is not found well and uniquely. Near the
    frame's border the window searched stops at the border."""
    height, width = reference.shape
    left, top, right, bottom = tile.bounds
    if left < 0 or top < 0 or right > width or bottom > height:
        return None
    template = tile.template(reference)
    spread = float(template.std())
    if spread < STRUCTURE_FLOOR:
        return None
    # The window searched, as far as the frame goes.
    sx0, sy0 = max(0, left - REACH), max(0, top - REACH)
    sx1, sy1 = min(width, right + REACH), min(height, bottom + REACH)
    search = picture[sy0:sy1, sx0:sx1]
    found = _match(search, template)
    by, bx = np.unravel_index(int(found.argmax()), found.shape)
    best = float(found[by, bx])
    if best < MIN_MATCH:
        return None
    if by in (0, found.shape[0] - 1) or bx in (0, found.shape[1] - 1):
        return None  # the best is where the window stops: the true peak may lie beyond
    ys, xs = np.mgrid[0 : found.shape[0], 0 : found.shape[1]]
    away = np.hypot(ys - int(by), xs - int(bx)) > APART
    if away.any() and float(found[away].max()) > best - UNIQUE:
        return None  # another place looks about as good: no evidence
    shown = search[by : by + template.shape[0], bx : bx + template.shape[1]]
    if float(shown.std()) < 0.5 * spread:
        return None  # a faint window correlates by chance
    dx = sx0 + int(bx) + _subpixel(found[by, :], int(bx)) - left
    dy = sy0 + int(by) + _subpixel(found[:, bx], int(by)) - top
    return float(dx), float(dy)


def _match(search: np.ndarray, template: np.ndarray) -> np.ndarray:
    found = cv2.matchTemplate(search, template, cv2.TM_CCOEFF_NORMED)
    return np.nan_to_num(found, nan=-1.0, posinf=-1.0, neginf=-1.0)


def _subpixel(values: np.ndarray, index: int) -> float:
    """The parabola's vertex through the peak at ``index`` and its two neighbours."""
    if index <= 0 or index >= len(values) - 1:
        return 0.0
    a, b, c = float(values[index - 1]), float(values[index]), float(values[index + 1])
    curvature = a - 2 * b + c
    return float(np.clip(0.5 * (a - c) / curvature, -0.5, 0.5)) if curvature < -1e-9 else 0.0


@dataclass(frozen=True)
class ZonePlacement:
    """How far the second placement finds a zone from the chosen placement, in frame
    pixels — the second largest disagreement over its corners, so that two corners must
    say so (one corner alone may be hidden, written over, and a look-alike found instead;
    a zone truly misplaced, even at one end only, moves two corners) — None when fewer
    than two corners' print was found well and uniquely; and how many corners were."""

    apart: float | None
    corners: int


def second_placement(
    reference: np.ndarray,
    warped: np.ndarray,
    mesh: Mesh | None,
    boxes: list[tuple[float, float, float, float]],
) -> list[ZonePlacement]:
    """For each zone ``box`` (x0, y0, x1, y1 in frame pixels), the print around its
    corners of the ``reference`` (:func:`smoothed`) sought in the normalised picture
    ``warped`` through the homography alone, compared with where the ``mesh`` (None: the
    homography itself) puts them."""
    picture = smoothed(warped)
    placements: list[ZonePlacement] = []
    for box in boxes:
        apart: list[float] = []
        for tile in tiles(box):
            offset = find_tile(reference, picture, tile)
            if offset is None:
                continue
            centre = np.array([tile.centre], np.float64)
            placed = mesh.displacement(centre)[0] if mesh is not None else np.zeros(2)
            apart.append(float(np.hypot(offset[0] - placed[0], offset[1] - placed[1])))
        second = sorted(apart)[-2] if len(apart) >= 2 else None
        placements.append(ZonePlacement(second, len(apart)))
    return placements
