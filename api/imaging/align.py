"""Feature alignment: find the model's reference inside a picture, or refuse.

``compute_reference_features`` runs once per reference picture; its result is what the
service caches (``to_bytes`` / ``from_bytes``). ``align_picture`` registers a picture to
it and returns the homography reference -> picture with the figures that justify it, or
raises :class:`AlignmentFailed`. ``warp_crop`` cuts one zone through that homography.

How a picture is aligned, cheapest way first:

1. Rough candidates. SIFT keypoints of a copy of the picture 800 pixels long are matched
   to the reference's (ratio test) and MAGSAC++ with PROSAC sampling fits a homography.
   A nearly blank form gives features nothing to hold on to, so boxes and the page
   outline found in both pictures are paired up as quadrilaterals (``align_quads``).
   Then both again on larger copies (1400 and 2048 pixels), for a page that is small in
   the picture.
2. Refinement. The picture is warped into the reference's working frame, Lucas-Kanade
   tracks the reference's strongest corners into it, and a robust fit of the residual
   homography corrects the candidate; up to three rounds. Errors end well under a pixel.
3. Verification. The homography must be a plausible view of a flat page (no mirror,
   bounded scale, shear and perspective); most of the corners that were tracked must
   agree with it; a good share of all the reference's corners that lie in the picture
   must be found exactly where it puts them (a sibling form with the same frame but other
   content fails here); and the warped picture must correlate with the reference.

The thresholds were set on a calibration set of synthetic pictures (see bench/align.py)
with a wide margin on both sides: on it, genuine pictures found at least 63 % of the
reference's corners and sibling forms at most 20 %.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np
from PIL import Image

from api.imaging import align_features, align_quads, align_refine
from api.imaging.align_homography import (
    implausibility,
    project,
    rectangle,
    scaling,
    shape_figures,
    visible_fraction,
)
from api.imaging.align_warp import ZoneOutsidePicture, warp_crop
from api.imaging.errors import ImagingError
from api.imaging.geometry import Matrix

__all__ = [
    "Alignment",
    "AlignmentFailed",
    "ReferenceFeatures",
    "ZoneOutsidePicture",
    "align_picture",
    "compute_reference_features",
    "warp_crop",
]

FORMAT_VERSION = 3
"""Bumped whenever the cached features would no longer match what this code computes."""

REFERENCE_WORK_SIZE = 1024  # long side of the reference's working frame, pixels
PICTURE_WORK_SIZES = (800, 1400)  # long sides of the picture copies searched for features
QUADS_WORK_SIZES = (1024, 2048)  # long sides of the copies searched for boxes and outline
TRACK_CORNERS = 800
FEATURE_RICH = 200  # SIFT keypoints a reference needs for features to be tried first
REFINE_ROUNDS = 3

# Acceptance thresholds (see the module docstring).
MIN_FEATURE_INLIERS = 12  # feature matches agreeing with a rough homography
MIN_INLIERS = 10  # tracked corners agreeing with the refined homography
MIN_INLIER_RATIO = 0.6  # of the corners tracked
MIN_FOUND_RATIO = 0.4  # of the reference's corners that lie inside the picture
MAX_TRACKING_ERROR = 0.8  # RMS of the agreeing corners, pixels of the coarser image
MIN_SIMILARITY = 0.15
MIN_COVERAGE = 0.25  # share of the reference page inside the picture
HOPELESS = 0.15  # share of the reference's corners a candidate must find at first sight


class AlignmentFailed(ImagingError):
    """The picture could not be aligned with the reference with confidence.

    ``figures`` holds what was measured (possibly empty when nothing matched at all).
    """

    def __init__(self, reason: str, figures: dict[str, float] | None = None) -> None:
        self.reason = reason
        self.figures: dict[str, float] = dict(figures or {})
        message = f"Could not align the picture with the model: {reason}."
        super().__init__(message)


@dataclass(frozen=True)
class Alignment:
    """A homography reference -> picture, and the figures that make it trustworthy."""

    matrix: Matrix
    figures: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class ReferenceFeatures:
    """Everything alignment needs from a reference picture, computed once.

    ``points`` are in reference pixels (corner convention), ``descriptors`` their SIFT
    descriptors, ``grey`` the reference downscaled to its working frame, ``corners``
    the points tracked during refinement, in working-frame pixels, and ``quads`` the
    boxes found on it and its own outline, in reference pixels.
    """

    width: int
    height: int
    points: np.ndarray
    descriptors: np.ndarray
    grey: np.ndarray
    corners: np.ndarray
    quads: np.ndarray

    @property
    def frame_scale(self) -> tuple[float, float]:
        """Working-frame pixels per reference pixel, along x and y."""
        return self.grey.shape[1] / self.width, self.grey.shape[0] / self.height

    @cached_property
    def normalised(self) -> np.ndarray:
        return align_refine.normalise(self.grey)

    @cached_property
    def keypoints_in_frame(self) -> align_features.Keypoints:
        sx, sy = self.frame_scale
        return align_features.Keypoints(
            (self.points * np.array([sx, sy], np.float32)).astype(np.float32), self.descriptors
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            version=np.array(FORMAT_VERSION),
            size=np.array([self.width, self.height]),
            points=self.points,
            descriptors=self.descriptors,
            grey=self.grey,
            corners=self.corners,
            quads=self.quads,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceFeatures:
        """Load what :meth:`to_bytes` wrote. Raises ``ValueError`` for data of another
        format version (the caller then computes the features again)."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                version = int(archive["version"])
                if version != FORMAT_VERSION:
                    message = f"Reference features of format {version}, not {FORMAT_VERSION}."
                    raise ValueError(message)
                width, height = (int(v) for v in archive["size"])
                return cls(
                    width,
                    height,
                    archive["points"].astype(np.float32),
                    archive["descriptors"].astype(np.uint8),
                    archive["grey"].astype(np.uint8),
                    archive["corners"].astype(np.float32),
                    archive["quads"].astype(np.float32).reshape(-1, 4, 2),
                )
        except (OSError, KeyError, EOFError) as error:
            message = "Not reference features data."
            raise ValueError(message) from error


