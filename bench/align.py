"""Benchmark of feature alignment against pictures with known homographies.

    python -m bench.align                 # the full set: 330 pictures + 54 impostors
    python -m bench.align --pictures 60   # a quicker look
    python -m bench.align --cache DIR     # keep the generated pictures between runs

Three references are drawn (bench/align_fixtures.py): a text-rich form, a nearly blank
form of a few boxes and a photo-like picture, each at 1000, 1754 and 3500 pixels on the
long side (scanned at about 85, 150 and 300 dpi). Each picture shows one of them at a
scale of 0.35-2.5 picture pixels per reference pixel:

- ``photo``: a 12-megapixel phone photo, page anywhere on a busy desk, any rotation,
  up to 35 degrees of camera tilt, things lying on it, fields filled in, uneven light,
  blur, noise and JPEG damage;
- ``scan``: the page on a scanner lid, shifted, skewed by up to 4 degrees, sometimes
  turned by a quarter or half turn, same damage.

For every zone the bench compares the region cut through the estimated homography with
the true one, in reference pixels: IoU, and the distance of each corner. A zone counts
as good at IoU >= 0.95 and as a wrong crop filed when its IoU is below 0.8 and the
picture was not refused. Time is wall-clock time of ``align_picture`` plus ``warp_crop``
of every zone, from the decoded picture (JPEG decoding, shown apart, is the decoder's).
The same pictures go through ``scale`` alignment for comparison. Impostors (another form
of the same kind, a reference of another kind, a picture with no page) must be refused.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from api.imaging.align import (
    AlignmentFailed,
    ReferenceFeatures,
    align_picture,
    compute_reference_features,
)
from api.imaging.align_warp import ZoneOutsidePicture, warp_crop
from api.imaging.errors import AspectMismatch
from api.imaging.geometry import Box, scale_matrix
from bench.align_fixtures import (
    FAMILIES,
    Family,
    Picture,
    Reference,
    ZoneRect,
    make_picture,
    make_reference,
    unrelated_picture,
)

SIZES = (1000, 1754, 3500)
SCALE_RANGE = (0.35, 2.5)
GOOD_IOU = 0.95
WRONG_IOU = 0.8


@dataclass
class Case:
    family: Family
    condition: str
    size: int
    picture: Picture
    impostor: bool = False


@dataclass
class Outcome:
    case: Case
    refused: bool
    reason: str = ""
    ious: list[float] = field(default_factory=list)
    corner_errors: list[float] = field(default_factory=list)
    milliseconds: float = 0.0
    decode_ms: float = 0.0
    figures: dict[str, float] = field(default_factory=dict)


def _project(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    return pts[:, :2] / pts[:, 2:3]


def zone_errors(true: np.ndarray, estimated: np.ndarray, zone: ZoneRect) -> tuple[float, list[float]]:
    """IoU of the estimated zone with the true one, and its corner errors, both measured
    in reference pixels (the estimated region mapped back through the true homography)."""
    corners = zone.corners()
    back = _project(np.linalg.inv(true) @ estimated, corners)
    errors = np.linalg.norm(back - corners, axis=1).tolist()
    quad = back.astype(np.float32)
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
        return 0.0, errors
    inter, _ = cv2.intersectConvexConvex(quad, corners.astype(np.float32))
    union = abs(cv2.contourArea(quad)) + zone.width * zone.height - inter
    return float(inter / union) if union > 0 else 0.0, errors


# ----------------------------------------------------------------------------- the set


def _cached(cache: Path | None, key: str, make: callable) -> Picture | None:  # type: ignore[valid-type]
    if cache is None:
        return make()  # type: ignore[no-any-return]
    path = cache / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            if data["none"]:
                return None
            jpeg = data["jpeg"].tobytes()
            image = Image.open(io.BytesIO(jpeg))
            image.load()
            params = dict(zip(data["keys"].tolist(), data["values"].tolist(), strict=True))
            return Picture(image, jpeg, data["matrix"], str(data["condition"]), params)
    picture = make()
    cache.mkdir(parents=True, exist_ok=True)
    if picture is None:
        np.savez(path, none=True)
    else:
        np.savez(path, none=False, jpeg=np.frombuffer(picture.jpeg, np.uint8),
                 matrix=picture.matrix, condition=picture.condition,
                 keys=np.array(list(picture.params), dtype=str),
                 values=np.array(list(picture.params.values()), dtype=np.float64))
    return picture


def build_cases(references: dict[tuple[Family, int, int], Reference], count: int, seed: int,
                cache: Path | None) -> list[Case]:
    cases: list[Case] = []
    per_family = math.ceil(count / len(FAMILIES))
    for f_index, family in enumerate(FAMILIES):
        for i in range(per_family):
            rng = np.random.default_rng([seed, f_index, i])
            condition = "scan" if i % 10 >= 7 else "photo"
            for attempt in range(50):
                scale = float(np.exp(rng.uniform(*np.log(SCALE_RANGE))))
                size = int(rng.choice(SIZES))
                reference = references[(family, size, 1)]
                key = f"v1/{family}/{i}/{seed}/{attempt}/{condition}/{size}"
                sub = np.random.default_rng([seed, f_index, i, attempt, 7])

                def make(ref: Reference = reference, r: np.random.Generator = sub,
                         c: str = condition, s: float = scale) -> Picture | None:
                    return make_picture(ref, r, c, s)  # type: ignore[arg-type]

                picture = _cached(cache, key, make)
                if picture is not None:
                    cases.append(Case(family, condition, size, picture))
                    break
    return cases


def build_impostors(references: dict[tuple[Family, int, int], Reference], per_family: int,
                    seed: int, cache: Path | None) -> list[Case]:
    """Pictures that must be refused by each family's model (size 1754)."""
    cases: list[Case] = []
    for f_index, family in enumerate(FAMILIES):
        others = [f for f in FAMILIES if f != family]
        for i in range(per_family):
            rng = np.random.default_rng([seed, 99, f_index, i])
            kind = ("another", "another", "other_kind", "unrelated")[i % 4]
            key = f"v1/impostor/{family}/{i}/{seed}/{kind}"
            if kind == "unrelated":
                def make(r: np.random.Generator = rng) -> Picture | None:
                    return unrelated_picture(r)
            else:
                source_family = family if kind == "another" else others[i % 2]
                design = 2 + i if kind == "another" else 1
                reference = references.setdefault(
                    (source_family, 1754, design), make_reference(source_family, 1754, design))

                def make(ref: Reference = reference, r: np.random.Generator = rng) -> Picture | None:
                    for _ in range(20):
                        scale = float(np.exp(r.uniform(math.log(0.5), math.log(2.0))))
                        picture = make_picture(ref, r, "photo", scale)
                        if picture is not None:
                            return picture
                    return None

            picture = _cached(cache, key, make)
            if picture is not None:
                cases.append(Case(family, kind, 1754, picture, impostor=True))
    return cases


