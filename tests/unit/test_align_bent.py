"""Pages that are not flat: the mesh (api.imaging.align.mesh), cutting through it, and
judging each zone on its own (api.imaging.align.zones).

Warps are made here and known exactly, so the mesh can be held to what it should find.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest
from PIL import Image

from api.imaging.align.mesh import Mesh, fit_mesh
from api.imaging.align.pipeline import AlignmentFailed, align_picture, cut_zone
from api.imaging.align.reference import ReferenceFeatures, compute_reference_features
from api.imaging.align.warp import warp_crop, warp_crop_mapped
from api.imaging.align.zones import match_zones
from api.imaging.geometry import Box
from bench.align import crop_error
from bench.align_bent import Bend
from bench.align_fixtures import Reference, make_picture, text_form

Warp = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@pytest.fixture(scope="module")
def form() -> Reference:
    return text_form(1754, seed=3)


@pytest.fixture(scope="module")
def features(form: Reference) -> ReferenceFeatures:
    return compute_reference_features(form.image)


def bow(width: int, height: int) -> Warp:
    """Rows sag by up to 18 frame pixels in the middle of the page, more at the bottom."""

    def warp(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sag = 18 * np.sin(np.pi * x / width) * (0.35 + 0.65 * y / height)
        return 2 * np.sin(np.pi * y / height), sag

    return warp


def lens(width: int, height: int) -> Warp:
    """Barrel distortion of 4 % at the corners, centred off the page's middle."""

    def warp(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cx, cy = 0.45 * width, 0.55 * height
        r2 = ((x - cx) ** 2 + (y - cy) ** 2) / ((width / 2) ** 2 + (height / 2) ** 2)
        return -0.04 * (x - cx) * r2, -0.04 * (y - cy) * r2

    return warp


def seen_through(image: np.ndarray, warp: Warp) -> np.ndarray:
    """The picture in which frame point x of ``image`` is found at x + warp(x)."""
    height, width = image.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    src_x, src_y = xs.copy(), ys.copy()
    for _ in range(8):  # invert y = x + d(x) by fixed-point iteration
        dx, dy = warp(src_x, src_y)
        src_x, src_y = xs - dx, ys - dy
    return cv2.remap(image, src_x - 0.5, src_y - 0.5, cv2.INTER_LINEAR, borderValue=128)


def zone_points(form: Reference, features: ReferenceFeatures) -> np.ndarray:
    """A 5 x 5 grid over every zone, in frame pixels."""
    sx, sy = features.frame_scale
    fx, fy = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    return np.concatenate(
        [
            np.column_stack([(z.x + fx.ravel() * z.width) * sx, (z.y + fy.ravel() * z.height) * sy])
            for z in form.zones
        ]
    )


# ----------------------------------------------------------------------------- the mesh


def test_a_zero_mesh_moves_nothing() -> None:
    mesh = Mesh.zero(1024, 724)
    points = np.array([[0.0, 0.0], [512.3, 300.9], [1024.0, 724.0]])
    assert np.array_equal(mesh.displacement(points), np.zeros((3, 2)))
    assert mesh.max_shift == 0.0


def test_the_mesh_is_bilinear_between_its_nodes() -> None:
    mesh = Mesh.zero(100, 100, spacing=50)  # 3 x 3 nodes, 50 pixels apart
    nodes = np.zeros((3, 3, 2))
    nodes[1, 1] = [4.0, -2.0]
    mesh = Mesh(100, 100, nodes)
    shifted = mesh.displacement(np.array([[50.0, 50.0], [25.0, 50.0], [25.0, 25.0]]))
    assert np.allclose(shifted, [[4.0, -2.0], [2.0, -1.0], [1.0, -0.5]])
    dense = mesh.dense((100, 100))
    centres = np.array([[49.5, 49.5], [10.5, 80.5]])
    expected = mesh.displacement(centres)
    assert np.allclose(dense[49, 49], expected[0], atol=1e-4)
    assert np.allclose(dense[80, 10], expected[1], atol=1e-4)


@pytest.mark.parametrize("make_warp", [bow, lens], ids=["bow", "lens"])
def test_known_warps_are_recovered_within_a_pixel(
    form: Reference, features: ReferenceFeatures, make_warp: Callable[[int, int], Warp]
) -> None:
    height, width = features.grey.shape
    warp = make_warp(width, height)
    picture = seen_through(features.normalised, warp)
    mesh = fit_mesh(features.normalised, picture, features.corners)
    points = zone_points(form, features)
    true = np.column_stack(warp(points[:, 0], points[:, 1]))
    error = np.linalg.norm(mesh.displacement(points) - true, axis=1)
    assert np.abs(true).max() > 8  # the warp is far from flat
    assert np.percentile(error, 95) < 1.0
    assert error.max() < 1.5


def test_a_flat_page_gives_a_mesh_that_moves_nothing(features: ReferenceFeatures) -> None:
    mesh = fit_mesh(features.normalised, features.normalised, features.corners)
    assert mesh.max_shift < 0.3


# ----------------------------------------------------------------------------- cutting


def test_a_mapped_cut_through_a_homography_is_the_homography_cut() -> None:
    rng = np.random.default_rng(5)
    picture = Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8))
    matrix = ((1.2, 0.1, 20.0), (-0.05, 1.1, 15.0), (0.0, 0.0, 1.0))
    homography = np.array(matrix)

    def through(points: np.ndarray) -> np.ndarray:
        mapped = np.column_stack([points, np.ones(len(points))]) @ homography.T
        return np.asarray(mapped[:, :2] / mapped[:, 2:3])

    box = Box(30, 40, 150, 90)
    plain = np.asarray(warp_crop(picture, matrix, box), np.int16)
    mapped = np.asarray(warp_crop_mapped(picture, through, box), np.int16)
    assert plain.shape == mapped.shape
    assert np.abs(plain - mapped).max() <= 2