def _downscale(grey: np.ndarray, long_side: int) -> np.ndarray:
    height, width = grey.shape
    factor = long_side / max(width, height)
    if factor >= 1:
        return grey
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def compute_reference_features(reference: Image.Image) -> ReferenceFeatures:
    """Compute once what aligning pictures to ``reference`` needs."""
    full = align_refine.grey_array(reference)
    height, width = full.shape
    grey = _downscale(full, REFERENCE_WORK_SIZE)
    keypoints = align_features.detect(grey, align_features.REFERENCE_FEATURES)
    sx, sy = grey.shape[1] / width, grey.shape[0] / height
    points = (keypoints.points / np.array([sx, sy], np.float32)).astype(np.float32)
    corners = cv2.goodFeaturesToTrack(grey, TRACK_CORNERS, 0.02, 8, blockSize=7)
    corners = (
        np.zeros((0, 2), np.float32)
        if corners is None
        else corners.reshape(-1, 2).astype(np.float32) + 0.5
    )
    boxes = align_quads.find_quads(grey) / np.array([sx, sy], np.float32)
    quads = np.concatenate([align_quads.frame_quad(width, height)[None], boxes])
    return ReferenceFeatures(
        width, height, points, keypoints.descriptors, grey, corners, quads.astype(np.float32)
    )


def _frame_to_reference(reference: ReferenceFeatures) -> np.ndarray:
    sx, sy = reference.frame_scale
    return scaling(1.0 / sx, 1.0 / sy)


@dataclass
class _Refined:
    matrix: np.ndarray
    figures: dict[str, float]
    failure: str | None


