"""Refinement and verification of a rough alignment, in the reference's working frame.

The picture is warped into the reference's frame with the rough homography; then
Lucas-Kanade optical flow tracks the reference's corners into that warped picture, a robust
fit of the residual homography corrects the rough one, and the loop runs again. Tracking
points across the whole page rather than maximising one global score (as ECC does) keeps
the fit exact when part of the page is hidden or written on: those points are outliers.

Both images are first normalised for local contrast, so uneven light, shadows and colour
casts do not move the fit, and the look-alike check compares structure, not brightness.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from api.imaging.align_homography import project, scaling, to_cv

TRACK_WINDOW = (21, 21)
TRACK_LEVELS = 3
TRACK_FB_ERROR = 0.7  # forward-backward disagreement, working pixels
FIT_THRESHOLD = 1.0  # working pixels
NORMALISE_SIGMA = 6.0
NORMALISE_FLOOR = 6.0  # grey levels: below this, local contrast is noise, not structure


def normalise(grey: np.ndarray) -> np.ndarray:
    """Local contrast normalisation of an 8-bit grey image, back to 8 bits around 128."""
    image = grey.astype(np.float32)
    mean = cv2.GaussianBlur(image, (0, 0), NORMALISE_SIGMA)
    detail = image - mean
    spread = np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), NORMALISE_SIGMA * 2))
    out = 128.0 + 48.0 * detail / (spread + NORMALISE_FLOOR)
    return np.clip(out, 0, 255).astype(np.uint8)


class PictureLevels:
    """The picture's grey image and downscaled copies of it, made on demand."""

    def __init__(self, grey: np.ndarray) -> None:
        self.full = grey
        self._levels: dict[int, np.ndarray] = {}

    def at_most(self, factor: float) -> tuple[np.ndarray, float, float]:
        """A copy at about ``factor`` of full size (never above 1): image, sx, sy."""
        height, width = self.full.shape
        if factor >= 0.8:
            return self.full, 1.0, 1.0
        key = max(1, int(round(1.0 / factor)))
        if key not in self._levels:
            size = (max(1, round(width / key)), max(1, round(height / key)))
            self._levels[key] = cv2.resize(self.full, size, interpolation=cv2.INTER_AREA)
        level = self._levels[key]
        return level, level.shape[1] / width, level.shape[0] / height

    def put(self, image: np.ndarray) -> None:
        """Offer an already downscaled copy for reuse."""
        key = max(1, int(round(self.full.shape[1] / image.shape[1])))
        if abs(self.full.shape[1] / key - image.shape[1]) <= 1:
            self._levels.setdefault(key, image)


