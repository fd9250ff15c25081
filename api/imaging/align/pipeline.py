"""Feature alignment: find the model's reference inside a picture, or refuse.

``compute_reference_features`` runs once per reference picture; its result is what the
service caches (``to_bytes`` / ``from_bytes``). ``align_picture`` registers a picture to
it and returns the homography reference -> picture with the figures that justify it, or
raises :class:`AlignmentFailed`. ``warp_crop`` cuts one zone through that homography.

How a picture is aligned, cheapest way first:

1. Rough candidates. SIFT keypoints of a copy of the picture 800 pixels long are matched
   to the reference's (ratio test) and MAGSAC++ with PROSAC sampling fits a homography.
   A nearly blank form gives features nothing to hold on to, so boxes and the page
   outline found in both pictures are paired up as quadrilaterals (``quads``).
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np
from PIL import Image

from api.imaging.align import edges as align_edges
from api.imaging.align import features as align_features
from api.imaging.align import mesh as align_local
from api.imaging.align import quads as align_quads
from api.imaging.align import refine as align_refine
from api.imaging.align import zones as align_zones
from api.imaging.align.homography import (
    implausibility,
    project,
    rectangle,
    scaling,
    shape_figures,
    visible_fraction,
)
from api.imaging.align.warp import ZoneOutsidePicture, warp_crop, warp_crop_mapped
from api.imaging.errors import ImagingError
from api.imaging.geometry import Box, Matrix

__all__ = [
    "Alignment",
    "AlignmentFailed",
    "ReferenceFeatures",
    "ZoneOutsidePicture",
    "align_picture",
    "compute_reference_features",
    "cut_zone",
    "warp_crop",
]

FORMAT_VERSION = 4
"""Bumped whenever the cached features would no longer match what this code computes."""

REFERENCE_WORK_SIZE = 1024  # long side of the reference's working frame, pixels
PICTURE_WORK_SIZES = (800, 1400)  # long sides of the picture copies searched for features
QUADS_WORK_SIZES = (1024, 2048)  # long sides of the copies searched for boxes and outline
TRACK_CORNERS = 800
MESH_CORNERS_PER_CELL = 6  # corners sought in each cell of the mesh, for local refinement
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
LOCAL_MIN_SHIFT = 1.0  # frame pixels: a mesh moving nothing further is a flat page
LOCAL_MAX_SHIFT = 0.06  # of the frame's diagonal: paper held up to a camera bends less
LOCAL_GAIN = 0.03  # found_ratio a mesh must add for a page to count as not flat
LOCAL_TIGHTER = 0.7  # ... or bring the RMS error of the landmarks found down to this share
LOCAL_LOSS = 0.02  # found_ratio a mesh may lose and still be preferred to a homography
MIN_ZONE_FOUND = 0.25  # share of the reference's corners around a zone found in place
ZONE_NEAR = 2.0  # frame pixels: "in place" for a corner around a zone (a bend bends a little)
ZONE_CORNERS = 6  # corners around a zone, at least, for their share to count
ZONE_SURROUNDINGS = 0.5  # of the zone's shorter side: how far around it corners count
ZONE_VOUCHED = 0.5  # of them found in place: vouches for a zone whose outline is hidden
ZONE_MOVED = 0.5  # reference pixels: a zone the mesh moves further counts as refined


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
    """A homography reference -> picture, and the figures that make it trustworthy.

    ``local`` is the mesh that places zones more exactly on a page that is not flat (None
    on a flat one); ``zone_scores`` how sure each zone's placement is (0-1: the lesser of
    how its printed sides matched and the share of landmarks around it found in place), in
    the order the zones were given, None for a zone with nothing around it to judge by;
    empty on a flat page, where zones are not judged one by one.
    """

    matrix: Matrix
    figures: dict[str, float] = field(default_factory=dict)
    local: align_local.LocalMapping | None = None
    zone_scores: tuple[float | None, ...] = ()

    def to_picture(self, points: np.ndarray) -> np.ndarray:
        """Where reference ``points`` (N, 2) lie in the picture."""
        if self.local is not None:
            return self.local.to_picture(points)
        return project(np.asarray(self.matrix, np.float64), np.asarray(points, np.float64))

    def zone_quad(self, box: Box) -> list[list[float]]:
        """The corners of ``box`` in the picture, clockwise from its top-left."""
        quad = self.to_picture(_box_corners(box))
        return [[round(float(x), 2), round(float(y), 2)] for x, y in quad]

    def local_summary(self, boxes: Sequence[Box]) -> dict[str, float] | None:
        """What the mesh moved: its largest shift anywhere (reference pixels) and how many
        of ``boxes`` it moved by more than half a pixel; None on a flat page."""
        if self.local is None:
            return None
        moved = [float(self.local.shift(_box_corners(box)).max()) for box in boxes]
        return {
            "max_shift_px": round(self.figures.get("local_shift_px", 0.0), 2),
            "zones_refined": float(sum(shift > ZONE_MOVED for shift in moved)),
        }


def _box_corners(box: Box) -> np.ndarray:
    return np.array(
        [[box.x, box.y], [box.right, box.y], [box.right, box.bottom], [box.x, box.bottom]],
        np.float64,
    )


def cut_zone(picture: Image.Image, alignment: Alignment, box: Box) -> Image.Image:
    """The zone ``box`` as an upright crop, through the mesh where there is one."""
    if alignment.local is None:
        return warp_crop(picture, alignment.matrix, box)
    return warp_crop_mapped(picture, alignment.local.to_picture, box)


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
    mesh_corners: np.ndarray

    @property
    def frame_scale(self) -> tuple[float, float]:
        """Working-frame pixels per reference pixel, along x and y."""
        return self.grey.shape[1] / self.width, self.grey.shape[0] / self.height

    @cached_property
    def normalised(self) -> np.ndarray:
        return align_refine.normalise(self.grey)

    @cached_property
    def edges(self) -> align_edges.Edges:
        """Points along the reference's straight print, for the mesh (align_edges)."""
        return align_edges.find_edges(self.normalised)

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
            mesh_corners=self.mesh_corners,
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
                    archive["mesh_corners"].astype(np.float32),
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
        width,
        height,
        points,
        keypoints.descriptors,
        grey,
        corners,
        quads.astype(np.float32),
        _spread_corners(grey, corners),
    )