# ----------------------------------------------------------------------------- running


def run_features(case: Case, reference: Reference, features: ReferenceFeatures) -> Outcome:
    start = time.perf_counter()
    image = Image.open(io.BytesIO(case.picture.jpeg))
    image.load()
    decode_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    try:
        alignment = align_picture(features, image)
        matrix = np.array(alignment.matrix)
        for zone in reference.zones:
            warp_crop(image, alignment.matrix, Box(zone.x, zone.y, zone.width, zone.height))
    except AlignmentFailed as error:
        elapsed = (time.perf_counter() - start) * 1000
        return Outcome(case, True, error.reason, milliseconds=elapsed, decode_ms=decode_ms,
                       figures=error.figures)
    except ZoneOutsidePicture as error:
        elapsed = (time.perf_counter() - start) * 1000
        return Outcome(case, True, str(error), milliseconds=elapsed, decode_ms=decode_ms)
    elapsed = (time.perf_counter() - start) * 1000
    outcome = Outcome(case, False, milliseconds=elapsed, decode_ms=decode_ms,
                      figures=alignment.figures)
    if not case.impostor:
        for zone in reference.zones:
            iou, errors = zone_errors(case.picture.matrix, matrix, zone)
            outcome.ious.append(iou)
            outcome.corner_errors.extend(errors)
    return outcome


def run_scale(case: Case, reference: Reference) -> Outcome:
    image = case.picture.image
    try:
        matrix = np.array(scale_matrix(reference.image.size, image.size))
    except AspectMismatch as error:
        return Outcome(case, True, str(error))
    outcome = Outcome(case, False)
    for zone in reference.zones:
        iou, errors = zone_errors(case.picture.matrix, matrix, zone)
        outcome.ious.append(iou)
        outcome.corner_errors.extend(errors)
    return outcome


# ----------------------------------------------------------------------------- report


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summarise(name: str, outcomes: list[Outcome], zones_per: dict[str, int]) -> str:
    zones = sum(zones_per[o.case.family] for o in outcomes)
    good = sum(1 for o in outcomes for iou in o.ious if iou >= GOOD_IOU)
    wrong = sum(1 for o in outcomes for iou in o.ious if iou < WRONG_IOU)
    errors = [e for o in outcomes for e in o.corner_errors]
    refused = sum(o.refused for o in outcomes)
    times = [o.milliseconds for o in outcomes if o.milliseconds > 0]
    megapixels = statistics.median(o.case.picture.image.width * o.case.picture.image.height / 1e6
                                   for o in outcomes)
    ms = f"{statistics.median(times):6.0f} {_percentile(times, 95):6.0f}" if times else (
        "     -      -")
    return (f"{name:<22} {len(outcomes):>5} {megapixels:>5.1f} {zones:>6} {100 * good / zones:>7.2f}"
            f" {_percentile(errors, 50):>7.2f} {_percentile(errors, 95):>7.2f} {refused:>7}"
            f" {wrong:>6} {ms}")


