"""Zone suggestions: the printed boxes, table cells, checkboxes and rules to write on of a
reference page, and the printed lines that drawing snaps to.

On an 8-bit grey copy of the page (at most ``WORK_LONG_SIDE`` pixels long):

1. **ink**: pixels darker than their neighbourhood (an adaptive threshold after a light
   blur, so uneven light and scanner noise do not count);
2. **line masks**: ink opened with long thin kernels, horizontal and vertical; only runs
   longer than a letter's strokes survive, then gaps a scan leaves are bridged along the
   line;
3. **boxes and cells**: the regions of what is *not* line. A region enclosed by four
   straight sides is the inside of a printed frame. Each side is measured column by
   column (row by row) and fitted with a straight line, so a page skewed by a degree
   still gives the rectangle of the same centre and size, and text inside the frame,
   even touching it, changes nothing;
4. **small squares** (checkboxes), shorter than the line kernels: holes in the ink whose
   outline is a square of even stroke, with ink at its four corners;
5. **rules to write on**: a long horizontal line that meets no vertical one, with room
   above it; the field is as long as the rule and ``RULE_ROOM`` high, less where print
   comes nearer (``RULE_GAP`` short of it);
6. **merged**: of two near duplicates (IoU at least ``DUPLICATE_IOU``) the better one
   stays; a box nested tightly in another (a double frame) keeps the inner one; a frame
   holding most of the page is the page's border, not a field.

Each suggestion is the inside of its printed frame in reference pixels, with a ``kind``
(``box``, ``cell`` — a box sharing a side with another —, ``frame`` — a box holding
others, such as the header's —, ``checkbox``, ``underline``) and a ``score`` in 0-1: how
cleanly its sides were found. Lines are the centre lines of the printed strokes with
their thickness, so an edge can snap to the side of a stroke facing the zone.

Sizes are given in pixels of an A4 page at 200 dpi (2339 pixels long) and scale with the
page's long side.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

import cv2
import numpy as np
from PIL import Image

Kind = Literal["box", "cell", "frame", "checkbox", "underline"]
KINDS: tuple[Kind, ...] = ("box", "cell", "frame", "checkbox", "underline")

FORMAT_VERSION = 1
"""Bumped whenever cached suggestions would no longer match what this code computes."""

WORK_LONG_SIDE = 2400  # longer pages are searched at this size, then scaled back
DESIGN_LONG_SIDE = 2339  # the page the sizes below are given for: A4 at 200 dpi

INK_BLOCK = 31  # neighbourhood of the adaptive threshold, pixels
INK_OFFSET = 14  # how much darker than its neighbourhood ink is, grey levels
INK_SPREAD = 1  # pixels the ink mask reaches past the print (the blur before the threshold)
DARK_SHARE = 0.5  # darker than this share of the paper's grey is ink wherever it is
LINE_H = 40  # shortest horizontal run that is a line, not a letter's stroke
LINE_V = 30  # shortest vertical run that is a line
BRIDGE = 15  # gaps in a line up to this long are closed
JUNCTION_GAP = 10  # a long line ending this close to another meets it
LONG_LINE = 60  # lines this long are a form's print, not a stroke of handwriting
ROUND_CORNER = 21  # the largest round corner of a frame, across
LINE_GROWTH = 1  # pixels the line masks are thicker than the print, each side across
MIN_SIDE = 8  # the smallest inside of a frame, either way
MAX_STROKE = 9  # the thickest printed frame; thicker is a solid block with a hole
SIDE_TOLERANCE = 2.0  # pixels off its fitted side a column may be and still be on it
MIN_STRAIGHT = 0.8  # the share of each side that must lie on its fitted line
CHECKBOX_MAX = 60  # the largest checkbox inside, pixels
MIN_RULE = 150  # the shortest rule to write on
RULE_ROOM = 63  # writing room above a rule (8 mm)
RULE_GAP = 4  # room kept clear under print above a rule
SPECK = 5  # a blot of ink no wider nor taller than this is dust or noise, not print
MIN_RULE_ROOM = 16  # less room than this above a rule: underlined text, not a field
DUPLICATE_IOU = 0.8
PAGE_BORDER_SHARE = 0.5  # a frame holding more of the page than this is its border
MIN_LINE = 60  # shorter lines are not offered for snapping unless they meet another
MAX_LINES = 1500


@dataclass(frozen=True)
class Suggestion:
    """A suggested zone: the inside of a printed frame, in reference pixels."""

    x: int
    y: int
    width: int
    height: int
    kind: Kind
    score: float

    def iou(self, other: Suggestion) -> float:
        return _iou(
            (self.x, self.y, self.width, self.height),
            (other.x, other.y, other.width, other.height),
        )


@dataclass(frozen=True)
class PrintedLine:
    """The centre line of a printed stroke from (x1, y1) to (x2, y2), in reference pixels
    (pixel edges: a stroke covering rows 10 and 11 has its centre at y = 11), and how
    thick it is."""

    x1: float
    y1: float
    x2: float
    y2: float
    thickness: float


@dataclass(frozen=True)
class PageSuggestions:
    """Everything suggested on one page: zones best first, and the printed lines."""

    width: int
    height: int
    items: tuple[Suggestion, ...]
    lines: tuple[PrintedLine, ...]

    def to_bytes(self) -> bytes:
        """A small JSON document, for caching beside the reference."""
        body = {
            "version": FORMAT_VERSION,
            "size": [self.width, self.height],
            "items": [asdict(item) for item in self.items],
            "lines": [asdict(line) for line in self.lines],
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> PageSuggestions:
        """Read what :meth:`to_bytes` wrote; ``ValueError`` for another format version or
        anything else (the caller then computes the suggestions again)."""
        try:
            body = json.loads(data)
            if body["version"] != FORMAT_VERSION:
                message = f"Suggestions of format {body['version']}, not {FORMAT_VERSION}."
                raise ValueError(message)
            width, height = (int(v) for v in body["size"])
            items = tuple(
                Suggestion(
                    int(i["x"]),
                    int(i["y"]),
                    int(i["width"]),
                    int(i["height"]),
                    _kind(i["kind"]),
                    float(i["score"]),
                )
                for i in body["items"]
            )
            lines = tuple(
                PrintedLine(*(float(line[k]) for k in ("x1", "y1", "x2", "y2", "thickness")))
                for line in body["lines"]
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
            message = "Not suggestions data."
            raise ValueError(message) from error
        return cls(width, height, items, lines)


def _kind(value: object) -> Kind:
    for kind in KINDS:
        if value == kind:
            return kind
    message = f"Unknown suggestion kind {value!r}."
    raise ValueError(message)


# ----------------------------------------------------------------------------- the search


@dataclass(frozen=True)
class _Frame:
    """The working copy of the page and its sizes, scaled to it."""

    grey: np.ndarray
    scale: float  # working pixels per reference pixel

    def size(self, design: float) -> int:
        """A size given for an A4 page at 200 dpi, in working pixels."""
        return max(1, round(design * int(max(self.grey.shape)) / DESIGN_LONG_SIDE))

    def kernel(self, design: float) -> int:
        """An odd size: OpenCV's closing and opening with an even kernel shift by a pixel."""
        return self.size(design) | 1


