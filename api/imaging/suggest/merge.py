"""What was found, merged: duplicates dropped, double frames kept once, the page's
border left out, and each rectangle's kind given by its neighbours."""

from __future__ import annotations

from api.imaging.suggest.frames import CHECKBOX_MAX
from api.imaging.suggest.masks import Found, Frame, iou

DUPLICATE_IOU = 0.8
PAGE_BORDER_SHARE = 0.5  # a frame holding more of the page than this is its border
SIDE_SLACK = 8  # pixels between a frame's inside and the top of a rule that is its side


def _inside(inner: Found, outer: Found, slack: float) -> bool:
    return (
        inner.x0 >= outer.x0 - slack
        and inner.y0 >= outer.y0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y1 <= outer.y1 + slack
    )


def _bottom_side(rule: Found, frames: list[Found], slack: int) -> bool:
    """The rule is a frame's own bottom side (a frame with round corners, whose sides
    meet no vertical line): it runs along the frame's bottom, nearly all of it."""
    for box in frames:
        along = min(rule.x1, box.x1) - max(rule.x0, box.x0)
        if abs(rule.y1 - box.y1) <= slack and along >= 0.9 * max(rule.width, box.width):
            return True
    return False


def merged(frame: Frame, boxes: list[Found]) -> list[Found]:
    """Duplicates dropped, double frames kept once, kinds given by the neighbours."""
    page_h, page_w = frame.grey.shape
    boxes = [b for b in boxes if b.width * b.height <= PAGE_BORDER_SHARE * page_w * page_h]
    frames = [b for b in boxes if b.kind != "underline"]
    side = frame.size(SIDE_SLACK)
    boxes = [b for b in boxes if b.kind != "underline" or not _bottom_side(b, frames, side)]
    boxes.sort(key=lambda b: -b.score)
    kept: list[Found] = []
    for box in boxes:
        if any(iou(box.rect, other.rect) >= DUPLICATE_IOU for other in kept):
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
    result: list[Found] = []
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
        result.append(Found(box.x0, box.y0, box.x1, box.y1, kind, box.score))
    return result


def _small_square(frame: Frame, box: Found) -> bool:
    largest = frame.size(CHECKBOX_MAX)
    return box.width <= largest and box.height <= largest and 0.6 <= box.width / box.height <= 1.6


def _shares_a_side(box: Found, boxes: list[Found], dropped: set[int], own: int, reach: int) -> bool:
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