def test_a_bowed_line_comes_out_straight() -> None:
    # A horizontal rule drawn along a bow in the picture; the mapping knows the bow.
    picture = np.full((400, 600), 255, np.uint8)
    xs = np.arange(600)
    sag = 12 * np.sin(np.pi * xs / 600)
    for x in xs:
        row = round(200 + float(sag[x]))
        picture[row - 1 : row + 2, x] = 0

    def bowed(points: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [points[:, 0], points[:, 1] + 12 * np.sin(np.pi * points[:, 0] / 600)]
        )

    crop = np.asarray(warp_crop_mapped(Image.fromarray(picture), bowed, Box(50, 180, 500, 40)))
    rows = np.argmin(crop, axis=0)  # where the rule is, column by column
    assert rows.max() - rows.min() <= 1


# ----------------------------------------------------------------------------- zones


def test_a_zone_is_judged_by_the_print_along_its_sides() -> None:
    reference = np.full((200, 300), 128, np.uint8)
    cv2.rectangle(reference, (100, 80), (220, 130), 20, 2)  # a box round the zone
    cv2.putText(reference, "Name", (100, 70), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 20, 1)
    zone = (102.0, 82.0, 218.0, 128.0)
    everywhere = np.ones_like(reference, bool)
    none = (np.zeros((0, 2)), np.zeros((0, 2)))

    in_place = match_zones(reference, reference, everywhere, [zone], none)[0]
    assert not in_place.misplaced and not in_place.unmatched
    assert in_place.score is not None and in_place.score > 0.9

    # The print lies 9 pixels lower than where the zone would be cut.
    shifted = np.roll(reference, 9, axis=0)
    off = match_zones(reference, shifted, everywhere, [zone], none)[0]
    assert off.misplaced and off.offset == pytest.approx(9, abs=1)

    # Hidden under a sticky note: no band says where the zone is, so it is not trusted.
    hidden = reference.copy()
    hidden[40:180, 60:260] = 128
    unseen = match_zones(reference, hidden, everywhere, [zone], none)[0]
    assert not unseen.misplaced and unseen.unmatched

    # Written over along its right side; the corners around it are found in place.
    scribbled = reference.copy()
    cv2.line(scribbled, (200, 60), (240, 150), 20, 6)
    cv2.line(scribbled, (240, 60), (200, 150), 20, 6)
    corners = np.array([[100.0, 80.0], [220.0, 80.0], [220.0, 130.0], [100.0, 130.0], [140, 62]])
    vouched = match_zones(reference, scribbled, everywhere, [zone], (corners, corners))[0]
    assert not vouched.misplaced and not vouched.unmatched


