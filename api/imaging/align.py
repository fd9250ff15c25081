"""Feature alignment: find the model's reference inside a picture, or refuse.

``compute_reference_features`` runs once per reference picture; its result is what the
service caches (``to_bytes`` / ``from_bytes``). ``align_picture`` registers a picture to
it and returns the homography reference -> picture with the figures that justify it, or
raises :class:`AlignmentFailed`. ``warp_crop`` cuts one zone through that homography.

How a picture is aligned:

1. Rough: SIFT keypoints on a copy of the picture downscaled to
   ``PICTURE_WORK_SIZE`` are matched to the reference's with Lowe's ratio test, and
   MAGSAC++ fits a homography to the matches.
2. Refined: the picture is warped into the reference's working frame, Lucas-Kanade
   tracks the reference's corners into it, and a robust fit of the small residual
   homography corrects the rough one; twice. This brings the error well under a pixel.
3. Verified: the homography must describe a plausible view of a flat page (no mirror,
   bounded scale, shear and perspective); enough of the tracked corners must agree with
   it, tightly; and the warped picture must look like the reference (normalised
   cross-correlation of local contrast). A picture that fails any of these is refused.
"""

from __future__ import annotations

import io
import math
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
from api.imaging.align_warp import warp_crop
from api.imaging.errors import ImagingError
from api.imaging.geometry import Matrix

__all__ = [
    "Alignment",
    "AlignmentFailed",
    "ReferenceFeatures",
    "align_picture",
    "compute_reference_features",
    "warp_crop",
]

FORMAT_VERSION = 1
"""Bumped whenever the cached features would no longer match what this code computes."""

REFERENCE_WORK_SIZE = 1024  # long side of the reference's working frame, pixels
PICTURE_WORK_SIZE = 1280  # long side of the picture copy searched for features
TRACK_CORNERS = 800
REFINE_ROUNDS = 3

# Acceptance thresholds. See the module docstring of bench/align.py for how they were set.
MIN_INLIERS = 12  # feature matches agreeing with the rough homography
MIN_TRACK_INLIERS = 12  # tracked corners agreeing with the refined homography
MIN_TRACK_RATIO = 0.25  # of the tracked corners
MAX_REPROJECTION_ERROR = 0.6  # RMS of the tracked corners, working-frame pixels
MIN_SIMILARITY = 0.35
MIN_COVERAGE = 0.25  # share of the reference page inside the picture


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
    corners = cv2.goodFeaturesToTrack(
        align_refine.normalise(grey), TRACK_CORNERS, 0.02, 8, blockSize=7
    )
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
    """Refine and verify one candidate homography (reference -> picture pixels)."""
    frame_to_ref = _frame_to_reference(reference)
    ref_to_frame = np.linalg.inv(frame_to_ref)
    size = (reference.grey.shape[1], reference.grey.shape[0])
    figures: dict[str, float] = {}
    fit: align_refine.Fit | None = None
    warped = None
    for round_ in range(REFINE_ROUNDS):
        shape = shape_figures(matrix, reference.width, reference.height)
        reason = implausibility(shape)
        if reason is not None:
            figures.update(shape)
            return _Refined(matrix, figures, reason)
        warped = align_refine.normalise(align_refine.warp_into(levels, matrix, size, frame_to_ref))
        tracked = align_refine.track(
            reference.normalised, warped, reference.corners, levels=3 if round_ == 0 else 1
        )
        fit = align_refine.fit_residual(tracked)
        if fit is None:
            figures["tracked_points"] = float(len(tracked.source))
            return _Refined(matrix, figures, "too few points of the model were found in it")
        matrix = matrix @ frame_to_ref @ fit.matrix @ ref_to_frame
        matrix = matrix / matrix[2, 2]
        moved = project(fit.matrix, rectangle(*size)) - rectangle(*size)
        if float(np.abs(moved).max()) < 0.1:
            break
        warped = None
    assert fit is not None
    if warped is None:
        warped = align_refine.normalise(align_refine.warp_into(levels, matrix, size, frame_to_ref))
    shape = shape_figures(matrix, reference.width, reference.height)
    frame_to_picture = matrix @ frame_to_ref
    inside = align_refine.inside_mask(frame_to_picture, size, (levels.width, levels.height))
    corners_inside = inside[
        np.clip(reference.corners[:, 1].astype(int), 0, size[1] - 1),
        np.clip(reference.corners[:, 0].astype(int), 0, size[0] - 1),
    ].sum()
    # Picture pixels per frame pixel: errors count in the coarser of the two grids.
    stretch = shape["scale"] / math.sqrt(reference.frame_scale[0] * reference.frame_scale[1])
    figures.update(
        tracked_points=float(fit.tracked),
        inliers=float(fit.inliers),
        inlier_ratio=fit.inliers / max(fit.tracked, 1),
        found_ratio=fit.inliers / max(int(corners_inside), 1),
        reprojection_error_px=fit.rms_error / reference.frame_scale[0],
        effective_error=fit.rms_error * min(1.0, stretch),
        coverage=visible_fraction(
            matrix, rectangle(reference.width, reference.height), levels.width, levels.height
        ),
        **align_refine.look_alike(reference.normalised, warped, inside),
        **shape,
    )
    return _Refined(matrix, figures, _verdict(figures))


def _verdict(figures: dict[str, float]) -> str | None:
    reason = implausibility(figures)
    if reason is not None:
        return reason
    if figures["coverage"] < MIN_COVERAGE:
        return "too little of the model lies inside the picture"
    if figures["inliers"] < MIN_TRACK_INLIERS or figures["inlier_ratio"] < MIN_TRACK_RATIO:
        return "too few points of the model agree on where it lies in the picture"
    if figures["effective_error"] > MAX_REPROJECTION_ERROR:
        return "the points of the model found in the picture do not fit together tightly"
    if figures["similarity"] < MIN_SIMILARITY:
        return "the aligned picture does not look like the model"
    return None


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
    if estimate is None or estimate.inliers < MIN_INLIERS:
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
    """Register ``picture`` (already EXIF-oriented) to the reference.

    Returns the homography reference -> picture pixels and its figures, or raises
    :class:`AlignmentFailed` with the figures measured when it cannot be trusted.
    """
    levels = align_refine.PictureLevels(picture)
    work, sx, sy = levels.work(PICTURE_WORK_SIZE)
    to_picture = np.linalg.inv(scaling(sx, sy))

    rough, rough_figures = _rough_from_features(reference, work, to_picture)
    attempts: list[tuple[_Refined, dict[str, float]]] = []
    if rough is not None:
        refined = _refine(reference, levels, rough / rough[2, 2])
        attempts.append((refined, rough_figures))
    if not attempts or attempts[-1][0].failure is not None:
        for matrix, figures in _rough_from_quads(reference, work, to_picture):
            refined = _refine(reference, levels, matrix / matrix[2, 2])
            attempts.append((refined, {**rough_figures, **figures}))
            if refined.failure is None:
                break
    if not attempts:
        raise AlignmentFailed("too few features of the model were found in it", rough_figures)
    accepted = [(r, f) for r, f in attempts if r.failure is None]
    if not accepted:
        best, figures = max(attempts, key=lambda a: a[0].figures.get("similarity", -1.0))
        raise AlignmentFailed(best.failure or "", {**figures, **best.figures})
    best, figures = max(accepted, key=lambda a: a[0].figures["similarity"])
    matrix = best.matrix / best.matrix[2, 2]
    as_tuple: Matrix = tuple(tuple(float(v) for v in row) for row in matrix)
    return Alignment(as_tuple, {**figures, **best.figures})