def suggest(image: Image.Image) -> PageSuggestions:
    """The zones suggested on a reference page, best first, and its printed lines."""
    frame = _working_frame(image)
    ink = _ink(frame)
    horizontal, vertical = _line_masks(frame, ink)
    boxes = _enclosed_regions(frame, (horizontal, vertical), ink)
    # Rules and lines as printed: the masks without the pixel they grew by.
    horizontal &= ink > 0
    vertical &= ink > 0
    rows, columns = _Parts.of(horizontal), _Parts.of(vertical.T)
    boxes += _small_squares(frame, ink)
    boxes += _rules(frame, ink, rows, vertical)
    kept = _merge(frame, boxes)
    lines = _printed_lines(frame, rows, columns, horizontal, vertical)
    back = 1.0 / frame.scale
    width, height = image.size
    items = sorted(
        (_to_reference(box, back, width, height) for box in kept),
        key=lambda s: (-s.score, s.y, s.x),
    )
    return PageSuggestions(
        width,
        height,
        tuple(item for item in items if item.width >= 1 and item.height >= 1),
        tuple(
            PrintedLine(
                round(line.x1 * back, 2),
                round(line.y1 * back, 2),
                round(line.x2 * back, 2),
                round(line.y2 * back, 2),
                round(line.thickness * back, 2),
            )
            for line in lines
        ),
    )


