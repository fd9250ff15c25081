"""Zones as pixel boxes, and how a zone drawn on the reference lands on a new picture.

Coordinates are integer pixels of an upright picture (EXIF orientation applied), origin
at the top-left corner, x to the right, y down. A :class:`Box` covers the pixels
``x <= px < x + width`` and ``y <= py < y + height``.

A :data:`Matrix` is a 3x3 row-major homography that maps reference-picture coordinates
to picture coordinates: ``(x', y', w') = M @ (x, y, 1)``, point ``(x'/w', y'/w')``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from api.imaging.errors import AspectMismatch

Matrix = tuple[tuple[float, float, float], ...]
"""3x3 row-major homography from reference pixel coordinates to picture pixel coordinates."""

IDENTITY: Matrix = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))

DEFAULT_ASPECT_TOLERANCE = 0.02
"""Largest relative aspect-ratio difference accepted by ``scale`` alignment (2 %)."""


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle of whole pixels; ``width`` and ``height`` are at least 1."""

    x: int
    y: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            size = f"{self.width}x{self.height}"
            message = f"A box needs a width and height of at least 1 pixel, not {size}."
            raise ValueError(message)

    @property
    def right(self) -> int:
        """The x just past the last column (``x + width``)."""
        return self.x + self.width

    @property
    def bottom(self) -> int:
        """The y just past the last row (``y + height``)."""
        return self.y + self.height

    @property
    def area(self) -> int:
        """Number of pixels covered."""
        return self.width * self.height

    def fits_within(self, width: int, height: int) -> bool:
        """Whether the box lies entirely inside a ``width`` x ``height`` picture."""
        return self.x >= 0 and self.y >= 0 and self.right <= width and self.bottom <= height

    def as_ltrb(self) -> tuple[int, int, int, int]:
        """``(left, top, right, bottom)``, the box tuple Pillow's ``crop`` takes."""
        return self.x, self.y, self.right, self.bottom


def aspect_difference(reference_size: tuple[int, int], picture_size: tuple[int, int]) -> float:
    """Relative difference between two aspect ratios, as used by the ``scale`` rule.

    With ``a`` and ``b`` the two width / height ratios, the difference is
    ``max(a, b) / min(a, b) - 1``: 0 for equal shapes, 0.02 when one is 2 % wider than
    the other. It is symmetric (swapping the pictures changes nothing) and the same
    whether measured on width / height or height / width.
    """
    ratio = _aspect_ratio_of_ratios(reference_size, picture_size)
    return float(ratio - 1)


def scale_matrix(
    reference_size: tuple[int, int],
    picture_size: tuple[int, int],
    *,
    aspect_tolerance: float = DEFAULT_ASPECT_TOLERANCE,
) -> Matrix:
    """The ``scale`` alignment: stretch the reference's pixel grid onto the picture's.

    Returns ``((sx, 0, 0), (0, sy, 0), (0, 0, 1))`` with ``sx = picture width / reference
    width`` and ``sy = picture height / reference height``. Raises
    :class:`AspectMismatch` when :func:`aspect_difference` is more than
    ``aspect_tolerance`` (a difference of exactly the tolerance is accepted; the
    comparison is exact, not subject to float rounding).
    """
    ref_w, ref_h = _checked_size(reference_size, "reference")
    pic_w, pic_h = _checked_size(picture_size, "picture")
    ratio = _aspect_ratio_of_ratios((ref_w, ref_h), (pic_w, pic_h))
    tolerance = Fraction(aspect_tolerance).limit_denominator(1_000_000)
    if ratio > 1 + tolerance:
        raise AspectMismatch(
            reference_aspect=ref_w / ref_h,
            picture_aspect=pic_w / pic_h,
            tolerance=aspect_tolerance,
            difference=float(ratio - 1),
        )
    return ((pic_w / ref_w, 0.0, 0.0), (0.0, pic_h / ref_h, 0.0), (0.0, 0.0, 1.0))


def map_box_by_scale(box: Box, matrix: Matrix, picture_size: tuple[int, int]) -> Box:
    """Map a reference ``box`` onto the picture with an axis-aligned ``matrix``.

    Each edge is mapped and rounded on its own (halves round up), so two zones that
    share an edge on the reference still share it on the picture: no gap, no overlap.
    The result is clamped to the picture and is never less than 1 pixel wide or high.
    Raises ``ValueError`` for a matrix with rotation, shear or perspective.
    """
    (sx, shx, tx), (shy, sy, ty), (px, py, pw) = matrix
    if shx != 0 or shy != 0 or px != 0 or py != 0 or pw != 1 or sx <= 0 or sy <= 0:
        message = "map_box_by_scale needs a matrix that only scales and translates."
        raise ValueError(message)
    width, height = _checked_size(picture_size, "picture")
    left, right = _map_span(box.x, box.right, sx, tx, width)
    top, bottom = _map_span(box.y, box.bottom, sy, ty, height)
    return Box(left, top, right - left, bottom - top)


def _map_span(start: int, end: int, scale: float, offset: float, limit: int) -> tuple[int, int]:
    """Map the edges of ``[start, end)`` and clamp them to ``[0, limit)``, keeping >= 1 pixel."""
    low = min(max(_round_half_up(start * scale + offset), 0), limit - 1)
    high = min(max(_round_half_up(end * scale + offset), low + 1), limit)
    return low, high


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def _aspect_ratio_of_ratios(first: tuple[int, int], second: tuple[int, int]) -> Fraction:
    """``max(a, b) / min(a, b)`` for the aspect ratios a, b of two sizes, exactly."""
    (w1, h1), (w2, h2) = _checked_size(first, "reference"), _checked_size(second, "picture")
    cross1, cross2 = w1 * h2, w2 * h1
    return Fraction(max(cross1, cross2), min(cross1, cross2))


def _checked_size(size: tuple[int, int], what: str) -> tuple[int, int]:
    width, height = size
    if width < 1 or height < 1:
        message = f"The {what} size must be at least 1x1 pixels, not {width}x{height}."
        raise ValueError(message)
    return width, height