def _spread_corners(grey: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """``corners`` and, in every cell of the mesh's size, the best corners of that cell
    judged against the cell alone: sparse parts of a page (a lone box under a dense
    table) then hold the mesh too, not only where print is dense."""
    height, width = grey.shape
    cell = int(align_local.MESH_SPACING)
    found = [corners]
    for top in range(0, height, cell):
        for left in range(0, width, cell):
            patch = grey[top : top + cell, left : left + cell]
            if min(patch.shape) < 16:
                continue
            best = cv2.goodFeaturesToTrack(patch, MESH_CORNERS_PER_CELL, 0.05, 8, blockSize=7)
            if best is not None and float(patch.std()) > 4.0:
                found.append(best.reshape(-1, 2).astype(np.float32) + [left + 0.5, top + 0.5])
    every = np.concatenate(found).astype(np.float32)
    # One of any two corners closer than 4 pixels is enough.
    keys = np.round(every / 4.0).astype(np.int64)
    _, first = np.unique(keys, axis=0, return_index=True)
    return every[np.sort(first)]


def _frame_to_reference(reference: ReferenceFeatures) -> np.ndarray:
    sx, sy = reference.frame_scale
    return scaling(1.0 / sx, 1.0 / sy)


@dataclass
class _Refined:
    matrix: np.ndarray
    figures: dict[str, float]
    failure: str | None
    # The picture as the alignment sees it in the frame (normalised), and where it is the
    # picture's: set once a candidate got as far as verification.
    warped: np.ndarray | None = None
    inside: np.ndarray | None = None
    mesh: align_local.Mesh | None = None


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
        grey, seen = align_refine.warp_into(levels, matrix, size, frame_to_ref)
        if noise is None:
            noise = align_refine.noise_level(grey)
        warped = align_refine.normalise(grey, noise, seen)
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
        grey, seen = align_refine.warp_into(levels, matrix, size, frame_to_ref)
        warped = align_refine.normalise(grey, noise, seen)
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
    return _Refined(matrix, figures, _verdict(figures, shape, error), warped, inside)


def _localise(
    reference: ReferenceFeatures, levels: align_refine.PictureLevels, refined: _Refined
) -> _Refined | None:
    """Fit a mesh to what the homography leaves unexplained, and verify the page through
    it; None when the page is flat (the mesh moves nothing) or the mesh is implausible."""
    assert refined.warped is not None and refined.inside is not None
    height, width = reference.grey.shape
    mesh = align_local.fit_mesh(
        reference.normalised, refined.warped, reference.mesh_corners, reference.edges
    )
    shift = mesh.max_shift
    if shift < LOCAL_MIN_SHIFT or shift > LOCAL_MAX_SHIFT * math.hypot(width, height):
        return None
    warped, seen = align_local.warp_locally(
        [refined.warped, refined.inside.astype(np.uint8)], mesh, (align_local.NEUTRAL, 0)
    )
    inside = seen > 0
    check = align_refine.track(reference.normalised, warped, reference.corners, levels=1)
    residual = np.linalg.norm(check.target - check.source, axis=1)
    agree = residual < align_refine.FIT_THRESHOLD
    corners = reference.corners
    visible = int(
        inside[
            np.clip(corners[:, 1].astype(int), 0, height - 1),
            np.clip(corners[:, 0].astype(int), 0, width - 1),
        ].sum()
    )
    frame_scale = math.sqrt(reference.frame_scale[0] * reference.frame_scale[1])
    shape = shape_figures(refined.matrix, reference.width, reference.height)
    inliers = int(agree.sum())
    rms = float(np.sqrt(np.mean(residual[agree] ** 2))) if inliers else float("inf")
    figures = {
        **refined.figures,
        "inliers": float(inliers),
        "tracked_points": float(len(check.source)),
        "inlier_ratio": inliers / max(len(check.source), 1),
        "found_ratio": inliers / max(visible, 1),
        "reprojection_error_px": rms / frame_scale,
        "similarity": align_refine.similarity(reference.normalised, warped, inside),
        "local_shift_px": shift / frame_scale,
    }
    error = rms * min(1.0, shape["scale"] / frame_scale)
    verdict = _verdict(figures, shape, error)
    return _Refined(refined.matrix, figures, verdict, warped, inside, mesh)


def _bent(plain: _Refined, local: _Refined | None) -> bool:
    """Whether the page is not flat: the mesh moved something and explains the picture
    better than the homography alone, finding more of the model's landmarks or finding
    them markedly tighter (on a flat page a mesh fitted to noise does neither: the
    landmarks' RMS error stays within a tenth of the homography's)."""
    if local is None:
        return False
    if plain.failure is not None:
        return True
    gain = local.figures.get("found_ratio", 0.0) - plain.figures["found_ratio"]
    tighter = local.figures["reprojection_error_px"] / max(
        plain.figures["reprojection_error_px"], 1e-6
    )
    return local.failure is not None or gain >= LOCAL_GAIN or tighter <= LOCAL_TIGHTER


def _better(plain: _Refined, local: _Refined | None) -> _Refined:
    """The mesh when it passes and finds about as many of the model's landmarks as the
    homography alone (on a bent page it finds more; an equal count means the homography
    was right where the landmarks are, and the mesh is right in between too)."""
    if local is None or local.failure is not None:
        return plain
    if plain.failure is not None:
        return local
    loss = plain.figures["found_ratio"] - local.figures["found_ratio"]
    return local if loss <= LOCAL_LOSS else plain


def _judge_zones(
    reference: ReferenceFeatures, refined: _Refined, zones: Sequence[Box]
) -> tuple[tuple[float | None, ...], str | None, dict[str, float]]:
    """How sure each zone's placement is, and a reason to refuse the page when one of them
    is placed wrong. Two kinds of evidence, each where the reference has it: the print
    along the zone's outline must not be found clearly better elsewhere
    (api/imaging/align/zones.py), and the reference's corners around the zone must be
    found where the alignment puts them."""
    if not zones or refined.warped is None or refined.inside is None:
        return (), None, {}
    sx, sy = reference.frame_scale
    boxes = [(b.x * sx, b.y * sy, b.right * sx, b.bottom * sy) for b in zones]
    visible, agreeing = _tracked_corners(reference, refined)
    rings = align_zones.match_zones(
        reference.normalised, refined.warped, refined.inside, boxes, (visible, agreeing)
    )
    found = _corners_found(visible, agreeing, boxes)
    scores: list[float | None] = []
    failure: str | None = None
    figures: dict[str, float] = {}
    for index, (ring, share) in enumerate(zip(rings, found, strict=True)):
        evidence = [v for v in (ring.score, share) if v is not None]
        scores.append(min(1.0, max(0.0, min(evidence))) if evidence else None)
        if failure is not None:
            continue
        if ring.misplaced:
            failure = (
                f"the print around zone {index + 1} was found {ring.offset:.0f} pixels away "
                "from where the zone would be cut: the page may be bent or folded there"
            )
        elif ring.unmatched and (share is None or share < ZONE_VOUCHED):
            failure = (
                f"the print around zone {index + 1} does not match the model where it would "
                f"be cut (correlation {ring.score:.2f}): the page may be bent, folded or "
                "covered there"
            )
        elif share is not None and share < MIN_ZONE_FOUND:
            failure = (
                f"only {share:.0%} of the model's landmarks around zone {index + 1} were found "
                f"in place (at least {MIN_ZONE_FOUND:.0%} are needed): the page may be bent "
                "or folded there"
            )
        if failure is not None:
            figures["zone"] = float(index + 1)
    judged = [v for v in scores if v is not None]
    if judged:
        figures["zone_confidence_min"] = min(judged)
    return tuple(scores), failure, figures


def _tracked_corners(
    reference: ReferenceFeatures, refined: _Refined
) -> tuple[np.ndarray, np.ndarray]:
    """The reference's corners that the picture shows, and those of them found within
    ``ZONE_NEAR`` of where the alignment puts them (frame pixels)."""
    assert refined.warped is not None and refined.inside is not None
    height, width = reference.grey.shape
    corners = reference.corners
    tracked = align_refine.track(reference.normalised, refined.warped, corners, levels=1)
    agree = tracked.source[np.linalg.norm(tracked.target - tracked.source, axis=1) < ZONE_NEAR]
    seen = refined.inside[
        np.clip(corners[:, 1].astype(int), 0, height - 1),
        np.clip(corners[:, 0].astype(int), 0, width - 1),
    ]
    return corners[seen], agree


def _corners_found(
    visible: np.ndarray, agree: np.ndarray, boxes: list[tuple[float, float, float, float]]
) -> list[float | None]:
    """For each zone, the share of the ``visible`` corners around it that ``agree``;
    None for fewer than ``ZONE_CORNERS`` of them."""
    shares: list[float | None] = []
    for x0, y0, x1, y1 in boxes:
        margin = max(ZONE_SURROUNDINGS * min(x1 - x0, y1 - y0), 16.0)
        around = (x0 - margin, y0 - margin, x1 + margin, y1 + margin)
        count = _count_within(visible, around)
        shares.append(_count_within(agree, around) / count if count >= ZONE_CORNERS else None)
    return shares


def _count_within(points: np.ndarray, bounds: tuple[float, float, float, float]) -> int:
    left, top, right, bottom = bounds
    x, y = points[:, 0], points[:, 1]
    return int(np.count_nonzero((x >= left) & (x <= right) & (y >= top) & (y <= bottom)))


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


def align_picture(
    reference: ReferenceFeatures, picture: Image.Image, zones: Sequence[Box] = ()
) -> Alignment:
    """Register ``picture`` (already EXIF-oriented; L, RGB or RGBA) to the reference.

    Returns the homography reference -> picture pixels, the mesh that refines it on a page
    that is not flat, and the figures, or raises :class:`AlignmentFailed` with the figures
    of the most convincing attempt when no candidate passes verification. Every one of
    ``zones`` (reference pixels) must match the reference around it too.
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
        mesh = _localise(reference, levels, refined) if refined.warped is not None else None
        bent = _bent(refined, mesh)
        refined = _better(refined, mesh) if bent else refined
        scores: tuple[float | None, ...] = ()
        if refined.failure is None and bent:
            # A flat page's homography was verified on the whole page; on a page that is
            # not flat (whether or not the mesh won), each zone is judged on its own too.
            scores, reason, zone_figures = _judge_zones(reference, refined, zones)
            refined.figures.update(zone_figures)
            if reason is not None:
                # The page was found, and another candidate would find the same page.
                raise AlignmentFailed(reason, {**rough_figures, **figures, **refined.figures})
        attempts.append((refined, figures))
        if refined.failure is None:
            local = None
            if refined.mesh is not None:
                local = align_local.LocalMapping(
                    refined.matrix, reference.frame_scale, refined.mesh
                )
            return Alignment(
                _as_matrix(refined.matrix), {**figures, **refined.figures}, local, scores
            )
    if not attempts:
        raise AlignmentFailed("no feature or box of the model was found in it", rough_figures)
    best, figures = max(
        attempts,
        key=lambda a: (a[0].figures.get("found_ratio", 0.0), a[0].figures.get("inliers", 0.0)),
    )
    raise AlignmentFailed(best.failure or "", {**rough_figures, **figures, **best.figures})
