"""Printed frames: the insides of boxes and table cells, and small squares such as
checkboxes."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from api.imaging.suggest.masks import INK_SPREAD, LINE_GROWTH, Found, Frame, fit_line

JUNCTION_GAP = 14  # a line of the form ending this close to another meets it
LINE_END = 3  # the pixels at each end of a line that may touch another there
LONG_LINE = 60  # lines this long are a form's print, not a stroke of handwriting
ROUND_CORNER = 21  # the largest round corner of a frame, across
MIN_SIDE = 8  # the smallest inside of a frame, either way
MAX_STROKE = 9  # the thickest printed frame; thicker is a solid block with a hole
SIDE_TOLERANCE = 2.0  # pixels off its fitted side a column may be and still be on it
MIN_STRAIGHT = 0.8  # the share of each side that must lie on its fitted line
CHECKBOX_MAX = 60  # the largest checkbox inside, pixels
HOLE_FILL = 0.9  # how much of its bounding box a square hole fills (a letter D less)


@dataclass(frozen=True)
class _Side:
    """A straight side: ``offset + slope * position`` along it, and the share of the
    positions measured that lie on it."""

    offset: float
    slope: float
    share: float

    def at(self, position: float) -> float:
        """The side's offset at ``position`` along it."""
        return self.offset + self.slope * position


def _fit_side(offsets: np.ndarray, positions: np.ndarray, valid: np.ndarray) -> _Side | None:
    """A straight side through ``offsets`` measured at ``positions``, where ``valid``;
    fitted again on the ones near it, so a letter touching the frame counts for nothing.
    None when too few positions were measured."""
    kept = np.flatnonzero(valid)
    if len(kept) < max(3, 0.5 * len(valid)):
        return None
    at = positions[kept].astype(np.float64)
    values = offsets[kept].astype(np.float64)
    slope, offset = 0.0, float(np.median(values))
    for _ in range(3):
        inliers = np.abs(values - (offset + slope * at)) <= SIDE_TOLERANCE
        if inliers.sum() < 3:
            return None
        slope, offset = fit_line(at[inliers], values[inliers])
    on_it = np.abs(values - (offset + slope * at)) <= SIDE_TOLERANCE
    return _Side(offset, slope, float(on_it.sum()) / len(valid))


def _sides(region: np.ndarray) -> tuple[float, float, float, float, float] | None:
    """The four sides of a region filling the bounding box ``region`` is cut to, each
    fitted over its middle 80 %: (left, top, right, bottom, straightness), or None.

    The long sides come first, measured across the box; the short ones are then measured
    only between them, so that on a skewed page the corner of a long thin box, higher at
    one end than the box is tall, is not taken for its short side."""
    height, width = region.shape
    if height > width:
        across = _sides(np.ascontiguousarray(region.T))
        if across is None:
            return None
        # The transposed box's left, top, right and bottom are this one's top, left...
        return across[1], across[0], across[3], across[2], across[4]
    columns = np.arange(width // 10, width - width // 10)
    cut = region[:, columns]
    has = np.asarray(cut.any(axis=0))
    top = _fit_side(np.argmax(cut, axis=0), columns, has)
    bottom = _fit_side(height - np.argmax(cut[::-1, :], axis=0), columns, has)
    if top is None or bottom is None:
        return None
    ends: list[tuple[_Side | None, np.ndarray]] = []
    for column in (0.0, width - 1.0):
        low, high = top.at(column), bottom.at(column)
        margin = 0.1 * (high - low)
        rows = np.arange(max(0, round(low + margin)), min(height, round(high - margin)))
        if len(rows) < 3:
            return None
        band = region[rows, :]
        has_row = np.asarray(band.any(axis=1))
        if column == 0.0:
            ends.append((_fit_side(np.argmax(band, axis=1), rows, has_row), rows))
        else:
            ends.append((_fit_side(width - np.argmax(band[:, ::-1], axis=1), rows, has_row), rows))
    (left, left_rows), (right, right_rows) = ends
    if left is None or right is None:
        return None
    # Each side where it crosses the middle of the box: a skewed box keeps its centre.
    middle_x = (left.at(float(left_rows.mean())) + right.at(float(right_rows.mean()))) / 2
    middle_y = (top.at(middle_x) + bottom.at(middle_x)) / 2
    straight = min(side.share for side in (left, top, right, bottom))
    return left.at(middle_y), top.at(middle_x), right.at(middle_y), bottom.at(middle_x), straight


def _touching(mask: np.ndarray, *others: np.ndarray) -> np.ndarray:
    """The pieces of ``mask`` that touch every one of ``others`` (a round corner meets a
    horizontal and a vertical line; a word near them does not)."""
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros(mask.shape, bool)
    touch = np.ones((3, 3), np.uint8)
    meets = np.ones(count, bool)
    for other in others:
        near = labels[cv2.dilate(other.astype(np.uint8), touch) > 0]
        hit = np.bincount(near, minlength=count) > 0
        meets &= hit
    meets[0] = False
    return np.asarray(meets[labels])


def _long(frame: Frame, mask: np.ndarray, along: tuple[int, int]) -> np.ndarray:
    """The lines of ``mask`` at least ``LONG_LINE`` long, ``along`` (1, 0) or (0, 1)."""
    length = frame.kernel(LONG_LINE)
    shape = (1, length) if along == (1, 0) else (length, 1)
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones(shape, np.uint8))
    return opened > 0


