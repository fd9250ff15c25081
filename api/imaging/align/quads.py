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

from api.imaging.align.homography import overlap_area, rectangle

MAX_QUADS = 40
MIN_QUAD_SIDE = 12.0  # pixels of the image searched
MAX_HYPOTHESES = 4  # a page outline alone gives four, one per rotation


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
        contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
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
    """The quadrilateral a contour outlines, corners refined to where its fitted sides
    meet; None when it is no convex quadrilateral."""
    area = abs(cv2.contourArea(contour))
    if area < MIN_QUAD_SIDE**2:
        return None
    perimeter = cv2.arcLength(contour, True)
    approx = cv2.approxPolyDP(contour, 0.03 * perimeter, True)
    if len(approx) != 4 or not cv2.isContourConvex(approx):
        return None
    quad = approx.reshape(4, 2).astype(np.float64)
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    if sides.min() < MIN_QUAD_SIDE or abs(cv2.contourArea(quad.astype(np.float32))) < 0.85 * area:
        return None
    refined = _fit_corners(contour.reshape(-1, 2).astype(np.float64), quad)
    if refined is not None:
        quad = refined
    return _clockwise(quad.astype(np.float32) + 0.5)


def _fit_corners(points: np.ndarray, quad: np.ndarray) -> np.ndarray | None:
    """Fit a line to the contour points along each side of ``quad`` (away from the
    corners, which contours round off) and intersect neighbouring lines."""
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        direction = b - a
        length = float(np.linalg.norm(direction))
        direction /= length
        normal = np.array([-direction[1], direction[0]])
        along = (points - a) @ direction
        across = np.abs((points - a) @ normal)
        near = (along > 0.1 * length) & (along < 0.9 * length) & (across < max(3.0, 0.05 * length))
        if near.sum() < 5:
            return None
        vx, vy, x0, y0 = cv2.fitLine(
            points[near].astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01
        ).ravel()
        lines.append((np.array([x0, y0], np.float64), np.array([vx, vy], np.float64)))
    corners = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        matrix = np.column_stack([d1, -d2])
        if abs(np.linalg.det(matrix)) < 1e-6:
            return None
        t = np.linalg.solve(matrix, p2 - p1)
        corners.append(p1 + t[0] * d1)
    refined = np.array(corners)
    shortest = float(np.linalg.norm(quad - np.roll(quad, -1, 0), axis=1).min())
    if np.abs(refined - quad).max() > 0.15 * shortest:
        return None  # the sides were not straight enough to trust the fit
    return refined


def _clockwise(quad: np.ndarray) -> np.ndarray:
    """Corners in clockwise order on screen (y down), starting anywhere."""
    x, y = quad[:, 0], quad[:, 1]
    signed = float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
    return quad if signed > 0 else quad[::-1].copy()


def _distinct(quads: list[np.ndarray]) -> np.ndarray:
    """Merge near duplicates: the outer and inner outline of one stroke become its centre
    line, which blur and stroke width do not move. Largest first."""
    if not quads:
        return np.zeros((0, 4, 2), np.float32)
    quads.sort(key=lambda q: -abs(cv2.contourArea(q)))
    kept: list[np.ndarray] = []
    merged: list[bool] = []
    for quad in quads:
        area = abs(cv2.contourArea(quad))
        for index, other in enumerate(kept):
            inter = overlap_area(quad, other)
            union = area + abs(cv2.contourArea(other)) - inter
            if union > 0 and inter / union > 0.7:
                if not merged[index]:
                    rotations = np.stack([np.roll(quad, -k, axis=0) for k in range(4)])
                    k = int(np.linalg.norm(rotations - other, axis=-1).sum(-1).argmin())
                    kept[index] = ((other + rotations[k]) / 2).astype(np.float32)
                    merged[index] = True
                break
        else:
            kept.append(quad)
            merged.append(False)
        if len(kept) >= MAX_QUADS:
            break
    return np.array(kept, np.float32)


@dataclass(frozen=True)
class QuadHypothesis:
    matrix: np.ndarray  # reference -> picture, in the coordinates of the quads given
    quads: int  # reference quadrilaterals that landed on a picture quadrilateral