def _refine(
    reference: ReferenceFeatures, levels: align_refine.PictureLevels, matrix: np.ndarray
) -> _Refined:
    """Refine one candidate homography (reference -> picture pixels), then verify it."""
    frame_to_ref = _frame_to_reference(reference)
    ref_to_frame = np.linalg.inv(frame_to_ref)
    size = (reference.grey.shape[1], reference.grey.shape[0])
    corners = reference.corners
    fit: align_refine.Fit | None = None
    warped: np.ndarray | None = None
    noise: float | None = None
    for round_ in range(REFINE_ROUNDS):
        shape = shape_figures(matrix, reference.width, reference.height)
        reason = implausibility(shape)
        if reason is not None:
            return _Refined(matrix, _shape_report(shape), reason)
        grey = align_refine.warp_into(levels, matrix, size, frame_to_ref)
        if noise is None:
            noise = align_refine.noise_level(grey)
        warped = align_refine.normalise(grey, noise)
        # One pyramid level suffices from a good candidate and is safest on thin lines,
        # which fade at coarse levels; a poorer candidate needs the deep pyramid.
        tracked = align_refine.track(reference.normalised, warped, corners, levels=1)
        fit = align_refine.fit_residual(tracked)
        if round_ == 0 and (fit is None or fit.inliers < 0.3 * len(corners)):
            deep = align_refine.track(reference.normalised, warped, corners, levels=3)
            deep_fit = align_refine.fit_residual(deep)
            if deep_fit is not None and (fit is None or deep_fit.inliers > fit.inliers):
                tracked, fit = deep, deep_fit
        if fit is not None and round_ == 0 and fit.inliers < HOPELESS * len(corners):
            fit = None  # a wrong candidate: more rounds will not make it right
        if fit is None:
            figures = {"inliers": 0.0, "tracked_points": float(len(tracked.source))}
            return _Refined(matrix, figures, "too few points of the model were found in it")
        matrix = matrix @ frame_to_ref @ fit.matrix @ ref_to_frame
        matrix = matrix / matrix[2, 2]
        moved = project(fit.matrix, rectangle(*size)) - rectangle(*size)
        if float(np.abs(moved).max()) < 0.1:
            break  # converged: the last warp is as good as a new one
        warped = None
    assert fit is not None and noise is not None
    if warped is None:
        grey = align_refine.warp_into(levels, matrix, size, frame_to_ref)
        warped = align_refine.normalise(grey, noise)
    return _verify(reference, levels, matrix, fit, warped)


def _verify(
    reference: ReferenceFeatures,
    levels: align_refine.PictureLevels,
    matrix: np.ndarray,
    fit: align_refine.Fit,
    warped: np.ndarray,
) -> _Refined:
    """Measure how far the refined homography can be trusted, and decide."""
    size = (reference.grey.shape[1], reference.grey.shape[0])
    frame_scale = math.sqrt(reference.frame_scale[0] * reference.frame_scale[1])
    shape = shape_figures(matrix, reference.width, reference.height)
    inside = align_refine.inside_mask(
        matrix @ _frame_to_reference(reference), size, (levels.width, levels.height)
    )
    corners = reference.corners
    visible = int(
        inside[
            np.clip(corners[:, 1].astype(int), 0, size[1] - 1),
            np.clip(corners[:, 0].astype(int), 0, size[0] - 1),
        ].sum()
    )
    figures = {
        "inliers": float(fit.inliers),
        "tracked_points": float(fit.tracked),
        "inlier_ratio": fit.inliers / max(fit.tracked, 1),
        "found_ratio": fit.inliers / max(visible, 1),
        "reprojection_error_px": fit.rms_error / frame_scale,
        "similarity": align_refine.similarity(reference.normalised, warped, inside),
        "coverage": visible_fraction(
            matrix, rectangle(reference.width, reference.height), levels.width, levels.height
        ),
        **_shape_report(shape),
    }
    # Tracking errors count in pixels of the coarser of the frame and the picture.
    error = fit.rms_error * min(1.0, shape["scale"] / frame_scale)
    return _Refined(matrix, figures, _verdict(figures, shape, error))


def _shape_report(shape: dict[str, float]) -> dict[str, float]:
    return {
        "scale": shape["scale"],
        "anisotropy": shape["anisotropy"],
        "perspective": shape["scale_spread"],
        "mirrored": 1.0 if shape["min_det_sign"] < 0 else 0.0,
    }


def _verdict(figures: dict[str, float], shape: dict[str, float], error: float) -> str | None:
    reason = implausibility(shape)
    if reason is not None:
        return reason
    if figures["coverage"] < MIN_COVERAGE:
        return "too little of the model lies inside the picture"
    if figures["inliers"] < MIN_INLIERS or figures["inlier_ratio"] < MIN_INLIER_RATIO:
        return "too few points of the model agree on where it lies in the picture"
    if figures["found_ratio"] < MIN_FOUND_RATIO:
        return (
            f"only {figures['found_ratio']:.0%} of the model's landmarks were found in place "
            f"(at least {MIN_FOUND_RATIO:.0%} are needed): the picture may show another form"
        )
    if error > MAX_TRACKING_ERROR:
        return "the points of the model found in the picture do not fit together tightly"
    if figures["similarity"] < MIN_SIMILARITY:
        return "the aligned picture does not look like the model"
    return None


def _as_matrix(matrix: np.ndarray) -> Matrix:
    h = matrix / matrix[2, 2]
    return (
        (float(h[0, 0]), float(h[0, 1]), float(h[0, 2])),
        (float(h[1, 0]), float(h[1, 1]), float(h[1, 2])),
        (float(h[2, 0]), float(h[2, 1]), float(h[2, 2])),
    )


