"""Per-zone verification: is each zone's printed surroundings where the alignment says?

A page can be registered well on the whole and still be wrong in one place: a nearly blank
form bent across a box, an edge curled under the zone. So each zone is judged on its own,
in the reference's working frame, from the print along its outline (box edges, labels,
rules — the zone's own content is meant to differ): a band along each of its four sides
is looked for in the aligned picture a little around where the alignment put it. When the
band is found clearly better somewhere else, the zone is misplaced by that much. A band
with nothing printed in the reference, or not found anywhere (hidden under a hand or a
sticky note), gives no evidence either way; such a zone is judged by the page.

Searching rather than only correlating in place keeps the two kinds of error apart: an
occluded side correlates badly everywhere, a misplaced one correlates well nearby. And a
band along a straight rule only tells across the rule: shifts along it look alike, so
they are never "clearly better".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

BAND_SHARE = 0.15  # of the zone's shorter side: half the band's depth beyond the outline
BAND_MIN = 3.0  # frame pixels
BAND_MAX = 12.0
SEGMENT = 160.0  # frame pixels: about the longest piece of a side judged as one
BAND_INSET = 2.0  # frame pixels of the zone's inside the band includes: the outline's own line
SEARCH_SHARE = 0.2  # of the zone's size along each axis: how far around the band is sought
SEARCH_MIN = 12
SEARCH_MAX = 24
STRUCTURE_FLOOR = 6.0  # grey-level spread of the normalised reference below which a band is blank
MIN_FOUND = 0.7  # correlation at which a band counts as found somewhere
CLEARLY_BETTER = 0.15  # how much better elsewhere than in place
POOR_IN_PLACE = 0.25  # a band correlating worse in place needs corners to vouch for it
VOUCHING_CORNERS = 4  # corners around such a band, at least ...
VOUCHING_SHARE = 0.6  # ... of which this share found in place
UNMATCHED_BANDS = 2  # bands a zone may not have that match poorly with no corner vouching
GOOD_IN_PLACE = 0.5  # a band correlating this well in place is not misplaced (a form repeats)
TOLERANCE_SHARE = 0.05  # of the zone's size along an axis: an offset within it is no error
TOLERANCE_MIN = 2.0  # frame pixels
NEAR = 2  # frame pixels around the exact place still counted as in place, at least
RIGHT_SHARE = 0.025  # of the zone's size along an axis: still in place
SMOOTHING = 1.2  # Gaussian sigma, frame pixels


@dataclass(frozen=True)
class ZoneMatch:
    """What the bands around a zone say: ``score`` is the worst correlation in place
    (None: no band had evidence), ``offset`` the largest displacement, in frame pixels,
    at which a band was found clearly better than in place (0 when none was; beyond the
    tolerance the zone is ``misplaced``)."""

    score: float | None
    offset: float = 0.0
    misplaced: bool = False
    # a band correlates poorly in place and the corners there do not vouch for it either
    unmatched: bool = False


def _bands(box: tuple[float, float, float, float]) -> list[tuple[float, float, float, float]]:
    """Bands along the sides of the zone's outline, reaching outwards (the zone's inside
    is filled in differently on every picture, its outline and what lies beyond it are
    printed), a long side cut into pieces at most ``SEGMENT`` long: a zone bent at one
    end must fail there even when the rest of the side matches."""
    x0, y0, x1, y1 = box
    depth = float(np.clip(BAND_SHARE * min(x1 - x0, y1 - y0), BAND_MIN, BAND_MAX)) * 2
    inset = BAND_INSET
    bands: list[tuple[float, float, float, float]] = []
    for start, end in _pieces(y0 - depth, y1 + depth):
        bands.append((x0 - depth, start, x0 + inset, end))
        bands.append((x1 - inset, start, x1 + depth, end))
    for start, end in _pieces(x0 - depth, x1 + depth):
        bands.append((start, y0 - depth, end, y0 + inset))
        bands.append((start, y1 - inset, end, y1 + depth))
    return bands


def _pieces(start: float, end: float) -> list[tuple[float, float]]:
    edges = np.linspace(start, end, max(1, round((end - start) / SEGMENT)) + 1)
    return [(float(a), float(b)) for a, b in itertools.pairwise(edges)]


def _count_within(points: np.ndarray, bounds: tuple[int, int, int, int]) -> int:
    left, top, right, bottom = bounds
    x, y = points[:, 0], points[:, 1]
    return int(np.count_nonzero((x >= left) & (x <= right) & (y >= top) & (y <= bottom)))


def match_zones(
    reference: np.ndarray,
    warped: np.ndarray,
    valid: np.ndarray,
    boxes: list[tuple[float, float, float, float]],
    corners: tuple[np.ndarray, np.ndarray],
) -> list[ZoneMatch]:
    """For each zone ``box`` (x0, y0, x1, y1 in frame pixels), what the bands along its
    sides say about its placement in the normalised ``warped`` picture (see the module
    docstring); bands that leave the frame or the ``valid`` picture are not judged.

    ``corners`` are the reference's corners the picture shows and those of them found in
    place: where a band correlates poorly in place (written over, stamped, hidden), most
    corners in place around it vouch for it; with ``UNMATCHED_BANDS`` such bands unvouched
    the zone is ``unmatched`` (one side written over or covered is not enough)."""
    visible, agreeing = corners
    height, width = reference.shape
    smooth_reference = cv2.GaussianBlur(reference.astype(np.float32), (0, 0), SMOOTHING)
    smooth_warped = cv2.GaussianBlur(warped.astype(np.float32), (0, 0), SMOOTHING)
    matches: list[ZoneMatch] = []
    for box in boxes:
        zone_w, zone_h = box[2] - box[0], box[3] - box[1]
        reach_x = int(np.clip(SEARCH_SHARE * zone_w, SEARCH_MIN, SEARCH_MAX))
        reach_y = int(np.clip(SEARCH_SHARE * zone_h, SEARCH_MIN, SEARCH_MAX))
        tolerance = (
            max(TOLERANCE_MIN, TOLERANCE_SHARE * zone_w),
            max(TOLERANCE_MIN, TOLERANCE_SHARE * zone_h),
        )
        scores: list[float] = []
        offset = 0.0
        misplaced = False
        unvouched = 0
        for band in _bands(box):
            left, top = int(np.floor(band[0])), int(np.floor(band[1]))
            right, bottom = int(np.ceil(band[2])), int(np.ceil(band[3]))
            outer = (left - reach_x, top - reach_y, right + reach_x, bottom + reach_y)
            if outer[0] < 0 or outer[1] < 0 or outer[2] > width or outer[3] > height:
                continue
            if not valid[outer[1] : outer[3], outer[0] : outer[2]].all():
                continue  # partly outside the picture: the page's coverage check judges that
            template = smooth_reference[top:bottom, left:right]
            if float(template.std()) < STRUCTURE_FLOOR:
                continue
            search = smooth_warped[outer[1] : outer[3], outer[0] : outer[2]]
            found = cv2.matchTemplate(search, template, cv2.TM_CCOEFF_NORMED)
            # "In place" allows what still makes a right crop (a share of the zone's size,
            # at least a pixel or two): a thin rule that far off correlates poorly exactly
            # in place.
            near_x = min(reach_x, max(NEAR, int(RIGHT_SHARE * zone_w)))
            near_y = min(reach_y, max(NEAR, int(RIGHT_SHARE * zone_h)))
            in_place = float(
                found[
                    reach_y - near_y : reach_y + near_y + 1,
                    reach_x - near_x : reach_x + near_x + 1,
                ].max()
            )
            scores.append(in_place)
            if in_place < POOR_IN_PLACE:
                seen = _count_within(visible, outer)
                vouched = seen >= VOUCHING_CORNERS and _count_within(agreeing, outer) >= (
                    VOUCHING_SHARE * seen
                )
                unvouched += 0 if vouched else 1
            best = float(found.max())
            exact = float(found[reach_y, reach_x])
            if best < MIN_FOUND or best - exact < CLEARLY_BETTER or exact >= GOOD_IN_PLACE:
                continue
            by, bx = np.unravel_index(int(found.argmax()), found.shape)
            dx, dy = abs(int(bx) - reach_x), abs(int(by) - reach_y)
            offset = max(offset, float(np.hypot(dx, dy)))
            if dx > tolerance[0] or dy > tolerance[1]:
                misplaced = True
        unmatched = unvouched >= UNMATCHED_BANDS
        matches.append(ZoneMatch(min(scores) if scores else None, offset, misplaced, unmatched))
    return matches