@dataclass(frozen=True)
class _Parts:
    """The separate lines of a mask, each running along the mask's rows: labels and
    (x, y, width, height, area) stats, as OpenCV's connected components give them."""

    labels: np.ndarray
    stats: np.ndarray

    @classmethod
    def of(cls, mask: np.ndarray) -> _Parts:
        _count, labels, stats, _ = cv2.connectedComponentsWithStats(
            np.ascontiguousarray(mask).astype(np.uint8), connectivity=8
        )
        return cls(labels, stats)

    def region(self, index: int) -> tuple[int, int, int, int, int, np.ndarray]:
        """One line's box (x, y, width, height), area and mask cut to its box."""
        x, y, w, h, area = (int(v) for v in self.stats[index])
        return x, y, w, h, area, self.labels[y : y + h, x : x + w] == index


@dataclass(frozen=True)
class _Box:
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
        return (self.x0, self.y0, self.width, self.height)


def _to_reference(box: _Box, back: float, width: int, height: int) -> Suggestion:
    x0 = min(max(round(box.x0 * back), 0), width)
    y0 = min(max(round(box.y0 * back), 0), height)
    x1 = min(max(round(box.x1 * back), 0), width)
    y1 = min(max(round(box.y1 * back), 0), height)
    return Suggestion(x0, y0, x1 - x0, y1 - y0, box.kind, round(box.score, 3))


def _working_frame(image: Image.Image) -> _Frame:
    grey = np.asarray(image.convert("L"))
    height, width = grey.shape
    scale = min(1.0, WORK_LONG_SIDE / max(width, height))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        scale = grey.shape[1] / width
    return _Frame(np.ascontiguousarray(grey), scale)


def _ink(frame: _Frame) -> np.ndarray:
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


