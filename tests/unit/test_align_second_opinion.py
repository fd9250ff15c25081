"""The second, independent placement (api.imaging.align.crosscheck) and the check of the cut
itself (api.imaging.align.cuts).

Warps are made here and known exactly (the helpers of test_align_bent), so the flow can
be held to what it should find, and slips are planted where they are known.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from api.imaging.align.crosscheck import find_tile, second_placement, smoothed, tiles
from api.imaging.align.cuts import check_cuts, edge_strength
from api.imaging.align.mesh import Mesh, fit_mesh
from api.imaging.align.reference import ReferenceFeatures, compute_reference_features
from bench.align_fixtures import Reference, blank_form, text_form
from tests.unit.test_align_bent import Warp, bow, lens, seen_through


@pytest.fixture(scope="module")
def form() -> Reference:
    return text_form(1754, seed=3)


@pytest.fixture(scope="module")
def features(form: Reference) -> ReferenceFeatures:
    return compute_reference_features(form.image)


def frame_boxes(
    form: Reference, features: ReferenceFeatures
) -> list[tuple[float, float, float, float]]:
    sx, sy = features.frame_scale
    return [(z.x * sx, z.y * sy, (z.x + z.width) * sx, (z.y + z.height) * sy) for z in form.zones]


def mesh_of(warp: Warp, width: int, height: int) -> Mesh:
    """A mesh whose nodes hold ``warp`` exactly (bilinear in between)."""
    zero = Mesh.zero(width, height)
    rows, cols = zero.shape
    xs = np.linspace(0, width, cols)
    ys = np.linspace(0, height, rows)
    gx, gy = np.meshgrid(xs, ys)
    dx, dy = warp(gx, gy)
    return Mesh(float(width), float(height), np.stack([dx, dy], axis=-1).astype(np.float64))


@pytest.mark.parametrize("family", [text_form, blank_form], ids=["text", "blank"])
@pytest.mark.parametrize("make_warp", [bow, lens], ids=["bow", "lens"])
def test_known_warps_are_recovered_within_a_pixel(
    family: Callable[..., Reference], make_warp: Callable[[int, int], Warp]
) -> None:
    """The print around each zone corner is found where the warp moved it."""
    form = family(1754, seed=3)
    features = compute_reference_features(form.image)
    height, width = features.grey.shape
    warp = make_warp(width, height)
    picture = smoothed(seen_through(features.normalised, warp))
    errors: list[float] = []
    for box in frame_boxes(form, features):
        for tile in tiles(box):
            offset = find_tile(features.smoothed, picture, tile)
            if offset is None:
                continue
            x, y = tile.centre
            tx, ty = warp(np.array([x]), np.array([y]))
            errors.append(float(np.hypot(offset[0] - tx[0], offset[1] - ty[0])))
    assert float(np.abs(mesh_of(warp, width, height).nodes).max()) > 8  # far from flat
    assert len(errors) >= 2 * len(form.zones)  # most zones have corners to judge by
    assert max(errors) < 1.0, sorted(errors)[-5:]


@pytest.mark.parametrize("make_warp", [bow, lens], ids=["bow", "lens"])
def test_the_placements_of_a_known_warp_agree(
    form: Reference, features: ReferenceFeatures, make_warp: Callable[[int, int], Warp]
) -> None:
    height, width = features.grey.shape
    warp = make_warp(width, height)
    picture = seen_through(features.normalised, warp)
    mesh = fit_mesh(features.normalised, picture, features.corners, features.edges)
    boxes = frame_boxes(form, features)
    placements = second_placement(features.smoothed, picture, mesh, boxes)
    judged = [p.apart for p in placements if p.apart is not None]
    assert len(judged) >= 2 * len(boxes) // 3  # most zones are placed twice
    assert max(judged) < 1.0


def test_a_planted_slip_in_one_zone_is_where_the_placements_disagree(
    form: Reference, features: ReferenceFeatures
) -> None:
    height, width = features.grey.shape
    warp = bow(width, height)
    picture = seen_through(features.normalised, warp)
    boxes = frame_boxes(form, features)
    right = mesh_of(warp, width, height)
    placed = second_placement(features.smoothed, picture, right, boxes)
    # The placement slips by 5 frame pixels downwards around one zone only, one whose
    # corners' print can be found.
    slipped_zone = next(i for i, p in enumerate(placed) if p.corners >= 3)
    x0, y0, x1, y1 = boxes[slipped_zone]
    rows, cols = right.shape
    node_x = np.linspace(0, width, cols)[None, :]
    node_y = np.linspace(0, height, rows)[:, None]
    around = (node_x > x0 - 90) & (node_x < x1 + 90) & (node_y > y0 - 90) & (node_y < y1 + 90)
    nodes = right.nodes.copy()
    nodes[..., 1] += 5.0 * around
    wrong = Mesh(right.width, right.height, nodes)
    placements = second_placement(features.smoothed, picture, wrong, boxes)
    assert placements[slipped_zone].apart is not None
    assert placements[slipped_zone].apart > 3.0
    far = [
        p.apart
        for (bx0, by0, bx1, by1), p in zip(boxes, placements, strict=True)
        if p.apart is not None and (by0 > y1 + 200 or by1 < y0 - 200)
    ]
    assert far and max(far) < 1.2  # zones the slip does not reach still agree


def test_a_corner_among_look_alike_cells_is_no_evidence() -> None:
    """A corner inside a grid of identical cells is ambiguous: no answer, not a wrong one."""
    frame = np.full((400, 400), 128, np.uint8)
    for at in range(40, 361, 24):
        cv2.line(frame, (40, at), (360, at), 30, 2)
        cv2.line(frame, (at, 40), (at, 360), 30, 2)
    grid = smoothed(frame)
    (tile,) = [t for t in tiles((160.0, 160.0, 184.0, 184.0)) if t.corner == (160.0, 160.0)]
    assert find_tile(grid, grid, tile) is None


def test_a_cut_in_place_matches_the_print_around_it(
    form: Reference, features: ReferenceFeatures
) -> None:
    seen = np.ones(features.grey.shape, bool)
    checks = check_cuts(
        edge_strength(features.normalised), features.normalised, seen, frame_boxes(form, features)
    )
    judged = [c for c in checks if c.in_place is not None]
    assert len(judged) >= len(checks) - 1
    assert all(c.in_place is not None and c.in_place > 0.95 for c in judged)
    assert not any(c.slipped for c in checks)


def test_a_cut_that_slipped_is_caught() -> None:
    form = blank_form(1754, seed=2)
    features = compute_reference_features(form.image)
    boxes = frame_boxes(form, features)
    # The whole picture is seen 9 frame pixels lower than the placement says.
    picture = np.full_like(features.normalised, 128)
    picture[9:] = features.normalised[:-9]
    seen = np.ones(picture.shape, bool)
    checks = check_cuts(edge_strength(features.normalised), picture, seen, boxes)
    slips = [c.slip for c in checks if c.slip is not None]
    assert slips, checks
    assert all(dy > 0 and abs(dx) <= 1 for dx, dy in slips)  # found lower, where it is


def test_a_dark_thing_across_a_zone_frame_is_not_its_print(
    form: Reference, features: ReferenceFeatures
) -> None:
    boxes = frame_boxes(form, features)
    index = 0  # the photo's box: a printed frame on every side
    x0, y0, x1, y1 = (round(v) for v in boxes[index])
    picture = features.normalised.copy()
    # A dark thing lying over the zone and its frame.
    cv2.rectangle(picture, (x0 - 30, y0 - 30), (x1 + 30, y1 + 30), 20, -1)
    seen = np.ones(picture.shape, bool)
    checks = check_cuts(edge_strength(features.normalised), picture, seen, boxes)
    assert checks[index].unmatched(), checks[index]
    assert not any(c.unmatched() for i, c in enumerate(checks) if i != index)
