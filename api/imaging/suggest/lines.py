"""The printed lines that drawing snaps to: the centre line of each stroke, with its
thickness."""

from __future__ import annotations

import cv2
import numpy as np

from api.imaging.suggest.masks import INK_SPREAD, LINE_V, Frame, LineParts, fit_line
from api.imaging.suggest.results import PrintedLine

MIN_LINE = 60  # shorter lines are not offered for snapping unless they meet another
MAX_LINES = 1500


def printed_lines(
    frame: Frame, rows: LineParts, columns: LineParts, horizontal: np.ndarray, vertical: np.ndarray
) -> list[PrintedLine]:
    """The centre lines of the printed strokes, longest first: the long ones, and short
    ones meeting a long one across (a table's rules, a small box's sides), not the
    strokes of big letters, which meet only each other."""
    shortest = frame.size(MIN_LINE)
    length = frame.kernel(MIN_LINE)
    found: list[tuple[float, PrintedLine]] = []
    near = np.ones((5, 5), np.uint8)
    long_h = cv2.morphologyEx(
        horizontal.astype(np.uint8), cv2.MORPH_OPEN, np.ones((1, length), np.uint8)
    )
    long_v = cv2.morphologyEx(
        vertical.astype(np.uint8), cv2.MORPH_OPEN, np.ones((length, 1), np.uint8)
    )
    meet_h = cv2.dilate(long_h, near) > 0
    meet_v = cv2.dilate(long_v, near) > 0
    for parts, partner, across in ((rows, meet_v, False), (columns, meet_h.T, True)):
        for index in range(1, len(parts.stats)):
            x, y, w, h, area = (int(v) for v in parts.stats[index])
            if w < frame.size(LINE_V) or h > w:
                continue
            region = parts.labels[y : y + h, x : x + w] == index
            if w < shortest and not (partner[y : y + h, x : x + w] & region).any():
                continue  # a short stroke that meets no long line: a letter's
            weights = region.sum(axis=0).astype(np.float64)
            offsets = np.arange(h, dtype=np.float64)[:, None]
            centres = (region * offsets).sum(axis=0) / np.maximum(weights, 1.0) + 0.5
            along = np.arange(w, dtype=np.float64) + 0.5
            valid = weights > 0
            if valid.sum() >= 2:
                slope, intercept = fit_line(along[valid], centres[valid], weights[valid])
            else:
                slope, intercept = 0.0, float(h) / 2
            # The ink spread past the print at both ends and both sides.
            start, end = x + INK_SPREAD, x + w - INK_SPREAD
            first = float(y + intercept + slope * (start - x))
            last = float(y + intercept + slope * (end - x))
            thickness = max(1.0, area / w - 2 * INK_SPREAD)
            line = (
                PrintedLine(first, float(start), last, float(end), thickness)
                if across
                else PrintedLine(float(start), first, float(end), last, thickness)
            )
            found.append((float(w), line))
    found.sort(key=lambda item: -item[0])
    return [line for _, line in found[:MAX_LINES]]