def _rough_from_features(
    reference: ReferenceFeatures, work: np.ndarray, to_picture: np.ndarray
) -> tuple[np.ndarray | None, dict[str, float]]:
    keypoints = align_features.detect(work, align_features.PICTURE_FEATURES)
    source, target = align_features.match(reference.keypoints_in_frame, keypoints)
    estimate = align_features.estimate(source, target, threshold=4.0)
    figures = {
        "feature_matches": float(len(source)),
        "feature_inliers": float(estimate.inliers if estimate else 0),
    }
    if estimate is None or estimate.inliers < MIN_FEATURE_INLIERS:
        return None, figures
    ref_to_frame = np.linalg.inv(_frame_to_reference(reference))
    return to_picture @ estimate.matrix @ ref_to_frame, figures


def _rough_from_quads(
    reference: ReferenceFeatures, work: np.ndarray, to_picture: np.ndarray
) -> list[tuple[np.ndarray, dict[str, float]]]:
    picture_quads = align_quads.find_quads(work)
    sx, sy = reference.frame_scale
    # Quads in working-frame pixels on both sides, so tolerances mean the same thing.
    reference_quads = reference.quads * np.array([sx, sy], np.float32)
    ref_to_frame = np.linalg.inv(_frame_to_reference(reference))
    return [
        (to_picture @ h.matrix @ ref_to_frame, {"outline_quads": float(h.quads)})
        for h in align_quads.hypotheses(reference_quads, picture_quads)
    ]


def align_picture(reference: ReferenceFeatures, picture: Image.Image) -> Alignment:
    """Register ``picture`` (already EXIF-oriented; L, RGB or RGBA) to the reference.

    Returns the homography reference -> picture pixels and its figures, or raises
    :class:`AlignmentFailed` with the figures of the most convincing attempt when no
    candidate passes verification.
    """
    levels = align_refine.PictureLevels(picture)
    rough_figures: dict[str, float] = {}

    searched = [0]  # long side of the largest copy searched for features so far

    def features(sizes: tuple[int, ...]) -> Iterator[tuple[np.ndarray, dict[str, float]]]:
        for long_side in sizes:
            work, sx, sy = levels.work(long_side)
            if max(work.shape) <= searched[0]:
                return  # the picture is no larger than the copy already searched
            searched[0] = max(work.shape)
            rough, figures = _rough_from_features(reference, work, np.linalg.inv(scaling(sx, sy)))
            rough_figures.update(figures)
            if rough is not None:
                yield rough, figures

    def quads(long_side: int) -> Iterator[tuple[np.ndarray, dict[str, float]]]:
        work, sx, sy = levels.work(long_side)
        if long_side != QUADS_WORK_SIZES[0] and max(work.shape) <= QUADS_WORK_SIZES[0]:
            return  # the picture is no larger than the copy already searched
        yield from _rough_from_quads(reference, work, np.linalg.inv(scaling(sx, sy)))

    def candidates() -> Iterator[tuple[np.ndarray, dict[str, float]]]:
        # Cheapest and likeliest first: features on a small copy of the picture, then
        # boxes and outline, then both again on larger copies for a page small in the
        # picture. A reference with few features (a nearly blank form) starts with boxes.
        small, large = PICTURE_WORK_SIZES
        if len(reference.points) >= FEATURE_RICH:
            yield from features((small,))
            yield from quads(QUADS_WORK_SIZES[0])
            yield from features((large,))
            yield from quads(QUADS_WORK_SIZES[1])
        else:
            yield from quads(QUADS_WORK_SIZES[0])
            yield from quads(QUADS_WORK_SIZES[1])
            yield from features((small, large))

    attempts: list[tuple[_Refined, dict[str, float]]] = []
    for matrix, figures in candidates():
        refined = _refine(reference, levels, matrix / matrix[2, 2])
        attempts.append((refined, figures))
        if refined.failure is None:
            return Alignment(_as_matrix(refined.matrix), {**figures, **refined.figures})
    if not attempts:
        raise AlignmentFailed("no feature or box of the model was found in it", rough_figures)
    best, figures = max(
        attempts,
        key=lambda a: (a[0].figures.get("found_ratio", 0.0), a[0].figures.get("inliers", 0.0)),
    )
    raise AlignmentFailed(best.failure or "", {**rough_figures, **figures, **best.figures})