HEADER = (f"{'family / condition':<22} {'pics':>5} {'MP':>5} {'zones':>6} {'IoU95%':>7}"
          f" {'err50':>7} {'err95':>7} {'refused':>7} {'wrong':>6} {'ms50':>6} {'ms95':>6}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pictures", type=int, default=330)
    parser.add_argument("--impostors", type=int, default=18, help="per family")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None,
                        help="directory to keep generated pictures in between runs")
    parser.add_argument("--family", choices=FAMILIES, action="append")
    parser.add_argument("--verbose", action="store_true", help="one line per picture")
    args = parser.parse_args(argv)
    families = tuple(args.family or FAMILIES)

    references = {(f, s, 1): make_reference(f, s, 1) for f in FAMILIES for s in SIZES}
    start = time.perf_counter()
    features = {key: compute_reference_features(ref.image) for key, ref in references.items()}
    print(f"reference features: {len(features)} references in "
          f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
    start = time.perf_counter()
    cases = [c for c in build_cases(references, args.pictures, args.seed, args.cache)
             if c.family in families]
    impostors = [c for c in build_impostors(references, args.impostors, args.seed, args.cache)
                 if c.family in families]
    print(f"pictures: {len(cases)} + {len(impostors)} impostors made in "
          f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
    zones_per = {f: len(references[(f, 1754, 1)].zones) for f in FAMILIES}

    feature_outcomes, scale_outcomes = [], []
    for index, case in enumerate(cases):
        reference = references[(case.family, case.size, 1)]
        outcome = run_features(case, reference, features[(case.family, case.size, 1)])
        feature_outcomes.append(outcome)
        scale_outcomes.append(run_scale(case, reference))
        if args.verbose:
            worst = min(outcome.ious) if outcome.ious else float("nan")
            params = " ".join(f"{k}={v:.3g}" for k, v in case.picture.params.items())
            figures = " ".join(f"{k}={v:.3g}" for k, v in outcome.figures.items())
            print(f"{index:4d} {case.family:<10} {case.condition:<5} L={case.size:<5}"
                  f" {'REFUSED ' + outcome.reason if outcome.refused else 'ok'}"
                  f" worst_iou={worst:.3f} {outcome.milliseconds:.0f}ms | {params} | {figures}",
                  file=sys.stderr)
    impostor_outcomes = []
    for case in impostors:
        reference = references[(case.family, 1754, 1)]
        outcome = run_features(case, reference, features[(case.family, 1754, 1)])
        impostor_outcomes.append(outcome)
        if args.verbose or not outcome.refused:
            figures = " ".join(f"{k}={v:.3g}" for k, v in outcome.figures.items())
            print(f"impostor {case.family:<10} {case.condition:<10}"
                  f" {'refused ' + outcome.reason if outcome.refused else 'ACCEPTED'} | {figures}",
                  file=sys.stderr)

    print("alignment: features")
    print(HEADER)
    for family in families:
        rows = [o for o in feature_outcomes if o.case.family == family]
        print(summarise(family, rows, zones_per))
        for condition in ("photo", "scan"):
            sub = [o for o in rows if o.case.condition == condition]
            if sub:
                print(summarise(f"  {condition}", sub, zones_per))
    print(summarise("all", feature_outcomes, zones_per))
    decode = [o.decode_ms for o in feature_outcomes]
    twelve = [o.milliseconds for o in feature_outcomes
              if o.case.picture.image.width * o.case.picture.image.height >= 11e6]
    if twelve:
        print(f"12-megapixel pictures: {len(twelve)}, median {statistics.median(twelve):.0f} ms"
              f" end to end (align + cut every zone); JPEG decoding apart: median"
              f" {statistics.median(decode):.0f} ms")
    print()
    print("alignment: scale (the same pictures)")
    print(HEADER)
    for family in families:
        rows = [o for o in scale_outcomes if o.case.family == family]
        print(summarise(family, rows, zones_per))
    print(summarise("all", scale_outcomes, zones_per))
    print()
    print("impostors (must all be refused)")
    print(f"{'model family':<14} {'kind':<12} {'pictures':>8} {'refused':>8} {'accepted':>8}")
    for family in families:
        for kind in ("another", "other_kind", "unrelated"):
            rows = [o for o in impostor_outcomes if o.case.family == family
                    and o.case.condition == kind]
            if rows:
                refused = sum(o.refused for o in rows)
                print(f"{family:<14} {kind:<12} {len(rows):>8} {refused:>8}"
                      f" {len(rows) - refused:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
