"""Tools to refine and verify a rough alignment in the reference's working frame.

The picture is warped into the reference's frame with the rough homography; then
Lucas-Kanade optical flow tracks the reference's corners into that warped picture, a robust
fit of the residual homography corrects the rough one, and the loop runs again. Tracking
points across the whole page rather than maximising one global score (as ECC does) keeps
the fit exact when part of the page is hidden or written on: those points are outliers.

Both images are first normalised for local contrast, so uneven light, shadows and colour
casts do not move the fit, and the look-alike check compares structure, not brightness.

The rounds themselves, and the decision, are in api/imaging/align/verify.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from api.imaging.align.homography import project, scaling, to_cv

TRACK_WINDOW = (21, 21)
TRACK_LEVELS = 3
TRACK_SMOOTHING = 1.5  # pixels, Gaussian sigma
TRACK_FB_ERROR = 0.7  # forward-backward disagreement, working pixels
FIT_THRESHOLD = 1.0  # working pixels
NORMALISE_SIGMA = 6.0
NORMALISE_FLOOR = 6.0  # grey levels: below this, local contrast is noise, not structure


def noise_level(grey: np.ndarray) -> float:
    """How much a picture's grey levels wander where nothing is drawn: the local standard
    deviation over 9 x 9 pixels that half of the picture stays under. On a page, paper is
    most of the picture, so it sets the figure; blocky or JPEG-smeared noise counts in
    full, unlike with a per-pixel estimate. On a busy picture it overestimates, which only
    damps faint texture a little more."""
    image = grey.astype(np.float32)
    mean = cv2.blur(image, (9, 9))
    spread = np.sqrt(np.maximum(cv2.blur(image * image, (9, 9)) - mean * mean, 0.0))
    return float(np.median(spread[::4, ::4]))


def normalise(grey: np.ndarray, noise: float = 0.0, seen: np.ndarray | None = None) -> np.ndarray:
    """Local contrast normalisation of an 8-bit grey image, back to 8 bits around 128.

    Contrast below ``NORMALISE_FLOOR`` grey levels, or twice the ``noise``, is damped:
    it is noise, not structure. Where ``seen`` (a bool mask) is False the image holds
    nothing (outside the picture): it comes out a flat 128, and the statistics near it
    use only what is seen, so the picture's border draws no edge for a tracker to follow."""
    image = grey.astype(np.float32)
    size = 2 * round(NORMALISE_SIGMA) + 1
    wide = 2 * size + 1
    if seen is None or bool(seen.all()):
        mean = cv2.blur(cv2.blur(image, (size, size)), (size, size))
        detail = image - mean
        spread = np.sqrt(np.maximum(cv2.blur(detail * detail, (wide, wide)), 0.0))
    else:
        weight = seen.astype(np.float32)
        share = np.maximum(cv2.blur(cv2.blur(weight, (size, size)), (size, size)), 1e-3)
        mean = cv2.blur(cv2.blur(image * weight, (size, size)), (size, size)) / share
        detail = (image - mean) * weight
        share = np.maximum(cv2.blur(weight, (wide, wide)), 1e-3)
        spread = np.sqrt(np.maximum(cv2.blur(detail * detail, (wide, wide)) / share, 0.0))
    floor = max(NORMALISE_FLOOR, 2.0 * noise)
    out = 128.0 + 48.0 * detail / (spread + floor)
    return np.clip(out, 0, 255).astype(np.uint8)


def grey_array(picture: Image.Image) -> np.ndarray:
    """A picture as an 8-bit grey array; transparent parts count as white paper."""
    if picture.mode in ("I", "F") or picture.mode.startswith("I;16"):
        values = np.asarray(picture, np.float32)
        top = float(values.max()) if values.size else 1.0
        return np.asarray(np.clip(values * (255.0 / max(top, 1.0)), 0, 255), np.uint8)
    if picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    ):
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(background, rgba)
    if picture.mode != "L":
        picture = picture.convert("L")
    return np.asarray(picture)


