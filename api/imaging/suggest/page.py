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

This module is the entry point; the steps live in ``masks`` (1, 2), ``frames`` (3, 4),
``rules`` (5), ``merge`` (6) and ``lines``; ``results`` holds what is answered and
cached.

Sizes are given in pixels of an A4 page at 200 dpi (2339 pixels long) and scale with the
page's long side.
"""

from __future__ import annotations

from PIL import Image

from api.imaging.suggest.frames import enclosed_regions, small_squares
from api.imaging.suggest.lines import printed_lines
from api.imaging.suggest.masks import Found, LineParts, find_ink, line_masks, working_frame
from api.imaging.suggest.merge import merged
from api.imaging.suggest.results import PageSuggestions, PrintedLine, Suggestion
from api.imaging.suggest.rules import rules_to_write_on


def suggest(image: Image.Image) -> PageSuggestions:
    """The zones suggested on a reference page, best first, and its printed lines."""
    frame = working_frame(image)
    ink = find_ink(frame)
    horizontal, vertical = line_masks(frame, ink)
    boxes = enclosed_regions(frame, (horizontal, vertical), ink)
    # Rules and lines as printed: the masks without the pixel they grew by.
    horizontal &= ink > 0
    vertical &= ink > 0
    rows, columns = LineParts.of(horizontal), LineParts.of(vertical.T)
    boxes += small_squares(frame, ink)
    boxes += rules_to_write_on(frame, ink, rows, vertical)
    kept = merged(frame, boxes)
    lines = printed_lines(frame, rows, columns, horizontal, vertical)
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


def _to_reference(box: Found, back: float, width: int, height: int) -> Suggestion:
    x0 = min(max(round(box.x0 * back), 0), width)
    y0 = min(max(round(box.y0 * back), 0), height)
    x1 = min(max(round(box.x1 * back), 0), width)
    y1 = min(max(round(box.y1 * back), 0), height)
    return Suggestion(x0, y0, x1 - x0, y1 - y0, box.kind, round(box.score, 3))
