"""Feature alignment: find the model's reference inside a picture, or refuse.

``align_picture`` registers a picture to a reference's features
(api/imaging/align/reference.py) and returns the homography reference -> picture with the
figures that justify it, or raises :class:`AlignmentFailed`. ``cut_zone`` cuts one zone
through it (api/imaging/align/warp.py).

How a picture is aligned, cheapest way first:

1. Rough candidates. SIFT keypoints of a copy of the picture 800 pixels long are matched
   to the reference's (ratio test) and MAGSAC++ with PROSAC sampling fits a homography.
   A nearly blank form gives features nothing to hold on to, so boxes and the page
   outline found in both pictures are paired up as quadrilaterals (quads.py).
   Then both again on larger copies (1400 and 2048 pixels), for a page that is small in
   the picture.
2. Refinement (verify.py). The picture is warped into the reference's working frame,
   Lucas-Kanade tracks the reference's strongest corners into it, and a robust fit of the
   residual homography corrects the candidate; up to three rounds. Errors end well under
   a pixel.
3. Verification (verify.py, which tells how its thresholds were set). The homography
   must be a plausible view of a flat page (no mirror, bounded scale, shear and
   perspective); most of the corners that were tracked must agree with it; a good share
   of all the reference's corners that lie in the picture must be found exactly where it
   puts them (a sibling form with the same frame but other content fails here); and the
   warped picture must correlate with the reference.
4. A page that is not flat (bent.py). A mesh refines the homography where the page
   bends, and each zone is then judged on its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from api.imaging.align import features, refine
from api.imaging.align.bent import better_of, is_bent, judge_zones, localise
from api.imaging.align.crosscheck import MAX_DISAGREEMENT, second_placement
from api.imaging.align.cuts import check_cuts
from api.imaging.align.homography import project, scaling
from api.imaging.align.mesh import LocalMapping
from api.imaging.align.quads import find_quads, hypotheses
from api.imaging.align.reference import ReferenceFeatures, frame_to_reference
from api.imaging.align.verify import Refined, refine_candidate
from api.imaging.align.warp import mapped_region, warp_crop, warp_crop_mapped, warp_region
from api.imaging.errors import ImagingError
from api.imaging.geometry import Box, Matrix

PICTURE_WORK_SIZES = (800, 1400)  # long sides of the picture copies searched for features
QUADS_WORK_SIZES = (1024, 2048)  # long sides of the copies searched for boxes and outline
FEATURE_RICH = 200  # SIFT keypoints a reference needs for features to be tried first
MIN_FEATURE_INLIERS = 12  # feature matches agreeing with a rough homography
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
    local: LocalMapping | None = None
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


def cut_region(size: tuple[int, int], alignment: Alignment, box: Box) -> Box:
    """The pixels of a picture of ``size`` that :func:`cut_zone` reads to cut ``box``: the
    crop is the same from any picture whose pixels there are the same."""
    if alignment.local is None:
        return warp_region(size, alignment.matrix, box)
    return mapped_region(size, alignment.local.to_picture, box)


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
    keypoints = features.detect(work, features.PICTURE_FEATURES)
    source, target = features.match(reference.keypoints_in_frame, keypoints)
    estimate = features.estimate(source, target, threshold=4.0)
    figures = {
        "feature_matches": float(len(source)),
        "feature_inliers": float(estimate.inliers if estimate else 0),
    }
    if estimate is None or estimate.inliers < MIN_FEATURE_INLIERS:
        return None, figures
    ref_to_frame = np.linalg.inv(frame_to_reference(reference))
    return to_picture @ estimate.matrix @ ref_to_frame, figures


def _rough_from_quads(
    reference: ReferenceFeatures, work: np.ndarray, to_picture: np.ndarray
) -> list[tuple[np.ndarray, dict[str, float]]]:
    picture_quads = find_quads(work)
    sx, sy = reference.frame_scale
    # Quads in working-frame pixels on both sides, so tolerances mean the same thing.
    reference_quads = reference.quads * np.array([sx, sy], np.float32)
    ref_to_frame = np.linalg.inv(frame_to_reference(reference))
    return [
        (to_picture @ h.matrix @ ref_to_frame, {"outline_quads": float(h.quads)})
        for h in hypotheses(reference_quads, picture_quads)
    ]


def _judge_placement(
    reference: ReferenceFeatures,
    plain: Refined,
    chosen: Refined,
    zones: Sequence[Box],
    bent: bool,
    meshed: bool,
) -> tuple[tuple[float | None, ...], str | None, dict[str, float]]:
    """Each zone's confidence and a reason to refuse the page, once a placement passed
    verification on the whole page.

    A flat page's homography was verified on the whole page; its cuts are still checked
    for a slip (cuts.py). On a page that is not flat (whether or not the mesh won), each
    zone is judged on its own too (bent.py) and its cut must show the reference's print
    around it; and wherever a mesh could be fitted at all — a bent page the homography
    happened to explain is a bent page all the same — every zone is placed a second,
    independent way (crosscheck.py) and must land where the chosen placement put it."""
    scores: tuple[float | None, ...] = ()
    figures: dict[str, float] = {}
    if not zones:
        return scores, None, figures
    reason: str | None = None
    if bent:
        scores, reason, figures = judge_zones(reference, chosen, zones)
    if reason is None:
        reason, cut_figures = _check_cuts(reference, chosen, zones, strict=bent)
        figures.update(cut_figures)
    if reason is None and (bent or meshed):
        reason, flow_figures = _second_opinion(reference, plain, chosen, zones)
        figures.update(flow_figures)
    return scores, reason, figures


def _frame_boxes(
    reference: ReferenceFeatures, zones: Sequence[Box]
) -> list[tuple[float, float, float, float]]:
    sx, sy = reference.frame_scale
    return [(b.x * sx, b.y * sy, b.right * sx, b.bottom * sy) for b in zones]


def _check_cuts(
    reference: ReferenceFeatures, chosen: Refined, zones: Sequence[Box], strict: bool
) -> tuple[str | None, dict[str, float]]:
    """A reason to refuse the page when a zone's cut slipped, or (``strict``: on a page
    that is not flat) when the print around it is not found where it was cut."""
    if chosen.warped is None or chosen.inside is None:
        return None, {}
    checks = check_cuts(
        reference.print_strength, chosen.warped, chosen.inside, _frame_boxes(reference, zones)
    )
    judged = [c.in_place for c in checks if c.in_place is not None]
    figures = {"cut_match_min": round(min(judged), 3)} if judged else {}
    for index, check in enumerate(checks):
        if check.slip is not None:
            figures["zone"] = float(index + 1)
            dx, dy = check.slip
            return (
                f"the print around zone {index + 1} matches {dx:+d}, {dy:+d} working pixels "
                "away from where it would be cut: the crop would slip",
                figures,
            )
        if strict and check.unmatched():
            figures["zone"] = float(index + 1)
            return (
                f"the print around zone {index + 1} is not where it would be cut (edge "
                f"correlation {check.in_place:.2f}): the page may be bent, folded or covered "
                "there",
                figures,
            )
    return None, figures


def _second_opinion(
    reference: ReferenceFeatures, plain: Refined, chosen: Refined, zones: Sequence[Box]
) -> tuple[str | None, dict[str, float]]:
    """Place every zone a second way (crosscheck.py: the print around its corners sought in
    the picture seen through the homography alone) and compare with the chosen
    placement: a reason to refuse the page when the two disagree on a zone, and the
    largest disagreement (picture pixels) among the figures."""
    if plain.warped is None:
        return None, {}
    sx, sy = reference.frame_scale
    placements = second_placement(
        reference.smoothed, plain.warped, chosen.mesh, _frame_boxes(reference, zones)
    )
    # Frame pixels to picture pixels, on the page's average scale.
    to_picture = chosen.figures.get("scale", 1.0) / math.sqrt(sx * sy)
    apart = [(p.apart or 0.0) * to_picture for p in placements]
    figures = {
        "placements_apart_px": round(max(apart, default=0.0), 2),
        "zones_placed_twice": float(sum(p.apart is not None for p in placements)),
    }
    for index, distance in enumerate(apart):
        if distance > MAX_DISAGREEMENT:
            figures["zone"] = float(index + 1)
            reason = (
                f"two independent placements of zone {index + 1} are {distance:.1f} pixels "
                "apart: the page may be bent, folded or covered there"
            )
            return reason, figures
    return None, figures


def align_picture(
    reference: ReferenceFeatures, picture: Image.Image, zones: Sequence[Box] = ()
) -> Alignment:
    """Register ``picture`` (already EXIF-oriented; L, RGB or RGBA) to the reference.

    Returns the homography reference -> picture pixels, the mesh that refines it on a page
    that is not flat, and the figures, or raises :class:`AlignmentFailed` with the figures
    of the most convincing attempt when no candidate passes verification. Every one of
    ``zones`` (reference pixels) must match the reference around it too.
    """
    levels = refine.PictureLevels(picture)
    rough_figures: dict[str, float] = {}

    searched = [0]  # long side of the largest copy searched for features so far

    def from_features(sizes: tuple[int, ...]) -> Iterator[tuple[np.ndarray, dict[str, float]]]:
        for long_side in sizes:
            work, sx, sy = levels.work(long_side)
            if max(work.shape) <= searched[0]:
                return  # the picture is no larger than the copy already searched
            searched[0] = max(work.shape)
            rough, figures = _rough_from_features(reference, work, np.linalg.inv(scaling(sx, sy)))
            rough_figures.update(figures)
            if rough is not None:
                yield rough, figures

    def from_quads(long_side: int) -> Iterator[tuple[np.ndarray, dict[str, float]]]:
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
            yield from from_features((small,))
            yield from from_quads(QUADS_WORK_SIZES[0])
            yield from from_features((large,))
            yield from from_quads(QUADS_WORK_SIZES[1])
        else:
            yield from from_quads(QUADS_WORK_SIZES[0])
            yield from from_quads(QUADS_WORK_SIZES[1])
            yield from from_features((small, large))

    attempts: list[tuple[Refined, dict[str, float]]] = []
    for matrix, figures in candidates():
        plain = refine_candidate(reference, levels, matrix / matrix[2, 2])
        mesh = localise(reference, levels, plain) if plain.warped is not None else None
        bent = is_bent(plain, mesh)
        refined = better_of(plain, mesh) if bent else plain
        scores: tuple[float | None, ...] = ()
        if refined.failure is None:
            scores, reason, zone_figures = _judge_placement(
                reference, plain, refined, zones, bent=bent, meshed=mesh is not None
            )
            refined.figures.update(zone_figures)
            if reason is not None:
                # The page was found, and another candidate would find the same page.
                raise AlignmentFailed(reason, {**rough_figures, **figures, **refined.figures})
        attempts.append((refined, figures))
        if refined.failure is None:
            local = None
            if refined.mesh is not None:
                local = LocalMapping(refined.matrix, reference.frame_scale, refined.mesh)
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