# ----------------------------------------------------------------------------- end to end


def test_a_bowed_photo_is_cut_right_through_the_mesh(
    form: Reference, features: ReferenceFeatures
) -> None:
    rng = np.random.default_rng(11)
    bend = Bend(*form.image.size, bow=0.015, bow_axis=1)
    picture = make_picture(form, rng, "photo", 0.9, tilt=15, damage=0.3, bend=bend)
    assert picture is not None
    zones = [Box(z.x, z.y, z.width, z.height) for z in form.zones]
    alignment = align_picture(features, picture.image, zones)
    assert alignment.local is not None
    summary = alignment.local_summary(zones)
    assert summary is not None and summary["max_shift_px"] > 5
    for zone, box in zip(form.zones, zones, strict=True):
        relative, pixels = crop_error(picture, alignment.to_picture, zone)
        assert pixels <= 1.5 or relative <= 0.025
        assert cut_zone(picture.image, alignment, box).size[0] > 0
    assert len(alignment.zone_scores) == len(zones)


def test_a_strongly_bowed_photo_is_cut_within_bounds_or_refused(
    form: Reference, features: ReferenceFeatures
) -> None:
    # Bowed most at the bottom corner, where the form has little print to hold the mesh:
    # whatever is cut must not be wrong.
    rng = np.random.default_rng(11)
    bend = Bend(*form.image.size, bow=0.018, bow_axis=0)
    picture = make_picture(form, rng, "photo", 0.9, tilt=15, damage=0.3, bend=bend)
    assert picture is not None
    zones = [Box(z.x, z.y, z.width, z.height) for z in form.zones]
    try:
        alignment = align_picture(features, picture.image, zones)
    except AlignmentFailed as refusal:
        assert "zone" in refusal.reason
        return
    for zone in form.zones:
        relative, pixels = crop_error(picture, alignment.to_picture, zone)
        assert pixels <= 1.5 or relative < 0.1


def test_a_page_folded_out_of_shape_is_cut_within_bounds_or_refused(
    form: Reference, features: ReferenceFeatures
) -> None:
    # The lower third of the page slid 30 pixels sideways along a fold: no smooth mesh
    # explains the fold itself, so a zone across it must not be cut wrong.
    page = np.asarray(form.image.convert("RGB")).copy()
    fold = int(page.shape[0] * 0.66)
    page[fold:] = np.roll(page[fold:], 30, axis=1)
    page[fold:, :30] = 255
    folded = Reference(form.family, form.seed, Image.fromarray(page), form.zones, form.fields)
    rng = np.random.default_rng(12)
    picture = make_picture(folded, rng, "photo", 0.9, tilt=10, damage=0.2, fill_in=False)
    assert picture is not None

    def truly(points: np.ndarray) -> np.ndarray:
        slid = points + np.where(points[:, 1:2] >= fold, [30.0, 0.0], [0.0, 0.0])
        return picture.true_points(slid)

    zones = [Box(z.x, z.y, z.width, z.height) for z in form.zones]
    try:
        alignment = align_picture(features, picture.image, zones)
    except AlignmentFailed:
        return
    for zone in form.zones:
        relative, pixels = crop_error(picture, alignment.to_picture, zone, truly)
        assert pixels <= 1.5 or relative < 0.1, (zone, relative, pixels)
