"""Homography helpers for alignment: point mapping, frame changes, and a sanity check.

Every homography here maps *corner* coordinates: (0, 0) is the top-left corner of the
top-left pixel and a W x H image spans [0, W] x [0, H]. OpenCV's functions count from
pixel centres instead; :func:`to_cv` and :func:`from_cv` convert.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

# A homography whose local scale, shear or perspective goes past these is no picture of
# a flat page: the camera would have to be inside the paper.
MIN_SCALE = 0.05
MAX_SCALE = 20.0
MAX_ANISOTROPY = 4.0  # ratio of the largest to the smallest stretch at any page corner
MAX_SCALE_SPREAD = 5.0  # ratio of the largest to the smallest local scale over the page


def project(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (N, 2) points by a 3x3 homography."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    mapped = np.column_stack([pts, np.ones(len(pts))]) @ np.asarray(matrix, np.float64).T
    with np.errstate(divide="ignore", invalid="ignore"):  # points on the horizon: inf, nan
        return np.asarray(mapped[:, :2] / mapped[:, 2:3], np.float64)


def scaling(sx: float, sy: float) -> np.ndarray:
    return np.diag([sx, sy, 1.0])


def translation(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def to_cv(matrix: np.ndarray) -> np.ndarray:
    """A corner-coordinate homography as OpenCV's warp functions want it (pixel centres)."""
    return np.asarray(translation(-0.5, -0.5) @ matrix @ translation(0.5, 0.5), np.float64)


def normalised(matrix: np.ndarray) -> np.ndarray:
    h = np.asarray(matrix, np.float64)
    return np.asarray(h / h[2, 2], np.float64)


def rectangle(width: float, height: float) -> np.ndarray:
    """Corners of [0, width] x [0, height], clockwise from the top-left."""
    return np.array([[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]])


def jacobian(matrix: np.ndarray, point: np.ndarray) -> np.ndarray:
    """The 2x2 derivative of the homography at ``point``."""
    h = np.asarray(matrix, np.float64)
    x, y = float(point[0]), float(point[1])
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    u = h[0, 0] * x + h[0, 1] * y + h[0, 2]
    v = h[1, 0] * x + h[1, 1] * y + h[1, 2]
    return np.array(
        [
            [(h[0, 0] * w - u * h[2, 0]) / (w * w), (h[0, 1] * w - u * h[2, 1]) / (w * w)],
            [(h[1, 0] * w - v * h[2, 0]) / (w * w), (h[1, 1] * w - v * h[2, 1]) / (w * w)],
        ]
    )


def local_scale(matrix: np.ndarray, point: np.ndarray) -> float:
    """Picture pixels per reference pixel at ``point`` (square root of the area ratio)."""
    return math.sqrt(abs(float(np.linalg.det(jacobian(matrix, point)))))


def shape_figures(matrix: np.ndarray, width: float, height: float) -> dict[str, float]:
    """How the homography stretches the reference page ``width`` x ``height``.

    ``scale`` is the local scale at the page centre; ``min_det_sign`` is -1 when any part of
    the page is mirrored or folded (the homography's denominator changes sign, or a local
    determinant is negative); ``anisotropy`` is the worst ratio of largest to smallest
    stretch at the corners and centre; ``scale_spread`` is the ratio of the largest to the
    smallest local scale among them (how strong the perspective is).
    """
    h = normalised(matrix)
    samples = np.vstack([rectangle(width, height), [[width / 2, height / 2]]])
    denominators = samples @ h[2, :2] + h[2, 2]
    scales, anisotropies = [], []
    sign = 1.0
    for point in samples:
        jac = jacobian(h, point)
        det = float(np.linalg.det(jac))
        if det <= 0:
            sign = -1.0
        singular = np.linalg.svd(jac, compute_uv=False)
        scales.append(math.sqrt(abs(det)))
        anisotropies.append(float(singular[0] / max(singular[1], 1e-12)))
    if np.any(denominators <= 0):
        sign = -1.0
    quad = project(h, rectangle(width, height)).astype(np.float32)
    convex = bool(np.isfinite(quad).all()) and cv2.isContourConvex(quad.reshape(-1, 1, 2))
    return {
        "scale": scales[-1],
        "min_det_sign": sign if convex else -1.0,
        "anisotropy": max(anisotropies),
        "scale_spread": max(scales) / max(min(scales), 1e-12),
    }


def implausibility(figures: dict[str, float]) -> str | None:
    """Why the page shape is impossible for a photo or a scan of a flat page, or None."""
    if figures["min_det_sign"] < 0:
        return "the picture would be a mirror image or a folded view of the model"
    if not MIN_SCALE <= figures["scale"] <= MAX_SCALE:
        return f"the picture would show the model at an implausible scale ({figures['scale']:.3g})"
    if figures["anisotropy"] > MAX_ANISOTROPY:
        return "the picture would show the model implausibly sheared or stretched"
    if figures["scale_spread"] > MAX_SCALE_SPREAD:
        return "the picture would show the model in an implausibly strong perspective"
    return None


