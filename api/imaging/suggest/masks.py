"""The working copy of a page, its ink and its printed lines, and the rectangles found
on it. Sizes are given in pixels of an A4 page at 200 dpi (``DESIGN_LONG_SIDE`` long)
and scale with the page's long side."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from api.imaging.suggest.results import Kind

WORK_LONG_SIDE = 2400  # longer pages are searched at this size, then scaled back
DESIGN_LONG_SIDE = 2339  # the page the sizes below are given for: A4 at 200 dpi
INK_BLOCK = 31  # neighbourhood of the adaptive threshold, pixels
INK_OFFSET = 14  # how much darker than its neighbourhood ink is, grey levels
INK_SPREAD = 1  # pixels the ink mask reaches past the print (the blur before the threshold)
DARK_SHARE = 0.5  # darker than this share of the paper's grey is ink wherever it is
LINE_H = 40  # shortest horizontal run that is a line, not a letter's stroke
LINE_V = 30  # shortest vertical run that is a line
BRIDGE = 15  # gaps in a line up to this long are closed
LINE_GROWTH = 1  # pixels the line masks are thicker than the print, each side across


@dataclass(frozen=True)
class Frame:
    """The working copy of the page and its sizes, scaled to it."""

    grey: np.ndarray
    scale: float  # working pixels per reference pixel

    def size(self, design: float) -> int:
        """A size given for an A4 page at 200 dpi, in working pixels."""
        return max(1, round(design * int(max(self.grey.shape)) / DESIGN_LONG_SIDE))

    def kernel(self, design: float) -> int:
        """An odd size: OpenCV's closing and opening with an even kernel shift by a pixel."""
        return self.size(design) | 1


@dataclass(frozen=True)
class Found:
    """A suggestion in working pixels, edges fractional: x0 <= x < x1, y0 <= y < y1."""

    x0: float
    y0: float
    x1: float
    y1: float
    kind: Kind
    score: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """(x, y, width, height)."""
        return (self.x0, self.y0, self.width, self.height)


@dataclass(frozen=True)
class LineParts:
    """The separate lines of a mask, each running along the mask's rows: labels and
    (x, y, width, height, area) stats, as OpenCV's connected components give them."""

    labels: np.ndarray
    stats: np.ndarray

    @classmethod
    def of(cls, mask: np.ndarray) -> LineParts:
        """The lines of a boolean mask."""
        _count, labels, stats, _ = cv2.connectedComponentsWithStats(
            np.ascontiguousarray(mask).astype(np.uint8), connectivity=8
        )
        return cls(labels, stats)


def working_frame(image: Image.Image) -> Frame:
    """The page in grey, at most ``WORK_LONG_SIDE`` pixels long."""
    grey = np.asarray(image.convert("L"))
    height, width = grey.shape
    scale = min(1.0, WORK_LONG_SIDE / max(width, height))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        scale = grey.shape[1] / width
    return Frame(np.ascontiguousarray(grey), scale)


def find_ink(frame: Frame) -> np.ndarray:
    """Where the page is printed on, 0 or 255: darker than its neighbourhood, or dark
    outright (the middle of a solid block is as dark as its neighbourhood)."""
    block = max(15, frame.kernel(INK_BLOCK))
    smooth = cv2.GaussianBlur(frame.grey, (3, 3), 0)
    local = cv2.adaptiveThreshold(
        smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, INK_OFFSET
    )
    paper = float(np.percentile(smooth[::4, ::4], 90))
    dark = np.where(smooth < DARK_SHARE * paper, 255, 0).astype(np.uint8)
    return cv2.bitwise_or(local, dark)


def line_masks(frame: Frame, ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical printed lines, as boolean masks, each a pixel thicker
    across than printed (``LINE_GROWTH``): a thin rule on a skewed page runs in steps
    from row to row, and joining the steps first keeps its runs long."""
    masks = []
    for along, across in (((LINE_H, 1), (1, 3)), ((1, LINE_V), (3, 1))):
        joined = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, across))
        length = (frame.kernel(along[0]), 1) if along[1] == 1 else (1, frame.kernel(along[1]))
        bridge = (frame.kernel(BRIDGE), 1) if along[1] == 1 else (1, frame.kernel(BRIDGE))
        opened = cv2.morphologyEx(
            joined, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, length)
        )
        closed = cv2.morphologyEx(
            opened, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge)
        )
        masks.append(closed > 0)
    return masks[0], masks[1]


def fit_line(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, float]:
    """The least-squares line ``y = slope * x + offset`` through the points (weighted);
    (slope, offset). A single x gives a flat line through the mean."""
    w = np.ones(len(x)) if weights is None else weights.astype(np.float64)
    total = float(w.sum())
    mx = float((w * x).sum()) / total
    my = float((w * y).sum()) / total
    spread = float((w * (x - mx) ** 2).sum())
    slope = float((w * (x - mx) * (y - my)).sum()) / spread if spread > 0 else 0.0
    return slope, my - slope * mx


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x, y, width, height) rectangles."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0