def _ends_bridged(
    frame: Frame, horizontal: np.ndarray, vertical: np.ndarray, corners: np.ndarray
) -> np.ndarray:
    """All the lines, each free end of the form's lines joined to the line across it
    runs into when it stops within ``JUNCTION_GAP``.

    A faint rule may stop a few pixels short of the line it meets (the threshold sees
    less contrast next to dark print). Only free ends are drawn on (an end already at a
    corner is not, or a box near a frame line would close a strip between them), and
    only the form's lines: long ones, and short ones meeting a long one, as a table's
    rules do; not the strokes of handwriting in a box, which would tie it to the frame.
    """
    reach = frame.kernel(JUNCTION_GAP)
    end = 2 * frame.size(LINE_END) + 1
    long_h, long_v = _long(frame, horizontal, (1, 0)), _long(frame, vertical, (0, 1))
    form_h = long_h | _touching(horizontal, long_v)
    form_v = long_v | _touching(vertical, long_h)
    joined = horizontal | vertical | corners
    for lines, across, shape, tip in (
        (form_h, form_v | corners, (1, reach), (1, end)),
        (form_v, form_h | corners, (reach, 1), (end, 1)),
    ):
        u8 = lines.astype(np.uint8)
        ends = cv2.subtract(u8, cv2.erode(u8, np.ones(tip, np.uint8))) > 0
        free = ends & ~_touching(ends, across)
        kernel = np.ones(shape, np.uint8)
        closed = cv2.morphologyEx((free | across).astype(np.uint8), cv2.MORPH_CLOSE, kernel) > 0
        # Two lines across side by side (a narrow column) stay apart.
        between = cv2.morphologyEx(across.astype(np.uint8), cv2.MORPH_CLOSE, kernel) > 0
        joined |= closed & ~(between & ~across)
    return np.asarray(joined)


def enclosed_regions(
    frame: Frame, lines: tuple[np.ndarray, np.ndarray], ink: np.ndarray
) -> list[Found]:
    """The insides of printed frames: regions of no line enclosed by four straight sides
    of thin print (not holes cut in a solid block, such as white letters on a bar)."""
    horizontal, vertical = lines
    # A round corner is no line either way: the ink near both the end of a horizontal
    # and the end of a vertical line closes the frame.
    size = frame.kernel(ROUND_CORNER)
    near = np.ones((size, size), np.uint8)
    ends = []
    for mask, along in ((horizontal, (1, 2 * size + 1)), (vertical, (2 * size + 1, 1))):
        lines_u8 = mask.astype(np.uint8)
        inner = cv2.erode(lines_u8, np.ones(along, np.uint8))
        ends.append(cv2.dilate(cv2.subtract(lines_u8, inner), near) > 0)
    corners = _touching((ink > 0) & ends[0] & ends[1], horizontal, vertical)
    joined = _ends_bridged(frame, horizontal, vertical, corners).astype(np.uint8)
    grown = cv2.dilate(joined, np.ones((3, 3), np.uint8))
    free = np.where(grown > 0, 0, 255).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(free, connectivity=4)
    page_h, page_w = free.shape
    smallest = frame.size(MIN_SIDE)
    stroke = frame.size(MAX_STROKE) + 2 * INK_SPREAD
    found: list[Found] = []
    for index in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[index])
        if x == 0 or y == 0 or x + w >= page_w or y + h >= page_h:
            continue  # open to the page's edge: the page itself, not a frame
        if w < smallest or h < smallest or area < 0.3 * w * h:
            continue
        region = labels[y : y + h, x : x + w] == index
        sides = _sides(region)
        if sides is None:
            continue
        left, top, right, bottom, straight = sides
        if straight < MIN_STRAIGHT or right - left < smallest or bottom - top < smallest:
            continue
        # The ink spread past the print, the lines grew, then were grown by a pixel more.
        grow = INK_SPREAD + LINE_GROWTH + 1.0
        box = Found(
            x + left - grow, y + top - grow, x + right + grow, y + bottom + grow, "box", straight
        )
        if _thickest_side(ink, box, stroke) <= stroke:
            found.append(box)
    return found


