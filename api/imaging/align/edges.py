"""Straight print as evidence for the mesh: box outlines and rules, measured across.

A nearly blank form has few corners (a box has four) but long lines, and a line says
exactly where it is across itself, however little it says along it. So points are picked
along the reference's straight, strong edges, each with the edge's normal, and found in
the picture by sliding a short profile across the edge: the offset along the normal is
one constraint on the mesh (:func:`api.imaging.align.mesh.fit_to_points`), as a corner
gives two.

The search reaches ``SEARCH`` pixels either way: less than half the gap between two
parallel rules of a form, so it does not jump to the next one. It runs once the corners
have brought the mesh that close.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SPACING = 8  # frame pixels: one edge point per cell of this size, at most
COHERENCE = 0.9  # how one-directional the gradients around a point must be (0-1)
STRENGTH = 0.25  # of the strongest gradients (99th percentile): weaker edges are not print
TENSOR_SIGMA = 3.0  # frame pixels: the neighbourhood the edge must be straight over
HALF_PROFILE = 6  # frame pixels each side of the edge the profile covers
ALONG = (-4.0, -2.0, 0.0, 2.0, 4.0)  # frame pixels along the edge averaged into one profile
SEARCH = 6.0  # frame pixels either way across the edge
STEP = 0.5  # frame pixels between the shifts tried
MIN_CORRELATION = 0.8  # a profile found less alike than this is not found


@dataclass(frozen=True)
class Edges:
    """Points on straight print (frame pixels) and the unit normal of the edge there."""

    points: np.ndarray
    normals: np.ndarray

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class EdgeOffsets:
    """Where edge points were found: ``points`` in the reference frame, ``normals``, and
    ``values``, how far the picture shows each of them along its normal."""

    points: np.ndarray
    normals: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.points)


def find_edges(reference: np.ndarray) -> Edges:
    """Points along the straight, strong edges of a normalised reference."""
    smooth = cv2.GaussianBlur(reference.astype(np.float32), (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), TENSOR_SIGMA)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), TENSOR_SIGMA)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), TENSOR_SIGMA)
    trace = jxx + jyy
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum(trace, 1e-6)
    magnitude = np.hypot(gx, gy)
    floor = STRENGTH * float(np.percentile(magnitude, 99))
    score = np.where((coherence >= COHERENCE) & (magnitude >= max(floor, 1.0)), magnitude, 0.0)
    height, width = reference.shape
    rows, cols = height // SPACING, width // SPACING
    blocks = score[: rows * SPACING, : cols * SPACING].reshape(rows, SPACING, cols, SPACING)
    cells = blocks.transpose(0, 2, 1, 3).reshape(rows, cols, SPACING * SPACING)
    best = cells.argmax(axis=2)
    keep = np.take_along_axis(cells, best[..., None], axis=2)[..., 0] > 0
    cell_y, cell_x = np.nonzero(keep)
    offset_y, offset_x = np.divmod(best[keep], SPACING)
    ys = cell_y * SPACING + offset_y
    xs = cell_x * SPACING + offset_x
    # The edge's normal: the main direction of the gradients around the point.
    angle = 0.5 * np.arctan2(2 * jxy[ys, xs], jxx[ys, xs] - jyy[ys, xs])
    normals = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    points = np.stack([xs, ys], axis=1).astype(np.float64) + 0.5
    margin = HALF_PROFILE + SEARCH + max(abs(a) for a in ALONG) + 1
    inside = (
        (points[:, 0] > margin)
        & (points[:, 1] > margin)
        & (points[:, 0] < width - margin)
        & (points[:, 1] < height - margin)
    )
    return Edges(points[inside], normals[inside])


def _profiles(
    image: np.ndarray, points: np.ndarray, normals: np.ndarray, reach: float
) -> np.ndarray:
    """``image`` sampled across each edge through ``points`` from ``-reach`` to ``reach``
    every ``STEP`` pixels along its normal, averaged along the edge: (edges, samples)."""
    steps = np.arange(-reach, reach + STEP / 2, STEP)
    along = np.array(ALONG)
    tangents = np.stack([-normals[:, 1], normals[:, 0]], axis=1)
    # (edges, along, steps, 2): point + a * tangent + s * normal, in pixel-centre terms.
    grid = (
        points[:, None, None, :]
        + along[None, :, None, None] * tangents[:, None, None, :]
        + steps[None, None, :, None] * normals[:, None, None, :]
        - 0.5
    )
    flat = grid.reshape(-1, steps.size, 2).astype(np.float32)
    sampled = cv2.remap(
        image.astype(np.float32),
        np.ascontiguousarray(flat[..., 0]),
        np.ascontiguousarray(flat[..., 1]),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(sampled.reshape(len(points), along.size, steps.size).mean(axis=1))


def _standardise(values: np.ndarray) -> np.ndarray:
    centred = values - values.mean(axis=-1, keepdims=True)
    spread = np.linalg.norm(centred, axis=-1, keepdims=True)
    return np.asarray(centred / np.maximum(spread, 1e-6))


def measure(reference: np.ndarray, image: np.ndarray, edges: Edges) -> EdgeOffsets:
    """How far across itself each edge point of the normalised ``reference`` lies in the
    normalised ``image`` (same frame); points not found clearly are left out."""
    if len(edges) == 0:
        empty = np.zeros((0, 2))
        return EdgeOffsets(empty, empty, np.zeros(0))
    template = _standardise(_profiles(reference, edges.points, edges.normals, HALF_PROFILE))
    width = template.shape[1]
    seen = _profiles(image, edges.points, edges.normals, HALF_PROFILE + SEARCH)
    windows = np.lib.stride_tricks.sliding_window_view(seen, width, axis=1)
    scores = np.einsum("nsk,nk->ns", _standardise(windows), template)
    best = scores.argmax(axis=1)
    rows = np.arange(len(edges))
    peak = scores[rows, best]
    interior = (best > 0) & (best < scores.shape[1] - 1)
    left = scores[rows, np.clip(best - 1, 0, None)]
    right = scores[rows, np.clip(best + 1, None, scores.shape[1] - 1)]
    curvature = left - 2 * peak + right
    fraction = np.where(curvature < -1e-9, 0.5 * (left - right) / np.minimum(curvature, -1e-9), 0)
    shift = (best + np.clip(fraction, -0.5, 0.5)) * STEP - SEARCH
    found = interior & (peak >= MIN_CORRELATION)
    points, normals = edges.points[found], edges.normals[found]
    shift = _polish(image, points, normals, template[found], shift[found])
    return EdgeOffsets(points, normals, shift)


def _polish(
    image: np.ndarray,
    points: np.ndarray,
    normals: np.ndarray,
    template: np.ndarray,
    shift: np.ndarray,
) -> np.ndarray:
    """One Gauss-Newton step on each ``shift``: the parabola through sampled correlations
    leans towards whole samples, this does not."""
    if len(points) == 0:
        return shift
    h = STEP / 2

    def at(offset: np.ndarray) -> np.ndarray:
        moved = points + offset[:, None] * normals
        return _standardise(_profiles(image, moved, normals, HALF_PROFILE))

    here = at(shift)
    slope = (at(shift + h) - at(shift - h)) / (2 * h)
    step = np.einsum("nk,nk->n", template - here, slope) / np.maximum(
        np.einsum("nk,nk->n", slope, slope), 1e-9
    )
    return np.asarray(shift + np.clip(step, -STEP, STEP))