def warp_into(
    levels: PictureLevels, matrix: np.ndarray, size: tuple[int, int], frame_to_reference: np.ndarray
) -> np.ndarray:
    """The picture seen in a frame of ``size`` (width, height) of the reference.

    ``matrix`` maps reference pixels to picture pixels; ``frame_to_reference`` maps the
    frame's pixels to reference pixels. The picture copy used is the smallest one that
    still has at least the frame's resolution, so the warp does not alias.
    """
    frame_to_picture = matrix @ frame_to_reference
    centre = np.array([size[0] / 2, size[1] / 2])
    # Picture pixels per frame pixel at the centre, roughly.
    step = project(frame_to_picture, np.array([centre, centre + [1, 0], centre + [0, 1]]))
    stretch = max(np.linalg.norm(step[1] - step[0]), np.linalg.norm(step[2] - step[0]))
    image, sx, sy = levels.at_most(1.0 / max(stretch, 1e-6))
    to_level = scaling(sx, sy) @ frame_to_picture
    return cv2.warpPerspective(
        image,
        to_cv(to_level),
        size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def inside_mask(
    frame_to_picture: np.ndarray,
    size: tuple[int, int],
    picture_size: tuple[int, int],
    step: int = 4,
) -> np.ndarray:
    """Which pixels of a frame of ``size`` see the inside of the picture (a bool array)."""
    width, height = size
    xs = np.arange(step / 2, width + step / 2, step, dtype=np.float64)
    ys = np.arange(step / 2, height + step / 2, step, dtype=np.float64)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    h = frame_to_picture
    denominator = grid @ h[2, :2] + h[2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        mapped = (grid @ h[:2, :2].T + h[:2, 2]) / denominator[:, None]
    margin = 2.0
    ok = (
        (
            (denominator > 0)
            & (mapped[:, 0] > margin)
            & (mapped[:, 0] < picture_size[0] - margin)
            & (mapped[:, 1] > margin)
            & (mapped[:, 1] < picture_size[1] - margin)
        )
        .reshape(len(ys), len(xs))
        .astype(np.uint8)
    )
    mask = cv2.resize(ok, (width, height), interpolation=cv2.INTER_NEAREST)
    return mask.astype(bool)


@dataclass(frozen=True)
class Track:
    """Reference points and where they were found in the warped picture (frame pixels)."""

    source: np.ndarray
    target: np.ndarray


def track(reference: np.ndarray, warped: np.ndarray, points: np.ndarray) -> Track:
    """Lucas-Kanade tracking of ``points`` (frame corner coordinates) from the normalised
    reference into the normalised warped picture, kept when the backward track agrees."""
    if len(points) == 0:
        empty = np.zeros((0, 2), np.float32)
        return Track(empty, empty)
    start = (points - 0.5).astype(np.float32).reshape(-1, 1, 2)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)
    forward, ok1, _ = cv2.calcOpticalFlowPyrLK(
        reference,
        warped,
        start,
        None,
        winSize=TRACK_WINDOW,
        maxLevel=TRACK_LEVELS,
        criteria=criteria,
    )
    backward, ok2, _ = cv2.calcOpticalFlowPyrLK(
        warped,
        reference,
        forward,
        None,
        winSize=TRACK_WINDOW,
        maxLevel=TRACK_LEVELS,
        criteria=criteria,
    )
    error = np.linalg.norm((backward - start).reshape(-1, 2), axis=1)
    keep = ok1.ravel().astype(bool) & ok2.ravel().astype(bool) & (error < TRACK_FB_ERROR)
    height, width = warped.shape
    found = forward.reshape(-1, 2) + 0.5
    keep &= (found[:, 0] > 0) & (found[:, 1] > 0) & (found[:, 0] < width) & (found[:, 1] < height)
    return Track(points[keep].astype(np.float32), found[keep].astype(np.float32))


@dataclass(frozen=True)
class Fit:
    matrix: np.ndarray  # frame -> frame residual homography
    tracked: int
    inliers: int
    rms_error: float  # of the inliers, frame pixels


def fit_residual(tracked: Track) -> Fit | None:
    """The homography that moves the reference points onto where they were tracked."""
    if len(tracked.source) < 8:
        return None
    matrix, mask = cv2.findHomography(
        tracked.source,
        tracked.target,
        cv2.USAC_MAGSAC,
        FIT_THRESHOLD,
        maxIters=5000,
        confidence=0.9999,
    )
    if matrix is None or mask is None:
        return None
    keep = mask.ravel().astype(bool)
    if keep.sum() < 8:
        return None
    # MAGSAC++ weighs its inliers; a plain least-squares polish on them is sharper.
    polished, _ = cv2.findHomography(tracked.source[keep], tracked.target[keep], 0)
    if polished is not None:
        matrix = polished
    matrix = matrix / matrix[2, 2]
    residual = np.linalg.norm(project(matrix, tracked.source[keep]) - tracked.target[keep], axis=1)
    rms = float(np.sqrt(np.mean(residual**2)))
    return Fit(matrix, len(tracked.source), int(keep.sum()), rms)


def similarity(reference: np.ndarray, warped: np.ndarray, valid: np.ndarray) -> float:
    """Zero-mean normalised cross-correlation of two normalised images where ``valid``."""
    a = reference[valid].astype(np.float32)
    b = warped[valid].astype(np.float32)
    if a.size < 100:
        return 0.0
    a -= a.mean()
    b -= b.mean()
    denominator = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.dot(a, b)) / denominator if denominator > 0 else 0.0
