"""Rules to write on: a long horizontal line that meets no vertical one, with room
above it."""

from __future__ import annotations

import cv2
import numpy as np

from api.imaging.suggest.masks import INK_SPREAD, Found, Frame, LineParts

MIN_RULE = 150  # the shortest rule to write on
RULE_ROOM = 63  # writing room above a rule (8 mm)
RULE_GAP = 4  # room kept clear under print above a rule
SPECK = 10  # a blot of ink no wider nor taller than this...
SPECK_AREA = 36  # ...and of no more pixels than this is dust or noise, not print
MIN_RULE_ROOM = 16  # less room than this above a rule: underlined text, not a field


def rules_to_write_on(
    frame: Frame, ink: np.ndarray, rows: LineParts, vertical: np.ndarray
) -> list[Found]:
    """Rules to write on: long horizontal lines touching no vertical one, with room above."""
    shortest = frame.size(MIN_RULE)
    room = frame.size(RULE_ROOM)
    gap = frame.size(RULE_GAP)
    least = frame.size(MIN_RULE_ROOM)
    touching = cv2.dilate(vertical.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    speck = (frame.size(SPECK), frame.size(SPECK_AREA**0.5) ** 2)
    found: list[Found] = []
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
            Found(x + INK_SPREAD, top - height_free, x + w - INK_SPREAD, top, "underline", 0.7)
        )
    return found


def _without_specks(ink: np.ndarray, speck: tuple[int, int]) -> np.ndarray:
    """The ink of a window as booleans, less the blots no more than ``speck[0]`` across
    and of no more than ``speck[1]`` pixels."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    side = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    big = (side > speck[0]) | (stats[:, cv2.CC_STAT_AREA] > speck[1])
    big[0] = False
    return np.asarray(big[labels])
