"""Rough alignment from quadrilaterals: the boxes of a form and the page's outline.

A nearly blank form gives local features little to hold on to: its few boxes have corners
that all look alike, and the ratio test rightly rejects them. But boxes and the page
outline are quadrilaterals in any view of the page. Pairing one quadrilateral of the
reference with one of the picture, in each of its four rotations, gives a homography
hypothesis; a hypothesis is scored by how many other reference quadrilaterals land on a
picture quadrilateral, refitted on all their corners, and the best few are handed on to
refinement and verification, which have the last word.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from api.imaging.align_homography import rectangle

MAX_QUADS = 40
MIN_QUAD_SIDE = 12.0  # pixels of the image searched
MAX_HYPOTHESES = 3


def find_quads(grey: np.ndarray) -> np.ndarray:
    """Convex quadrilaterals outlined in an 8-bit grey image: dark strokes (boxes) and
    strong edges (a page against its background). Returns (K, 4, 2) float32 corner
    coordinates, each quad clockwise on screen, largest first."""
    height, width = grey.shape
    block = max(15, (min(width, height) // 40) | 1)
    strokes = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 8
    )
    edges = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 1.2), 30, 90)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    found: list[np.ndarray] = []
    min_area = MIN_QUAD_SIDE**2
    for binary in (strokes, edges):
        contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            if len(contour) < 4:
                continue
            area = abs(cv2.contourArea(contour))
            if area < min_area:
                continue
            perimeter = cv2.arcLength(contour, True)
            approx = cv2.approxPolyDP(contour, 0.03 * perimeter, True)
            if len(approx) != 4 or not cv2.isContourConvex(approx):
                continue
            quad = approx.reshape(4, 2).astype(np.float32)
            quad_area = abs(cv2.contourArea(quad))
            sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
            if sides.min() < MIN_QUAD_SIDE or quad_area < 0.8 * area:
                continue
            found.append(_clockwise(quad + 0.5))
    return _distinct(found)


def _clockwise(quad: np.ndarray) -> np.ndarray:
    """Corners in clockwise order on screen (y down), starting anywhere."""
    x, y = quad[:, 0], quad[:, 1]
    signed = float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
    return quad if signed > 0 else quad[::-1].copy()


def _distinct(quads: list[np.ndarray]) -> np.ndarray:
    """Drop near duplicates (a stroke's inner and outer outline), keep the largest."""
    if not quads:
        return np.zeros((0, 4, 2), np.float32)
    quads.sort(key=lambda q: -abs(cv2.contourArea(q)))
    kept: list[np.ndarray] = []
    for quad in quads:
        size = np.sqrt(abs(cv2.contourArea(quad)))
        duplicate = False
        for other in kept:
            centre_gap = np.linalg.norm(quad.mean(axis=0) - other.mean(axis=0))
            other_size = np.sqrt(abs(cv2.contourArea(other)))
            if centre_gap < 0.1 * size and abs(other_size - size) < 0.1 * size:
                duplicate = True
                break
        if not duplicate:
            kept.append(quad)
        if len(kept) >= MAX_QUADS:
            break
    return np.array(kept, np.float32)


@dataclass(frozen=True)
class QuadHypothesis:
    matrix: np.ndarray  # reference -> picture, in the coordinates of the quads given
    quads: int  # reference quadrilaterals that landed on a picture quadrilateral
    corners: int


def _project_many(matrices: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(H, 3, 3) homographies applied to (P, 2) points: (H, P, 2)."""
    homogeneous = np.concatenate([points, np.ones((len(points), 1))], axis=1)
    mapped = np.einsum("hij,pj->hpi", matrices, homogeneous)
    w = mapped[..., 2:3]
    w = np.where(np.abs(w) < 1e-12, 1e-12, w)
    return mapped[..., :2] / w


def _landings(projected: np.ndarray, picture: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (H, R, 4, 2) projected reference quads and (P, 4, 2) picture quads: per
    hypothesis and reference quad, the corner error of the picture quad nearest to it
    (relative to that quad's size), and the quad's index and rotation as p * 4 + shift."""
    centres = picture.mean(axis=1)  # (P, 2)
    size = np.sqrt(np.abs(_areas(picture)))  # (P,)
    gap = np.linalg.norm(projected.mean(axis=2)[:, :, None, :] - centres, axis=-1)  # (H,R,P)
    nearest = (gap / np.maximum(size, 1.0)).argmin(-1)  # (H, R)
    candidates = picture[nearest]  # (H, R, 4, 2)
    shifts = np.stack([np.roll(candidates, -k, axis=2) for k in range(4)], axis=2)
    error = np.linalg.norm(projected[:, :, None] - shifts, axis=-1).max(-1)  # (H, R, 4)
    shift = error.argmin(-1)
    worst = np.take_along_axis(error, shift[..., None], -1)[..., 0]
    return worst / np.maximum(size[nearest], 1.0), nearest * 4 + shift


def _areas(quads: np.ndarray) -> np.ndarray:
    x, y = quads[..., 0], quads[..., 1]
    return 0.5 * (np.sum(x * np.roll(y, -1, axis=-1), -1) - np.sum(np.roll(x, -1, axis=-1) * y, -1))


def hypotheses(
    reference: np.ndarray, picture: np.ndarray, tolerance: float = 0.12, limit: int = MAX_HYPOTHESES
) -> list[QuadHypothesis]:
    """The best homographies that put reference quads onto picture quads.

    ``reference`` and ``picture`` are (R, 4, 2) and (P, 4, 2) clockwise quads. Each pair
    and rotation is a hypothesis; it scores the reference quads that land within
    ``tolerance`` (relative to the quad's size) of a picture quad, then is refitted on
    the corners of all of them.
    """
    if len(reference) == 0 or len(picture) == 0:
        return []
    matrices = []
    for r, ref_quad in enumerate(reference):
        for p, pic_quad in enumerate(picture):
            for k in range(4):
                h = cv2.getPerspectiveTransform(ref_quad, np.roll(pic_quad, -k, axis=0))
                matrices.append(h)
    stack = np.array(matrices, np.float64)
    ref_points = reference.reshape(-1, 2).astype(np.float64)
    projected = _project_many(stack, ref_points).reshape(len(stack), len(reference), 4, 2)
    error, index = _landings(projected, picture.astype(np.float64))
    landed = error < tolerance
    score = landed.sum(1)
    order = np.argsort(-score, kind="stable")
    results: list[QuadHypothesis] = []
    for h_index in order[: 8 * limit]:
        if score[h_index] < 1:
            break
        src, dst = [], []
        for r in np.flatnonzero(landed[h_index]):
            p, k = divmod(int(index[h_index, r]), 4)
            src.append(reference[r])
            dst.append(np.roll(picture[p], -k, axis=0))
        source = np.concatenate(src).astype(np.float32)
        target = np.concatenate(dst).astype(np.float32)
        matrix, _ = cv2.findHomography(source, target, 0)
        if matrix is None:
            continue
        matrix = matrix / matrix[2, 2]
        if any(_same(matrix, other.matrix, reference) for other in results):
            continue
        results.append(QuadHypothesis(matrix, int(score[h_index]), len(source)))
        if len(results) >= limit:
            break
    return results


def _same(a: np.ndarray, b: np.ndarray, reference: np.ndarray) -> bool:
    corners = reference.reshape(-1, 2).astype(np.float64)
    pa = _project_many(a[None], corners)[0]
    pb = _project_many(b[None], corners)[0]
    span = float(np.ptp(pa, axis=0).max())
    return float(np.abs(pa - pb).max()) < 0.02 * max(span, 1.0)


def frame_quad(width: float, height: float) -> np.ndarray:
    """The reference's own outline as a quad (the page's edges)."""
    return _clockwise(rectangle(width, height).astype(np.float32))