def _side_runs(ink: np.ndarray, box: Found, reach: int) -> list[np.ndarray]:
    """The print around a box, side by side (top, bottom, left, right): at 16 places
    along the middle of each side, how long the run of ink going out from it is, up to
    ``reach`` (0 where none starts within it)."""
    height, width = ink.shape
    x0, y0, x1, y1 = (round(v) for v in (box.x0, box.y0, box.x1, box.y1))
    w, h = x1 - x0, y1 - y0
    along_x = np.linspace(x0 + w * 0.1, x1 - 1 - w * 0.1, 16).round().astype(int)
    along_y = np.linspace(y0 + h * 0.1, y1 - 1 - h * 0.1, 16).round().astype(int)
    columns = np.clip(along_x, 0, width - 1)
    rows = np.clip(along_y, 0, height - 1)
    steps = np.arange(-3, reach)  # from just inside the box outwards
    probes = (
        (np.clip(y0 - 1 - steps, 0, height - 1)[:, None], columns[None, :]),
        (np.clip(y1 + steps, 0, height - 1)[:, None], columns[None, :]),
        (rows[None, :], np.clip(x0 - 1 - steps, 0, width - 1)[:, None]),
        (rows[None, :], np.clip(x1 + steps, 0, width - 1)[:, None]),
    )
    runs = []
    for ys, xs in probes:
        slab = ink[ys, xs] > 0  # (steps, samples), outwards along axis 0
        started = np.cumsum(slab, axis=0) > 0
        first = np.argmax(slab, axis=0)
        ended = started & ~slab
        last = np.where(ended.any(axis=0), np.argmax(ended, axis=0), len(steps))
        runs.append(np.where(slab.any(axis=0), last - first, 0))
    return runs


def _paper_beyond(ink: np.ndarray, box: Found, strokes: tuple[int, int, int, int]) -> float:
    """How much of what lies just past a frame's stroke (``strokes``: top, bottom, left,
    right) is paper, on its worst side."""
    height, width = ink.shape
    x0, y0, x1, y1 = (round(v) for v in (box.x0, box.y0, box.x1, box.y1))
    top, bottom, left, right = (stroke + 3 for stroke in strokes)
    xs = np.clip(np.linspace(x0 + 0.1 * (x1 - x0), x1 - 1 - 0.1 * (x1 - x0), 16), 0, width - 1)
    ys = np.clip(np.linspace(y0 + 0.1 * (y1 - y0), y1 - 1 - 0.1 * (y1 - y0), 16), 0, height - 1)
    columns, rows = xs.round().astype(int), ys.round().astype(int)
    sides = (
        ink[max(0, y0 - top), columns],
        ink[min(height - 1, y1 - 1 + bottom), columns],
        ink[rows, max(0, x0 - left)],
        ink[rows, min(width - 1, x1 - 1 + right)],
    )
    return min(float(np.mean(side == 0)) for side in sides)


def _thickest_side(ink: np.ndarray, box: Found, limit: int) -> int:
    """How thick the print around a box is: its thickest side's (the median along it),
    at most ``limit`` + 1."""
    runs = _side_runs(ink, box, limit + 4)
    return min(max(int(np.median(side)) for side in runs), limit + 1)


def small_squares(frame: Frame, ink: np.ndarray) -> list[Found]:
    """Hollow squares of ink, such as checkboxes: holes whose outline is a square frame
    of even stroke all round, with ink at its corners."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    links = hierarchy[0]
    smallest, largest = frame.size(MIN_SIDE), frame.size(CHECKBOX_MAX)
    found: list[Found] = []
    for index, contour in enumerate(contours):
        if int(links[index][3]) < 0:
            continue  # an outline of ink, not a hole in it
        # The hole's outline runs along the ink's inner pixels, which are the pixels the
        # ink spread over past the print: its bounding box is the inside of the frame.
        hx, hy, hw, hh = cv2.boundingRect(contour)
        if not (smallest <= hw <= largest and smallest <= hh <= largest):
            continue
        if not 0.6 <= hw / hh <= 1.6:
            continue
        if cv2.contourArea(contour) < HOLE_FILL * (hw - 1) * (hh - 1):
            continue  # a round or jagged hole: a letter's, not a box's
        box = Found(hx, hy, hx + hw, hy + hh, "checkbox", 1.0)
        limit = max(3, round(0.3 * min(hw, hh)))
        runs = _side_runs(ink, box, limit + 4)
        strokes = [float(np.median(side)) for side in runs]
        if min(strokes) < 1 or max(strokes) > limit:
            continue
        if max(strokes) - min(strokes) > max(2.0, 0.5 * float(np.median(strokes))):
            continue
        even = min(
            float(np.mean(np.abs(side - stroke) <= 1.5))
            for side, stroke in zip(runs, strokes, strict=True)
        )
        if even < 0.75:
            continue  # not a frame of even stroke: a letter's hole, or print touching
        top, bottom, left, right = (round(v) for v in strokes)
        corners = (
            ink[hy - top : hy + 1, hx - left : hx + 1],
            ink[hy - top : hy + 1, hx + hw - 1 : hx + hw + right],
            ink[hy + hh - 1 : hy + hh + bottom, hx - left : hx + 1],
            ink[hy + hh - 1 : hy + hh + bottom, hx + hw - 1 : hx + hw + right],
        )
        if not all(corner.size and corner.any() for corner in corners):
            continue  # a round corner outside: a letter such as D
        if _paper_beyond(ink, box, (top, bottom, left, right)) < 0.6:
            continue  # a hole in a solid block, such as a white letter on a dark bar
        squareness = min(hw, hh) / max(hw, hh)
        found.append(Found(hx, hy, hx + hw, hy + hh, "checkbox", 0.8 + 0.2 * squareness * even))
    return found
