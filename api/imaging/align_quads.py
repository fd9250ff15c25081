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
    """Convex quadrilaterals outlined in an 8-bit grey image: the inside of dark strokes
    (boxes) and of strong edges (a page against its background). Returns (K, 4, 2)
    float32 corner coordinates, each quad clockwise on screen, largest first.

    Only hollow outlines count: a contour's hole must fill most of it, which keeps boxes
    and pages and drops words, whose letters merge into solid blobs."""
    height, width = grey.shape
    block = max(15, (min(width, height) // 40) | 1)
    strokes = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 8
    )
    edges = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 1.2), 30, 90)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    found: list[np.ndarray] = []
    for binary in (strokes, edges):
        contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if hierarchy is None:
            continue
        links = hierarchy[0]
        holes = np.zeros(len(contours))
        for index, contour in enumerate(contours):
            if links[index][3] >= 0:
                holes[links[index][3]] += abs(cv2.contourArea(contour))
        for index, contour in enumerate(contours):
            parent = links[index][3]
            quad = _as_quad(contour)
            if quad is None:
                continue
            area = abs(cv2.contourArea(quad))
            if parent >= 0:
                # The inside of a stroke: a box unless it is a letter's hole in a blob.
                if abs(cv2.contourArea(contours[parent])) > 2.5 * area:
                    continue
            elif holes[index] < 0.4 * area:
                continue  # a solid blob (a word, a shape), not an outline
            found.append(quad)
    return _distinct(found)


def _as_quad(contour: np.ndarray) -> np.ndarray | None:
    area = abs(cv2.contourArea(contour))
    if area < MIN_QUAD_SIDE**2:
        return None
    perimeter = cv2.arcLength(contour, True)
    approx = cv2.approxPolyDP(contour, 0.03 * perimeter, True)
    if len(approx) != 4 or not cv2.isContourConvex(approx):
        return None
    quad = approx.reshape(4, 2).astype(np.float32)
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    if sides.min() < MIN_QUAD_SIDE or abs(cv2.contourArea(quad)) < 0.85 * area:
        return None
    return _clockwise(quad + 0.5)


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


def _seeds(reference: np.ndarray, picture: np.ndarray) -> np.ndarray:
    """Affine maps putting each reference quad on each picture quad in each rotation,
    fitted by least squares on the four corners: (R * P * 4, 3, 3)."""
    design = np.concatenate([reference, np.ones((*reference.shape[:2], 1))], axis=-1)
    pseudo = np.linalg.pinv(design)  # (R, 3, 4)
    rotations = np.stack([np.roll(picture, -k, axis=1) for k in range(4)], axis=1)  # (P,4,4,2)
    params = np.einsum("rij,pkjc->rpkic", pseudo, rotations)  # (R, P, 4, 3, 2)
    seeds = np.zeros((*params.shape[:3], 3, 3))
    seeds[..., :2, :] = np.swapaxes(params, -1, -2)
    seeds[..., 2, 2] = 1.0
    return seeds.reshape(-1, 3, 3)


def _refit(
    reference: np.ndarray, picture: np.ndarray, landed: np.ndarray, index: np.ndarray
) -> tuple[np.ndarray, int] | None:
    """A homography (an affine map from a single quad) on the corners of landed quads."""
    rows = np.flatnonzero(landed)
    if len(rows) == 0:
        return None
    source = np.concatenate([reference[r] for r in rows]).astype(np.float32)
    target = np.concatenate(
        [np.roll(picture[int(index[r]) // 4], -(int(index[r]) % 4), axis=0) for r in rows]
    ).astype(np.float32)
    if len(rows) == 1:
        affine, _ = cv2.estimateAffine2D(source, target, method=cv2.LMEDS)
        if affine is None:
            return None
        return np.vstack([affine, [0.0, 0.0, 1.0]]), 1
    matrix, _ = cv2.findHomography(source, target, 0)
    if matrix is None or abs(matrix[2, 2]) < 1e-12:
        return None
    return matrix / matrix[2, 2], len(rows)


def hypotheses(
    reference: np.ndarray, picture: np.ndarray, limit: int = MAX_HYPOTHESES
) -> list[QuadHypothesis]:
    """The best homographies that put reference quads onto picture quads.

    ``reference`` and ``picture`` are (R, 4, 2) and (P, 4, 2) clockwise quads. Every pair
    in every rotation seeds an affine map; the seeds that land the most reference quads
    near a picture quad grow into homographies fitted on all the quads they land, with
    a tighter tolerance at each round.
    """
    if len(reference) == 0 or len(picture) == 0:
        return []
    reference = reference.astype(np.float64)
    picture = picture.astype(np.float64)
    seeds = _seeds(reference, picture)
    corners = reference.reshape(-1, 2)
    projected = _project_many(seeds, corners).reshape(len(seeds), len(reference), 4, 2)
    error, index = _landings(projected, picture)
    landed = error < 0.3
    score = landed.sum(1)
    order = np.argsort(-score, kind="stable")
    results: list[QuadHypothesis] = []
    for seed in order[: 10 * limit]:
        fit = _refit(reference, picture, landed[seed], index[seed])
        for tolerance in (0.2, 0.1, 0.06):
            if fit is None:
                break
            projected_one = _project_many(fit[0][None], corners).reshape(1, len(reference), 4, 2)
            err_one, idx_one = _landings(projected_one, picture)
            fit = _refit(reference, picture, err_one[0] < tolerance, idx_one[0]) or fit
        if fit is None:
            continue
        matrix, count = fit
        if any(_same(matrix, other.matrix, reference) for other in results):
            continue
        results.append(QuadHypothesis(matrix, count, 4 * count))
        if len(results) >= limit:
            break
    results.sort(key=lambda h: -h.quads)
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