def _project_many(matrices: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(H, 3, 3) homographies applied to (P, 2) points: (H, P, 2)."""
    homogeneous = np.concatenate([points, np.ones((len(points), 1))], axis=1)
    mapped = np.einsum("hij,pj->hpi", matrices, homogeneous)
    w = mapped[..., 2:3]
    w = np.where(np.abs(w) < 1e-12, 1e-12, w)
    return np.asarray(mapped[..., :2] / w, np.float64)


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
    twice = np.sum(x * np.roll(y, -1, axis=-1), -1) - np.sum(np.roll(x, -1, axis=-1) * y, -1)
    return np.asarray(0.5 * twice, np.float64)


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
    if len(rows) < 3:
        affine = _affine(source, target)
        return (affine, len(rows)) if affine is not None else None
    # Robust: one quad that landed by chance must not pull the fit away.
    sizes = np.sqrt(np.abs(_areas(np.array([picture[int(index[r]) // 4] for r in rows]))))
    threshold = max(2.0, 0.1 * float(np.median(sizes)))
    matrix, mask = cv2.findHomography(source, target, cv2.RANSAC, threshold, maxIters=500)
    if matrix is None or mask is None or abs(matrix[2, 2]) < 1e-12:
        return None
    agreeing = int(mask.reshape(-1, 4).all(axis=1).sum())
    return matrix / matrix[2, 2], agreeing


def _pairs(
    reference: np.ndarray, picture: np.ndarray, seeds: np.ndarray, keep: int
) -> list[np.ndarray]:
    """Homographies from two quads each: a seed's affine map says roughly where the other
    reference quads fall; every one that falls near a picture quad of about the right
    size makes a pair, fitted on its eight corners."""
    count = len(reference)
    centres = reference.mean(axis=1)
    pic_centres = picture.mean(axis=1)
    pic_sizes = np.sqrt(np.abs(_areas(picture)))
    projected = _project_many(seeds, centres)  # (S, R, 2)
    areas = np.abs(
        _areas(_project_many(seeds, reference.reshape(-1, 2)).reshape(len(seeds), count, 4, 2))
    )  # (S, R)
    gap = np.linalg.norm(projected[:, :, None] - pic_centres, axis=-1)  # (S, R, P)
    nearest = gap.argmin(-1)  # (S, R)
    nearest_gap = np.take_along_axis(gap, nearest[..., None], -1)[..., 0]
    seed_ref = np.repeat(np.arange(count), len(picture) * 4)
    seed_centre = projected[np.arange(len(seeds)), seed_ref]  # (S, 2)
    reach = np.linalg.norm(projected - seed_centre[:, None], axis=-1)  # (S, R)
    size_ratio = pic_sizes[nearest] / np.sqrt(np.maximum(areas, 1e-9))
    loose = (
        (nearest_gap < 0.35 * reach + 0.5 * pic_sizes[nearest])
        & (size_ratio > 0.6)
        & (size_ratio < 1.6)
    )
    loose[np.arange(len(seeds)), seed_ref] = False
    order = np.argsort(-loose.sum(1), kind="stable")[:keep]
    fits: list[np.ndarray] = []
    for seed in order:
        r1 = seed_ref[seed]
        p1, k1 = divmod(int(seed) % (len(picture) * 4), 4)
        source1, target1 = reference[r1], np.roll(picture[p1], -k1, axis=0)
        for r2 in np.flatnonzero(loose[seed]):
            p2 = int(nearest[seed, r2])
            guess = _project_many(seeds[seed][None], reference[r2])[0]
            rotations = np.stack([np.roll(picture[p2], -k, axis=0) for k in range(4)])
            k2 = int(np.linalg.norm(rotations - guess, axis=-1).sum(-1).argmin())
            source = np.concatenate([source1, reference[r2]]).astype(np.float32)
            target = np.concatenate([target1, rotations[k2]]).astype(np.float32)
            for fit in (_affine(source, target), _homography(source, target)):
                if fit is not None:
                    fits.append(fit)
    return fits


def _singles(reference: np.ndarray, picture: np.ndarray) -> list[np.ndarray]:
    """The exact homography putting each reference quad on each picture quad, in each
    of the four rotations."""
    fits = []
    for ref_quad in reference.astype(np.float32):
        for pic_quad in picture.astype(np.float32):
            for k in range(4):
                matrix = cv2.getPerspectiveTransform(ref_quad, np.roll(pic_quad, -k, axis=0))
                if abs(matrix[2, 2]) > 1e-12:
                    fits.append(matrix / matrix[2, 2])
    return fits


def _homography(source: np.ndarray, target: np.ndarray) -> np.ndarray | None:
    matrix, _ = cv2.findHomography(source.astype(np.float32), target.astype(np.float32), 0)
    if matrix is None or abs(matrix[2, 2]) < 1e-12:
        return None
    return np.asarray(matrix / matrix[2, 2], np.float64)


def _affine(source: np.ndarray, target: np.ndarray) -> np.ndarray | None:
    """The least-squares affine map source -> target, as a 3x3 matrix."""
    design = np.column_stack([source, np.ones(len(source))]).astype(np.float64)
    params, _, rank, _ = np.linalg.lstsq(design, target.astype(np.float64), rcond=None)
    if rank < 3:
        return None
    return np.vstack([params.T, [0.0, 0.0, 1.0]])


def hypotheses(
    reference: np.ndarray, picture: np.ndarray, limit: int = MAX_HYPOTHESES
) -> list[QuadHypothesis]:
    """The best homographies that put reference quads onto picture quads.

    ``reference`` and ``picture`` are (R, 4, 2) and (P, 4, 2) clockwise quads. Every pair
    of quads, in every rotation, seeds an affine map; seeds grow into homographies fitted
    on two quads, then on every quad they land, with a tighter tolerance at each round.
    The ones that land the most reference quads come first.
    """
    if len(reference) == 0 or len(picture) == 0:
        return []
    reference = reference.astype(np.float64)
    picture = picture.astype(np.float64)
    corners = reference.reshape(-1, 2)
    seeds = _seeds(reference, picture)
    # Pairs of quads pin the map best; a single large quad (the page outline) pins a full
    # homography by itself; the affine seeds cover small single quads.
    candidates = _pairs(reference, picture, seeds, keep=20) + _singles(reference, picture)
    stack = np.concatenate([np.array(candidates).reshape(-1, 3, 3), seeds])
    projected = _project_many(stack, corners).reshape(len(stack), len(reference), 4, 2)
    error, _ = _landings(projected, picture)
    score = (error < 0.1).sum(1) + 0.5 * (error < 0.2).sum(1)
    order = np.argsort(-score, kind="stable")
    results: list[QuadHypothesis] = []
    for candidate in order[: 10 * limit]:
        fit: tuple[np.ndarray, int] | None = (stack[candidate], int((error[candidate] < 0.1).sum()))
        for tolerance in (0.15, 0.1, 0.06):
            assert fit is not None
            one = _project_many(fit[0][None], corners).reshape(1, len(reference), 4, 2)
            err_one, idx_one = _landings(one, picture)
            fit = _refit(reference, picture, err_one[0] < tolerance, idx_one[0]) or fit
        assert fit is not None
        matrix, count = fit
        if any(_same(matrix, other.matrix, reference) for other in results):
            continue
        results.append(QuadHypothesis(matrix, count))
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
