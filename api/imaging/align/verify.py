"""Refine a rough candidate homography in rounds, then measure it and accept or refuse it.

What each step does is told in the overview of api/imaging/align/pipeline.py (steps 2
and 3). The thresholds were set on a calibration set of synthetic pictures (see
bench/align.py) with a wide margin on both sides: on it, genuine pictures found at least
63 % of the reference's corners and sibling forms at most 20 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from api.imaging.align import refine
from api.imaging.align.homography import (
    implausibility,
    project,
    rectangle,
    shape_figures,
    visible_fraction,
)
from api.imaging.align.mesh import Mesh
from api.imaging.align.reference import ReferenceFeatures, frame_to_reference

REFINE_ROUNDS = 3

# Acceptance thresholds (see the module docstring).
MIN_INLIERS = 10  # tracked corners agreeing with the refined homography
MIN_INLIER_RATIO = 0.6  # of the corners tracked
MIN_FOUND_RATIO = 0.4  # of the reference's corners that lie inside the picture
MAX_TRACKING_ERROR = 0.8  # RMS of the agreeing corners, pixels of the coarser image
MIN_SIMILARITY = 0.15
MIN_COVERAGE = 0.25  # share of the reference page inside the picture
HOPELESS = 0.15  # share of the reference's corners a candidate must find at first sight


@dataclass
class Refined:
    """A candidate homography after refinement, and what verification made of it."""

    matrix: np.ndarray
    figures: dict[str, float]
    failure: str | None
    # The picture as the alignment sees it in the frame (normalised), and where it is the
    # picture's: set once a candidate got as far as verification.
    warped: np.ndarray | None = None
    inside: np.ndarray | None = None
    mesh: Mesh | None = None


def refine_candidate(
    reference: ReferenceFeatures, levels: refine.PictureLevels, matrix: np.ndarray
) -> Refined:
    """Refine one candidate homography (reference -> picture pixels), then verify it."""
    frame_to_ref = frame_to_reference(reference)
    ref_to_frame = np.linalg.inv(frame_to_ref)
    size = (reference.grey.shape[1], reference.grey.shape[0])
    corners = reference.corners
    fit: refine.Fit | None = None
    warped: np.ndarray | None = None
    noise: float | None = None
    for round_ in range(REFINE_ROUNDS):
        shape = shape_figures(matrix, reference.width, reference.height)
        reason = implausibility(shape)
        if reason is not None:
            return Refined(matrix, _shape_report(shape), reason)
        grey, seen = refine.warp_into(levels, matrix, size, frame_to_ref)
        if noise is None:
            noise = refine.noise_level(grey)
        warped = refine.normalise(grey, noise, seen)
        # One pyramid level suffices from a good candidate and is safest on thin lines,
        # which fade at coarse levels; a poorer candidate needs the deep pyramid.
        tracked = refine.track(reference.normalised, warped, corners, levels=1)
        fit = refine.fit_residual(tracked)
        if round_ == 0 and (fit is None or fit.inliers < 0.3 * len(corners)):
            deep = refine.track(reference.normalised, warped, corners, levels=3)
            deep_fit = refine.fit_residual(deep)
            if deep_fit is not None and (fit is None or deep_fit.inliers > fit.inliers):
                tracked, fit = deep, deep_fit
        if fit is not None and round_ == 0 and fit.inliers < HOPELESS * len(corners):
            fit = None  # a wrong candidate: more rounds will not make it right
        if fit is None:
            figures = {"inliers": 0.0, "tracked_points": float(len(tracked.source))}
            return Refined(matrix, figures, "too few points of the model were found in it")
        matrix = matrix @ frame_to_ref @ fit.matrix @ ref_to_frame
        matrix = matrix / matrix[2, 2]
        moved = project(fit.matrix, rectangle(*size)) - rectangle(*size)
        if float(np.abs(moved).max()) < 0.1:
            break  # converged: the last warp is as good as a new one
        warped = None
    assert fit is not None and noise is not None
    if warped is None:
        grey, seen = refine.warp_into(levels, matrix, size, frame_to_ref)
        warped = refine.normalise(grey, noise, seen)
    return _verify(reference, levels, matrix, fit, warped)


def _verify(
    reference: ReferenceFeatures,
    levels: refine.PictureLevels,
    matrix: np.ndarray,
    fit: refine.Fit,
    warped: np.ndarray,
) -> Refined:
    """Measure how far the refined homography can be trusted, and decide."""
    size = (reference.grey.shape[1], reference.grey.shape[0])
    frame_scale = math.sqrt(reference.frame_scale[0] * reference.frame_scale[1])
    shape = shape_figures(matrix, reference.width, reference.height)
    inside = refine.inside_mask(
        matrix @ frame_to_reference(reference), size, (levels.width, levels.height)
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
        "similarity": refine.similarity(reference.normalised, warped, inside),
        "coverage": visible_fraction(
            matrix, rectangle(reference.width, reference.height), levels.width, levels.height
        ),
        **_shape_report(shape),
    }
    # Tracking errors count in pixels of the coarser of the frame and the picture.
    error = fit.rms_error * min(1.0, shape["scale"] / frame_scale)
    return Refined(matrix, figures, verdict(figures, shape, error), warped, inside)


def _shape_report(shape: dict[str, float]) -> dict[str, float]:
    return {
        "scale": shape["scale"],
        "anisotropy": shape["anisotropy"],
        "perspective": shape["scale_spread"],
        "mirrored": 1.0 if shape["min_det_sign"] < 0 else 0.0,
    }


def verdict(figures: dict[str, float], shape: dict[str, float], error: float) -> str | None:
    """Why the figures of a candidate refuse it, or None when it passes."""
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