class PictureLevels:
    """Grey copies of a picture at 1/k of its size, made on demand (Pillow's ``reduce``
    averages k x k blocks, far cheaper than converting the whole picture first)."""

    def __init__(self, picture: Image.Image) -> None:
        self.picture = picture
        self.width, self.height = picture.size
        self._levels: dict[int, np.ndarray] = {}

    def level(self, k: int) -> np.ndarray:
        """The picture at 1/k of its size: pixel (i, j) averages pixels [ki, ki + k)."""
        k = max(1, k)
        if k not in self._levels:
            if k == 1:
                self._levels[k] = grey_array(self.picture)
            elif self.picture.mode in ("L", "RGB", "RGBA"):
                self._levels[k] = grey_array(self.picture.reduce(k))
            else:
                size = (-(-self.width // k), -(-self.height // k))
                self._levels[k] = cv2.resize(self.level(1), size, interpolation=cv2.INTER_AREA)
        return self._levels[k]

    def at_most(self, factor: float) -> tuple[np.ndarray, float]:
        """The smallest copy with at least ``factor`` of full resolution: image, 1/k."""
        k = max(1, int(1.0 / max(factor, 1e-6)))
        return self.level(k), 1.0 / k

    def work(self, long_side: int) -> tuple[np.ndarray, float, float]:
        """A copy whose long side is at most ``long_side``: image, sx, sy (its pixels per
        picture pixel)."""
        k = max(1, max(self.width, self.height) // long_side)
        image = self.level(k)
        height, width = image.shape
        factor = long_side / max(width, height)
        if factor < 1:
            size = (max(1, round(width * factor)), max(1, round(height * factor)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        # Corner coordinates: x_level = x / k exactly; the resize is exact per axis.
        return image, image.shape[1] / (width * k), image.shape[0] / (height * k)


def warp_into(
    levels: PictureLevels, matrix: np.ndarray, size: tuple[int, int], frame_to_reference: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The picture seen in a frame of ``size`` (width, height) of the reference, and
    which of the frame's pixels see it (a bool mask).

    ``matrix`` maps reference pixels to picture pixels; ``frame_to_reference`` maps the
    frame's pixels to reference pixels. The picture copy used is the smallest one that
    still has at least the frame's resolution, so the warp does not alias. Outside the
    picture the frame is black, and the mask is False there and along the picture's
    border, where the warp blends in the black outside.
    """
    image, to_level = _level_for(levels, matrix @ frame_to_reference, size)

    def warp(source: np.ndarray, interpolation: int) -> np.ndarray:
        return cv2.warpPerspective(
            source,
            to_cv(to_level),
            size,
            flags=interpolation | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )

    seen = warp(np.ones(image.shape, np.uint8), cv2.INTER_NEAREST)
    return warp(image, cv2.INTER_LINEAR), np.asarray(cv2.erode(seen, np.ones((3, 3), np.uint8)) > 0)


def _level_for(
    levels: PictureLevels, frame_to_picture: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The picture copy to warp a frame of ``size`` from, and frame -> copy pixels."""
    centre = np.array([size[0] / 2, size[1] / 2])
    # Picture pixels per frame pixel at the centre, roughly.
    step = project(frame_to_picture, np.array([centre, centre + [1, 0], centre + [0, 1]]))
    stretch = max(
        float(np.linalg.norm(step[1] - step[0])), float(np.linalg.norm(step[2] - step[0]))
    )
    image, factor = levels.at_most(1.0 / max(stretch, 1e-6))
    return image, scaling(factor, factor) @ frame_to_picture


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
    return np.asarray(mask, bool)


@dataclass(frozen=True)
class Track:
    """Reference points and where they were found in the warped picture (frame pixels);
    ``kept`` says which of the points asked for these are."""

    source: np.ndarray
    target: np.ndarray
    kept: np.ndarray


def track(
    reference: np.ndarray, warped: np.ndarray, points: np.ndarray, levels: int = TRACK_LEVELS
) -> Track:
    """Lucas-Kanade tracking of ``points`` (frame corner coordinates) from the normalised
    reference into the normalised warped picture, kept when the backward track agrees."""
    if len(points) == 0:
        empty = np.zeros((0, 2), np.float32)
        return Track(empty, empty, np.zeros(0, bool))
    # Smoothing both sides alike lets a thin sharp line of the reference lock onto the
    # same line blurred in the picture.
    reference = cv2.GaussianBlur(reference, (0, 0), TRACK_SMOOTHING)
    warped = cv2.GaussianBlur(warped, (0, 0), TRACK_SMOOTHING)
    start = (points - 0.5).astype(np.float32).reshape(-1, 1, 2)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)
    forward, ok1, _ = cv2.calcOpticalFlowPyrLK(
        reference,
        warped,
        start,
        start.copy(),
        winSize=TRACK_WINDOW,
        maxLevel=levels,
        criteria=criteria,
    )
    backward, ok2, _ = cv2.calcOpticalFlowPyrLK(
        warped,
        reference,
        forward,
        forward.copy(),
        winSize=TRACK_WINDOW,
        maxLevel=levels,
        criteria=criteria,
    )
    error = np.linalg.norm((backward - start).reshape(-1, 2), axis=1)
    keep = ok1.ravel().astype(bool) & ok2.ravel().astype(bool) & (error < TRACK_FB_ERROR)
    height, width = warped.shape
    found = forward.reshape(-1, 2) + 0.5
    keep &= (found[:, 0] > 0) & (found[:, 1] > 0) & (found[:, 0] < width) & (found[:, 1] < height)
    return Track(points[keep].astype(np.float32), found[keep].astype(np.float32), keep)


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
    """Zero-mean normalised cross-correlation of two normalised images where ``valid``,
    computed at half resolution so that pixel noise weighs less than structure."""
    if valid.sum() < 100:
        return 0.0
    half = (reference.shape[1] // 2, reference.shape[0] // 2)
    a = cv2.resize(reference, half, interpolation=cv2.INTER_AREA)
    b = cv2.resize(warped, half, interpolation=cv2.INTER_AREA)
    keep = cv2.resize(valid.astype(np.uint8), half, interpolation=cv2.INTER_NEAREST).astype(bool)
    x = a[keep].astype(np.float32)
    y = b[keep].astype(np.float32)
    x -= x.mean()
    y -= y.mean()
    denominator = float(np.sqrt(np.dot(x, x) * np.dot(y, y)))
    return float(np.dot(x, y)) / denominator if denominator > 0 else 0.0
