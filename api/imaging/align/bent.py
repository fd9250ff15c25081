"""Pages that are not flat: fit the mesh, tell whether the page bends, judge each zone.

A mesh (api/imaging/align/mesh.py) is fitted to what the verified homography leaves
unexplained, and verified like a homography. When it moves something and explains the
picture better, the page counts as bent, and each zone is then judged on its own: by the
print along its outline (api/imaging/align/zones.py) and by the reference's corners
around it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from api.imaging.align import refine
from api.imaging.align.homography import shape_figures
from api.imaging.align.mesh import NEUTRAL, fit_mesh, warp_locally
from api.imaging.align.reference import ReferenceFeatures
from api.imaging.align.verify import Refined, verdict
from api.imaging.align.zones import match_zones
from api.imaging.geometry import Box

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


def localise(
    reference: ReferenceFeatures, levels: refine.PictureLevels, refined: Refined
) -> Refined | None:
    """Fit a mesh to what the homography leaves unexplained, and verify the page through
    it; None when the page is flat (the mesh moves nothing) or the mesh is implausible."""
    assert refined.warped is not None and refined.inside is not None
    height, width = reference.grey.shape
    mesh = fit_mesh(reference.normalised, refined.warped, reference.mesh_corners, reference.edges)
    shift = mesh.max_shift
    if shift < LOCAL_MIN_SHIFT or shift > LOCAL_MAX_SHIFT * math.hypot(width, height):
        return None
    warped, seen = warp_locally(
        [refined.warped, refined.inside.astype(np.uint8)], mesh, (NEUTRAL, 0)
    )
    inside = seen > 0
    check = refine.track(reference.normalised, warped, reference.corners, levels=1)
    residual = np.linalg.norm(check.target - check.source, axis=1)
    agree = residual < refine.FIT_THRESHOLD
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
        "similarity": refine.similarity(reference.normalised, warped, inside),
        "local_shift_px": shift / frame_scale,
    }
    error = rms * min(1.0, shape["scale"] / frame_scale)
    failure = verdict(figures, shape, error)
    return Refined(refined.matrix, figures, failure, warped, inside, mesh)


def is_bent(plain: Refined, local: Refined | None) -> bool:
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


def better_of(plain: Refined, local: Refined | None) -> Refined:
    """The mesh when it passes and finds about as many of the model's landmarks as the
    homography alone (on a bent page it finds more; an equal count means the homography
    was right where the landmarks are, and the mesh is right in between too)."""
    if local is None or local.failure is not None:
        return plain
    if plain.failure is not None:
        return local
    loss = plain.figures["found_ratio"] - local.figures["found_ratio"]
    return local if loss <= LOCAL_LOSS else plain


def judge_zones(
    reference: ReferenceFeatures, refined: Refined, zones: Sequence[Box]
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
    rings = match_zones(
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
    reference: ReferenceFeatures, refined: Refined
) -> tuple[np.ndarray, np.ndarray]:
    """The reference's corners that the picture shows, and those of them found within
    ``ZONE_NEAR`` of where the alignment puts them (frame pixels)."""
    assert refined.warped is not None and refined.inside is not None
    height, width = reference.grey.shape
    corners = reference.corners
    tracked = refine.track(reference.normalised, refined.warped, corners, levels=1)
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