def _line_masks(frame: _Frame, ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


@dataclass(frozen=True)
class _Side:
    """A straight side: ``offset + slope * position`` along it, and the share of the
    positions measured that lie on it."""

    offset: float
    slope: float
    share: float

    def at(self, position: float) -> float:
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
        slope, offset = (float(v) for v in np.polyfit(at[inliers], values[inliers], 1))
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


def _touching_both(mask: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The pieces of ``mask`` that touch both ``first`` and ``second`` (a round corner
    meets a horizontal and a vertical line; a word near them does not)."""
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros_like(mask)
    touch = np.ones((3, 3), np.uint8)
    meets = np.ones(count, bool)
    for other in (first, second):
        hit = np.zeros(count, bool)
        hit[np.unique(labels[cv2.dilate(other.astype(np.uint8), touch) > 0])] = True
        meets &= hit
    meets[0] = False
    return np.asarray(meets[labels])


def _long(frame: _Frame, mask: np.ndarray, along: tuple[int, int]) -> np.ndarray:
    """The lines of ``mask`` at least ``LONG_LINE`` long, ``along`` (1, 0) or (0, 1)."""
    length = frame.kernel(LONG_LINE)
    shape = (1, length) if along == (1, 0) else (length, 1)
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones(shape, np.uint8))
    return opened > 0


def _enclosed_regions(
    frame: _Frame, lines: tuple[np.ndarray, np.ndarray], ink: np.ndarray
) -> list[_Box]:
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
    corners = _touching_both((ink > 0) & ends[0] & ends[1], horizontal, vertical)
    mask = (horizontal | vertical | corners).astype(np.uint8)
    # A faint rule may end a few pixels short of the dark one it meets (the threshold
    # sees less contrast next to dark print): gaps that short at the ends of long lines
    # are closed along rows and columns (not those of the short strokes of handwriting
    # in a box, which would tie it to the frame), then every line grows by a pixel.
    reach = frame.kernel(JUNCTION_GAP)
    long_lines = _long(frame, horizontal, (1, 0)) | _long(frame, vertical, (0, 1))
    bridged = (long_lines | corners).astype(np.uint8)
    joined = mask | cv2.morphologyEx(bridged, cv2.MORPH_CLOSE, np.ones((1, reach), np.uint8))
    joined |= cv2.morphologyEx(bridged, cv2.MORPH_CLOSE, np.ones((reach, 1), np.uint8))
    grown = cv2.dilate(joined, np.ones((3, 3), np.uint8))
    free = np.where(grown > 0, 0, 255).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(free, connectivity=4)
    page_h, page_w = free.shape
    smallest = frame.size(MIN_SIDE)
    stroke = frame.size(MAX_STROKE) + 2 * INK_SPREAD
    found: list[_Box] = []
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
        box = _Box(
            x + left - grow, y + top - grow, x + right + grow, y + bottom + grow, "box", straight
        )
        if _thickest_side(ink, box, stroke) <= stroke:
            found.append(box)
    return found


def _side_runs(ink: np.ndarray, box: _Box, reach: int) -> list[np.ndarray]:
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


def _thickest_side(ink: np.ndarray, box: _Box, limit: int) -> int:
    """How thick the print around a box is: its thickest side's (the median along it),
    at most ``limit`` + 1."""
    runs = _side_runs(ink, box, limit + 4)
    return min(max(int(np.median(side)) for side in runs), limit + 1)


def _small_squares(frame: _Frame, ink: np.ndarray) -> list[_Box]:
    """Hollow squares of ink, such as checkboxes: holes whose outline is a square frame
    of even stroke all round, with ink at its corners."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    links = hierarchy[0]
    smallest, largest = frame.size(MIN_SIDE), frame.size(CHECKBOX_MAX)
    found: list[_Box] = []
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
        if cv2.contourArea(contour) < 0.85 * (hw - 1) * (hh - 1):
            continue  # a round or jagged hole: a letter's, not a box's
        box = _Box(hx, hy, hx + hw, hy + hh, "checkbox", 1.0)
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
        squareness = min(hw, hh) / max(hw, hh)
        found.append(_Box(hx, hy, hx + hw, hy + hh, "checkbox", 0.8 + 0.2 * squareness * even))
    return found


def _rules(frame: _Frame, ink: np.ndarray, rows: _Parts, vertical: np.ndarray) -> list[_Box]:
    """Rules to write on: long horizontal lines touching no vertical one, with room above."""
    shortest = frame.size(MIN_RULE)
    room = frame.size(RULE_ROOM)
    gap = frame.size(RULE_GAP)
    least = frame.size(MIN_RULE_ROOM)
    touching = cv2.dilate(vertical.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    speck = frame.size(SPECK)
    found: list[_Box] = []
    for index in range(1, len(rows.stats)):
        x, y, w, h, _area = (int(v) for v in rows.stats[index])
        if w < shortest or h > frame.size(8) + w * 0.03:
            continue
        region = rows.labels[y : y + h, x : x + w] == index
        if (touching[y : y + h, x : x + w] & region).any():
            continue  # a side of a frame or table
        tops = y + np.argmax(region, axis=0)  # the rule's top, column by column
        # Print above the rule, in a window reaching past the room: specks of dust and
        # noise, a few pixels across, do not count.
        span = room + gap + 1
        window_top = max(0, int(tops.min()) - span)
        window = _without_specks(ink[window_top : int(tops.max()), x : x + w], speck)
        distance = tops[None, :] - window_top - np.arange(1, span + 1)[:, None]  # (span, w)
        inside = distance >= 0
        printed = np.zeros(distance.shape, dtype=bool)
        columns = np.broadcast_to(np.arange(w), distance.shape)
        printed[inside] = window[distance[inside], columns[inside]]
        printed[:3] = False  # the rule's own edge, ragged on a skewed page
        busy = np.flatnonzero(printed.any(axis=1))
        nearest = int(busy[0]) + 1 if len(busy) else span + 1  # rows up from the rule's ink
        # Both the rule and the print above spread by INK_SPREAD towards each other.
        height_free = min(room, nearest + 2 * INK_SPREAD - 1 - gap)
        if height_free < least:
            continue  # print sits on the rule: underlined text or a heading's rule
        top = float(np.median(tops)) + INK_SPREAD
        found.append(
            _Box(x + INK_SPREAD, top - height_free, x + w - INK_SPREAD, top, "underline", 0.7)
        )
    return found


def _without_specks(ink: np.ndarray, speck: int) -> np.ndarray:
    """The ink of a window as booleans, less the blots no more than ``speck`` across."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    big = (stats[:, cv2.CC_STAT_WIDTH] > speck) | (stats[:, cv2.CC_STAT_HEIGHT] > speck)
    big[0] = False
    return np.asarray(big[labels])


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _inside(inner: _Box, outer: _Box, slack: float) -> bool:
    return (
        inner.x0 >= outer.x0 - slack
        and inner.y0 >= outer.y0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y1 <= outer.y1 + slack
    )


def _merge(frame: _Frame, boxes: list[_Box]) -> list[_Box]:
    """Duplicates dropped, double frames kept once, kinds given by the neighbours."""
    page_h, page_w = frame.grey.shape
    boxes = [b for b in boxes if b.width * b.height <= PAGE_BORDER_SHARE * page_w * page_h]
    boxes.sort(key=lambda b: -b.score)
    kept: list[_Box] = []
    for box in boxes:
        if any(_iou(box.rect, other.rect) >= DUPLICATE_IOU for other in kept):
            continue
        kept.append(box)
    slack = 2.0
    tight = frame.size(12)
    nested_in: dict[int, list[int]] = {i: [] for i in range(len(kept))}
    for i, outer in enumerate(kept):
        for j, inner in enumerate(kept):
            if i != j and inner.kind != "underline" and _inside(inner, outer, slack):
                nested_in[i].append(j)
    dropped: set[int] = set()
    for i, inside in nested_in.items():
        if len(inside) != 1:
            continue
        outer, inner = kept[i], kept[inside[0]]
        gaps = (inner.x0 - outer.x0, inner.y0 - outer.y0, outer.x1 - inner.x1, outer.y1 - inner.y1)
        limit = max(tight, 0.12 * min(outer.width, outer.height))
        if max(gaps) <= limit:
            dropped.add(i)  # a double frame: its inside is the inner one
    result: list[_Box] = []
    reach = frame.size(8)
    for i, box in enumerate(kept):
        if i in dropped:
            continue
        kind = box.kind
        if kind in ("box", "checkbox"):
            if any(j not in dropped for j in nested_in[i]):
                kind = "frame"
            elif kind == "box" and _shares_a_side(box, kept, dropped, i, reach):
                kind = "cell"
            elif kind == "box" and _small_square(frame, box):
                kind = "checkbox"
        result.append(_Box(box.x0, box.y0, box.x1, box.y1, kind, box.score))
    return result


def _small_square(frame: _Frame, box: _Box) -> bool:
    largest = frame.size(CHECKBOX_MAX)
    return box.width <= largest and box.height <= largest and 0.6 <= box.width / box.height <= 1.6


def _shares_a_side(box: _Box, boxes: list[_Box], dropped: set[int], own: int, reach: int) -> bool:
    """Another box lies across one line from this one, alongside it: a table's cells."""
    for j, other in enumerate(boxes):
        if j == own or j in dropped or other.kind == "underline":
            continue
        overlap_x = min(box.x1, other.x1) - max(box.x0, other.x0)
        overlap_y = min(box.y1, other.y1) - max(box.y0, other.y0)
        gap_x = max(other.x0 - box.x1, box.x0 - other.x1)
        gap_y = max(other.y0 - box.y1, box.y0 - other.y1)
        if overlap_x > 0.5 * min(box.width, other.width) and 0 <= gap_y <= reach:
            return True
        if overlap_y > 0.5 * min(box.height, other.height) and 0 <= gap_x <= reach:
            return True
    return False


def _printed_lines(
    frame: _Frame, rows: _Parts, columns: _Parts, horizontal: np.ndarray, vertical: np.ndarray
) -> list[PrintedLine]:
    """The centre lines of the printed strokes, longest first."""
    shortest = frame.size(MIN_LINE)
    found: list[tuple[float, PrintedLine]] = []
    meet_h = cv2.dilate(horizontal.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    meet_v = cv2.dilate(vertical.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    for parts, partner, across in ((rows, meet_v, False), (columns, meet_h.T, True)):
        for index in range(1, len(parts.stats)):
            x, y, w, h, area = (int(v) for v in parts.stats[index])
            if w < frame.size(LINE_V) or h > w:
                continue
            region = parts.labels[y : y + h, x : x + w] == index
            if w < shortest and not (partner[y : y + h, x : x + w] & region).any():
                continue  # a short stroke that meets nothing: a letter's
            weights = region.sum(axis=0).astype(np.float64)
            offsets = np.arange(h, dtype=np.float64)[:, None]
            centres = (region * offsets).sum(axis=0) / np.maximum(weights, 1.0) + 0.5
            along = np.arange(w, dtype=np.float64) + 0.5
            valid = weights > 0
            if valid.sum() >= 2:
                slope, intercept = np.polyfit(along[valid], centres[valid], 1)
            else:
                slope, intercept = 0.0, float(h) / 2
            # The ink spread past the print at both ends and both sides.
            start, end = x + INK_SPREAD, x + w - INK_SPREAD
            first = y + intercept + slope * (start - x)
            last = y + intercept + slope * (end - x)
            thickness = max(1.0, area / w - 2 * INK_SPREAD)
            line = (
                PrintedLine(first, float(start), last, float(end), thickness)
                if across
                else PrintedLine(float(start), first, float(end), last, thickness)
            )
            found.append((float(w), line))
    found.sort(key=lambda item: -item[0])
    return [line for _, line in found[:MAX_LINES]]