def polygon_area(points: np.ndarray) -> float:
    """Area of a simple polygon given as (N, 2) vertices (shoelace formula)."""
    if len(points) < 3:
        return 0.0
    x, y = points[:, 0], points[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))) / 2.0


def overlap_area(subject: np.ndarray, clip: np.ndarray) -> float:
    """Area of the intersection of two convex polygons, (N, 2) and (M, 2) vertices.

    Sutherland-Hodgman clipping in float64. OpenCV's ``intersectConvexConvex`` is not
    used: it returns wrong areas for nearly coincident polygons, which is exactly the
    case of a zone whose edge lies on the picture's edge."""
    subject = np.asarray(subject, np.float64)
    clip = np.asarray(clip, np.float64)
    if not (np.isfinite(subject).all() and np.isfinite(clip).all()):
        return 0.0
    x, y = clip[:, 0], clip[:, 1]
    orientation = 1.0 if np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y) > 0 else -1.0
    polygon = [(float(p[0]), float(p[1])) for p in subject]
    for i in range(len(clip)):
        ax, ay = float(clip[i][0]), float(clip[i][1])
        ex = float(clip[(i + 1) % len(clip)][0]) - ax
        ey = float(clip[(i + 1) % len(clip)][1]) - ay

        def side(
            p: tuple[float, float], ax: float = ax, ay: float = ay, ex: float = ex, ey: float = ey
        ) -> float:
            return orientation * (ex * (p[1] - ay) - ey * (p[0] - ax))

        clipped: list[tuple[float, float]] = []
        for j in range(len(polygon)):
            current, following = polygon[j], polygon[(j + 1) % len(polygon)]
            s_current, s_following = side(current), side(following)
            if s_current >= 0:
                clipped.append(current)
            if (s_current >= 0) != (s_following >= 0):
                t = s_current / (s_current - s_following)
                clipped.append(
                    (
                        current[0] + t * (following[0] - current[0]),
                        current[1] + t * (following[1] - current[1]),
                    )
                )
        polygon = clipped
        if not polygon:
            return 0.0
    return polygon_area(np.array(polygon))


def visible_fraction(matrix: np.ndarray, box: np.ndarray, width: int, height: int) -> float:
    """The share of the quadrilateral ``box`` (4x2 reference points, mapped by ``matrix``)
    that lies inside a ``width`` x ``height`` picture."""
    quad = project(matrix, box)
    area = polygon_area(quad) if np.isfinite(quad).all() else 0.0
    if area <= 0:
        return 0.0
    return min(1.0, overlap_area(quad, rectangle(width, height)) / area)


def fit_homography(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The homography mapping ``source`` points onto ``target`` (N >= 4, least squares).

    Normalised direct linear transform; raises ``ValueError`` when the points are
    degenerate (three in a line, a quad folded onto itself) or the fit is not finite.
    """
    src = np.asarray(source, np.float64).reshape(-1, 2)
    dst = np.asarray(target, np.float64).reshape(-1, 2)
    if (
        len(src) < 4
        or len(src) != len(dst)
        or not (np.isfinite(src).all() and np.isfinite(dst).all())
    ):
        raise ValueError("a homography needs at least 4 finite point pairs")

    def conditioner(points: np.ndarray) -> np.ndarray:
        centre = points.mean(axis=0)
        spread = float(np.sqrt(((points - centre) ** 2).sum(axis=1)).mean()) or 1.0
        s = math.sqrt(2) / spread
        return np.array([[s, 0, -s * centre[0]], [0, s, -s * centre[1]], [0, 0, 1]])

    t_src, t_dst = conditioner(src), conditioner(dst)
    a, b = project(t_src, src), project(t_dst, dst)
    rows = []
    for (x, y), (u, v) in zip(a, b, strict=True):
        rows.append([-x, -y, -1, 0, 0, 0, u * x, u * y, u])
        rows.append([0, 0, 0, -x, -y, -1, v * x, v * y, v])
    _, singular, vt = np.linalg.svd(np.asarray(rows))
    if singular[-2] < 1e-9 * singular[0]:
        raise ValueError("the points are degenerate (in a line, or folded)")
    fitted = np.linalg.inv(t_dst) @ vt[-1].reshape(3, 3) @ t_src
    if not np.isfinite(fitted).all() or abs(fitted[2, 2]) < 1e-12:
        raise ValueError("the points do not define a homography")
    return normalised(fitted)
