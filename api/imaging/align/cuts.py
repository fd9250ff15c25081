"""Verify the cut itself: is each zone's printed surroundings where the crop was taken?

Whatever placed the zones (a homography, a mesh), the picture seen through that very
placement in the reference's working frame must show, around each zone, what the
reference shows there: its printed frame, labels and rules. Both are compared on edges
(gradient magnitude), which do not care about light, paper colour or ink density, by
normalised correlation over a ring around the zone — the zone's own inside is left out,
as it is filled in differently on every picture.

The ring is also looked for a little around its place. A ring found clearly better at a
shift beyond what still makes a right crop means the crop slipped (one row of a table,
a box further along a bent edge): refused on any page. Each side of the ring is also
judged on its own: three sides whose print is not found in place (an occluder's edge
pulled the placement, the paper folds or is covered there) refuse a page that is not
flat, where nothing else vouches for the zone; on a flat page the homography was
verified on the whole page, and a coin on a box's frame must not refuse the picture.

Everything here is in working-frame pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SMOOTHING = 2.0  # Gaussian sigma before the gradient, frame pixels: photo noise is not print
RING_SHARE = 0.25  # of the zone's shorter side: how far the ring reaches beyond the outline
RING_MIN = 6
RING_MAX = 24
INSET = 3  # frame pixels of the zone's inside the ring keeps: its outline's own line
REACH_SHARE = 0.15  # of the zone's size along an axis: how far around the ring is sought
REACH_MIN = 4
REACH_MAX = 16
PRINT_EDGE = 6.0  # gradient magnitude of the reference that is print, not paper
PRINT_SHARE = 0.05  # of a ring's (or a side's) pixels on print, for it to be judged
SLIP_SHARE = 0.06  # of the zone's size along an axis: an offset within it still cuts right
SLIP_MIN = 4.0  # frame pixels
CLEARLY_BETTER = 0.2  # correlation a shifted ring must gain over the ring in place
MIN_IN_PLACE = 0.2  # correlation below which a side's print is not where the cut says
MIN_RING = 0.12  # ... and the whole ring's (handwriting across a thin zone's ring: ~0.2)
UNMATCHED_SIDES = 3  # sides with print not found in place that make a zone unmatched


@dataclass(frozen=True)
class CutCheck:
    """What a zone's ring says about its cut: the correlation in place (None: the ring
    has no print to judge by or leaves the picture), the shift (dx, dy) at which the
    ring was found clearly better, or None, and the in-place correlation of each side
    that has print of its own."""

    in_place: float | None
    slip: tuple[int, int] | None = None
    sides: tuple[float, ...] = ()

    @property
    def slipped(self) -> bool:
        """The ring was found clearly better beyond what still makes a right crop."""
        return self.slip is not None

    def unmatched(self) -> bool:
        """The print of ``UNMATCHED_SIDES`` sides, or of the whole ring, is not found where
        the cut was taken."""
        if self.in_place is not None and self.in_place < MIN_RING:
            return True
        return sum(side < MIN_IN_PLACE for side in self.sides) >= UNMATCHED_SIDES


def edge_strength(image: np.ndarray) -> np.ndarray:
    """Gradient magnitude of a grey or normalised image, float32."""
    smooth = cv2.GaussianBlur(image.astype(np.float32), (0, 0), SMOOTHING)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(cv2.magnitude(gx, gy) / 8.0, np.float32)


def _ring_mask(shape: tuple[int, int], inner: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.ones(shape, np.float32)
    left, top, right, bottom = inner
    if right > left and bottom > top:
        mask[top:bottom, left:right] = 0.0
    return mask


def check_cuts(
    reference_edges: np.ndarray,
    warped: np.ndarray,
    seen: np.ndarray,
    boxes: list[tuple[float, float, float, float]],
) -> list[CutCheck]:
    """For each zone ``box`` (x0, y0, x1, y1 in frame pixels), its ring compared between
    the reference (``reference_edges``, see :func:`edge_strength`) and the ``warped``
    picture (seen through the placement the crops were cut with; ``seen`` where it is
    the picture's)."""
    height, width = reference_edges.shape
    picture_edges = edge_strength(warped)
    checks: list[CutCheck] = []
    for x0, y0, x1, y1 in boxes:
        zone_w, zone_h = x1 - x0, y1 - y0
        ring = int(np.clip(RING_SHARE * min(zone_w, zone_h), RING_MIN, RING_MAX))
        reach_x = int(np.clip(REACH_SHARE * zone_w, REACH_MIN, REACH_MAX))
        reach_y = int(np.clip(REACH_SHARE * zone_h, REACH_MIN, REACH_MAX))
        left, top = int(np.floor(x0)) - ring, int(np.floor(y0)) - ring
        right, bottom = int(np.ceil(x1)) + ring, int(np.ceil(y1)) + ring
        outer = (left - reach_x, top - reach_y, right + reach_x, bottom + reach_y)
        if outer[0] < 0 or outer[1] < 0 or outer[2] > width or outer[3] > height:
            checks.append(CutCheck(None))  # the ring leaves the reference: nothing to judge
            continue
        if not seen[outer[1] : outer[3], outer[0] : outer[2]].all():
            checks.append(CutCheck(None))  # partly outside the picture: coverage judges that
            continue
        inner = (
            int(np.ceil(x0)) + INSET - left,
            int(np.ceil(y0)) + INSET - top,
            int(np.floor(x1)) - INSET - left,
            int(np.floor(y1)) - INSET - top,
        )
        mask = _ring_mask((bottom - top, right - left), inner)
        template = reference_edges[top:bottom, left:right] * mask
        if not _has_print(template[mask > 0]):
            checks.append(CutCheck(None))
            continue
        search = picture_edges[outer[1] : outer[3], outer[0] : outer[2]]
        # Correlation over the ring only: the template's inside is zero and masked out.
        found = cv2.matchTemplate(search, template, cv2.TM_CCOEFF_NORMED, mask=mask)
        found = np.nan_to_num(found, nan=-1.0, posinf=-1.0, neginf=-1.0)
        in_place = float(found[reach_y, reach_x])
        best = float(found.max())
        slip: tuple[int, int] | None = None
        if best - in_place >= CLEARLY_BETTER:
            by, bx = np.unravel_index(int(found.argmax()), found.shape)
            dx, dy = int(bx) - reach_x, int(by) - reach_y
            if abs(dx) > max(SLIP_MIN, SLIP_SHARE * zone_w) or abs(dy) > max(
                SLIP_MIN, SLIP_SHARE * zone_h
            ):
                slip = (dx, dy)
        in_place_sides = _sides_in_place(
            reference_edges[top:bottom, left:right],
            picture_edges[top:bottom, left:right],
            (ring + INSET, ring + INSET),
        )
        checks.append(CutCheck(in_place, slip, in_place_sides))
    return checks


def _sides_in_place(
    reference: np.ndarray, picture: np.ndarray, depth: tuple[int, int]
) -> tuple[float, ...]:
    """The correlation in place of each side's strip of the ring (``depth`` across it,
    x and y) that has print of its own."""
    height, width = reference.shape
    across_x, across_y = depth
    strips = [
        (slice(0, across_y), slice(0, width)),  # top
        (slice(0, height), slice(width - across_x, width)),  # right
        (slice(height - across_y, height), slice(0, width)),  # bottom
        (slice(0, height), slice(0, across_x)),  # left
    ]
    found: list[float] = []
    for rows, columns in strips:
        template = reference[rows, columns]
        if not _has_print(template):
            continue
        found.append(_correlation(template, picture[rows, columns]))
    return tuple(found)


def _has_print(edges: np.ndarray) -> bool:
    """Whether enough of these reference edge pixels lie on print to judge by."""
    return edges.size > 0 and float(np.mean(edges > PRINT_EDGE)) >= PRINT_SHARE


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    scale = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / scale) if scale > 1e-6 else 0.0
