"""Feature alignment and cutting zones through a homography (api.imaging.align).

Pictures are small and made here with known homographies (the generator is the bench's),
so every test runs in a fraction of a second.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from api.imaging.align.homography import implausibility, shape_figures
from api.imaging.align.pipeline import Alignment, AlignmentFailed, align_picture
from api.imaging.align.reference import ReferenceFeatures, compute_reference_features
from api.imaging.align.warp import ZoneOutsidePicture, warp_crop
from api.imaging.errors import ImagingError
from api.imaging.geometry import Box
from bench.align_fixtures import (
    Reference,
    apply_homography,
    blank_form,
    photo,
    render_warp,
    text_form,
    unrelated_picture,
)

BACKGROUND = (70, 95, 60)


def similarity(angle: float, scale: float) -> np.ndarray:
    a = math.radians(angle)
    return np.array(
        [
            [scale * math.cos(a), -scale * math.sin(a), 0.0],
            [scale * math.sin(a), scale * math.cos(a), 0.0],
            [0.0, 0.0, 1.0],
        ]
    )


def page_corners(reference: Reference) -> np.ndarray:
    width, height = reference.image.size
    return np.array([[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]])


def photograph(
    reference: Reference, matrix: np.ndarray, margin: int = 50, noise: float = 3.0, seed: int = 0
) -> tuple[Image.Image, np.ndarray]:
    """``reference`` seen through ``matrix``, moved so the page lies ``margin`` pixels
    inside a picture on a plain background with a little noise. Returns the picture and
    the full homography reference -> picture."""
    corners = apply_homography(matrix, page_corners(reference))
    shift = np.array(
        [[1, 0, margin - corners[:, 0].min()], [0, 1, margin - corners[:, 1].min()], [0, 0, 1]]
    )
    matrix = shift @ matrix
    corners = apply_homography(matrix, page_corners(reference))
    size = (math.ceil(corners[:, 0].max()) + margin, math.ceil(corners[:, 1].max()) + margin)
    pixels = render_warp(np.asarray(reference.image), matrix, size, border_value=BACKGROUND)
    rng = np.random.default_rng(seed)
    noisy = pixels.astype(np.float32) + rng.normal(0, noise, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)), matrix


def corner_error(reference: Reference, found: Alignment, true: np.ndarray) -> float:
    """Largest distance, in reference pixels, between where the found and the true
    homography put the page's corners (measured back on the reference)."""
    corners = page_corners(reference)
    back = apply_homography(np.linalg.inv(true) @ np.array(found.matrix), corners)
    return float(np.abs(back - corners).max())


@pytest.fixture(scope="module")
def form() -> Reference:
    return text_form(700, seed=1)


@pytest.fixture(scope="module")
def form_features(form: Reference) -> ReferenceFeatures:
    return compute_reference_features(form.image)


PERSPECTIVE = np.array([[0.9, 0.12, 0.0], [-0.05, 0.8, 0.0], [2.2e-4, 1.1e-4, 1.0]])


@pytest.mark.parametrize(
    ("name", "matrix"),
    [
        ("scanner shift", similarity(0, 1.0)),
        ("skewed scan", similarity(3.5, 1.0)),
        ("upside down", similarity(180, 0.8)),
        ("quarter turn, enlarged", similarity(90, 1.6)),
        ("three quarters, reduced", similarity(270, 0.5)),
        ("any angle", similarity(-127, 0.7)),
        ("perspective", PERSPECTIVE),
    ],
)
def test_recovers_known_homography(
    form: Reference, form_features: ReferenceFeatures, name: str, matrix: np.ndarray
) -> None:
    picture, true = photograph(form, matrix)
    alignment = align_picture(form_features, picture)
    assert corner_error(form, alignment, true) < 0.5, name
    assert alignment.figures["inliers"] >= 100
    assert alignment.figures["found_ratio"] > 0.8


@pytest.mark.parametrize("make", [blank_form, photo], ids=["nearly blank form", "photo"])
def test_recovers_other_kinds_of_reference(make: Callable[[int, int], Reference]) -> None:
    reference = make(700, 1)
    features = compute_reference_features(reference.image)
    picture, true = photograph(reference, PERSPECTIVE @ similarity(160, 1.0))
    alignment = align_picture(features, picture)
    assert corner_error(reference, alignment, true) < 0.8


def test_matrix_maps_reference_pixels_to_picture_pixels(
    form: Reference, form_features: ReferenceFeatures
) -> None:
    picture, true = photograph(form, similarity(0, 1.0), margin=40, noise=0.0)
    alignment = align_picture(form_features, picture)
    # A pure shift by (40, 40): the matrix says exactly that, row-major, reference -> picture.
    np.testing.assert_allclose(np.array(alignment.matrix), true, atol=0.02)


def test_figures_describe_the_alignment(form: Reference, form_features: ReferenceFeatures) -> None:
    picture, _ = photograph(form, similarity(30, 0.9))
    figures = align_picture(form_features, picture).figures
    for name in (
        "inliers",
        "inlier_ratio",
        "found_ratio",
        "reprojection_error_px",
        "similarity",
        "scale",
        "coverage",
    ):
        assert isinstance(figures[name], float), name
    assert figures["scale"] == pytest.approx(0.9, abs=0.01)
    assert figures["reprojection_error_px"] < 0.5
    assert figures["mirrored"] == 0.0


def test_refuses_unrelated_picture(form_features: ReferenceFeatures) -> None:
    picture = unrelated_picture(np.random.default_rng(3), canvas=(900, 700)).image
    with pytest.raises(AlignmentFailed) as caught:
        align_picture(form_features, picture)
    assert str(caught.value).startswith("Could not align the picture with the model: ")
    assert isinstance(caught.value, ImagingError)
    assert all(isinstance(v, float) for v in caught.value.figures.values())


def test_refuses_another_form_of_the_same_style(form_features: ReferenceFeatures) -> None:
    # Same generator, other design: same margins, bars, table and signature box, but
    # other words and the photo box on the other side. Cutting it would misplace zones.
    sibling = text_form(700, seed=2)
    picture, _ = photograph(sibling, similarity(8, 0.9))
    with pytest.raises(AlignmentFailed) as caught:
        align_picture(form_features, picture)
    assert caught.value.figures["found_ratio"] < 0.4


def test_refuses_a_mirror_image(form: Reference, form_features: ReferenceFeatures) -> None:
    picture, _ = photograph(form, similarity(0, 1.0))
    with pytest.raises(AlignmentFailed):
        align_picture(form_features, ImageOps.mirror(picture))


def test_exif_rotated_phone_photo(form: Reference, form_features: ReferenceFeatures) -> None:
    # A phone held sideways stores the sensor's pixels turned a quarter and says so in
    # EXIF (orientation 6: turn 90 degrees clockwise to view). Decoding applies it.
    upright, true = photograph(form, similarity(4, 0.8))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what the sensor recorded
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif)
    decoded = ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue())))
    assert decoded.size == upright.size

    alignment = align_picture(form_features, decoded)
    assert corner_error(form, alignment, true) < 0.7


def test_accepts_grey_and_transparent_pictures(
    form: Reference, form_features: ReferenceFeatures
) -> None:
    picture, true = photograph(form, similarity(-20, 0.9))
    for converted in (picture.convert("L"), picture.convert("RGBA")):
        alignment = align_picture(form_features, converted)
        assert corner_error(form, alignment, true) < 0.5, converted.mode


def test_features_survive_serialisation(form: Reference, form_features: ReferenceFeatures) -> None:
    data = form_features.to_bytes()
    loaded = ReferenceFeatures.from_bytes(data)
    assert (loaded.width, loaded.height) == form.image.size
    for name in ("points", "descriptors", "grey", "corners", "quads"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(form_features, name))
    picture, _ = photograph(form, similarity(45, 0.8))
    assert align_picture(loaded, picture).matrix == align_picture(form_features, picture).matrix


def test_features_of_another_format_are_rejected(form_features: ReferenceFeatures) -> None:
    archive = dict(np.load(io.BytesIO(form_features.to_bytes())))
    archive["version"] = np.array(0)
    buffer = io.BytesIO()
    np.savez(buffer, **archive)
    with pytest.raises(ValueError):
        ReferenceFeatures.from_bytes(buffer.getvalue())
    with pytest.raises(ValueError):
        ReferenceFeatures.from_bytes(b"not features")


# ----------------------------------------------------------------------------- shape checks


@pytest.mark.parametrize(
    ("matrix", "reason"),
    [
        (np.diag([-1.0, 1.0, 1.0]), "mirror"),
        (np.diag([40.0, 40.0, 1.0]), "scale"),
        (np.array([[1.0, 3.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), "sheared"),
        (np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-0.002, 0.0, 1.0]]), "folded"),
    ],
)
def test_implausible_views_of_a_page_are_named(matrix: np.ndarray, reason: str) -> None:
    message = implausibility(shape_figures(matrix, 700, 990))
    assert message is not None
    assert reason in message


def test_too_strong_a_perspective_is_named() -> None:
    figures = {"scale": 1.0, "min_det_sign": 1.0, "anisotropy": 2.0, "scale_spread": 6.0}
    assert "perspective" in (implausibility(figures) or "")


def test_a_photo_of_a_page_is_plausible() -> None:
    assert implausibility(shape_figures(PERSPECTIVE, 700, 990)) is None


# ----------------------------------------------------------------------------- warp_crop


def picture_of(mode: str, size: tuple[int, int] = (320, 240), seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    bands = len(Image.new(mode, (1, 1)).getbands())
    shape = (size[1], size[0]) if bands == 1 else (size[1], size[0], bands)
    return Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode)


IDENTITY = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_identity_cut_is_exactly_the_crop(mode: str) -> None:
    picture = picture_of(mode)
    box = Box(17, 23, 101, 57)
    cut = warp_crop(picture, IDENTITY, box)
    assert cut.mode == mode
    assert cut.size == (101, 57)
    np.testing.assert_array_equal(np.asarray(cut), np.asarray(picture.crop(box.as_ltrb())))


@settings(max_examples=30, deadline=None)
@given(
    dx=st.integers(-40, 40),
    dy=st.integers(-40, 40),
    x=st.integers(40, 150),
    y=st.integers(40, 100),
    width=st.integers(1, 90),
    height=st.integers(1, 90),
)
def test_whole_pixel_shift_cuts_the_shifted_crop(
    dx: int, dy: int, x: int, y: int, width: int, height: int
) -> None:
    picture = picture_of("RGB")
    matrix = ((1.0, 0.0, float(dx)), (0.0, 1.0, float(dy)), (0.0, 0.0, 1.0))
    cut = warp_crop(picture, matrix, Box(x, y, width, height))
    expected = picture.crop((x + dx, y + dy, x + dx + width, y + dy + height))
    np.testing.assert_array_equal(np.asarray(cut), np.asarray(expected))


def test_cut_is_at_the_picture_resolution() -> None:
    picture = picture_of("RGB", (800, 600))
    doubled = ((2.0, 0.0, 10.0), (0.0, 2.0, 20.0), (0.0, 0.0, 1.0))
    assert warp_crop(picture, doubled, Box(10, 10, 100, 40)).size == (200, 80)
    turned = ((0.0, -1.5, 500.0), (1.5, 0.0, 10.0), (0.0, 0.0, 1.0))
    assert warp_crop(picture, turned, Box(10, 10, 100, 40)).size == (150, 60)
    tiny = ((0.01, 0.0, 0.0), (0.0, 0.01, 0.0), (0.0, 0.0, 1.0))
    assert warp_crop(picture, tiny, Box(0, 0, 30, 30)).size == (1, 1)


def test_cut_turns_the_zone_upright() -> None:
    page = picture_of("RGB", (200, 120), seed=5)
    turned = page.transpose(Image.Transpose.ROTATE_180)  # the page upside down
    matrix = ((-1.0, 0.0, 200.0), (0.0, -1.0, 120.0), (0.0, 0.0, 1.0))
    box = Box(30, 20, 70, 50)
    cut = warp_crop(turned, matrix, box)
    np.testing.assert_array_equal(np.asarray(cut), np.asarray(page.crop(box.as_ltrb())))


def test_zone_slightly_outside_is_filled_white() -> None:
    picture = picture_of("RGB", (200, 100))
    cut = warp_crop(picture, IDENTITY, Box(0, 0, 200, 102))  # 2 % below the picture
    assert cut.size == (200, 102)
    assert np.all(np.asarray(cut)[-1] == 255)
    transparent = warp_crop(picture_of("RGBA", (200, 100)), IDENTITY, Box(0, 0, 200, 102))
    assert np.all(np.asarray(transparent)[-1, :, 3] == 0)


def test_zone_mostly_outside_is_refused() -> None:
    picture = picture_of("RGB", (200, 100))
    shifted = ((1.0, 0.0, 150.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    with pytest.raises(ZoneOutsidePicture) as caught:
        warp_crop(picture, shifted, Box(0, 0, 100, 50))
    assert isinstance(caught.value, ImagingError)
    assert "outside the picture" in str(caught.value)


def test_cut_keeps_the_icc_profile() -> None:
    picture = picture_of("RGB")
    picture.info["icc_profile"] = b"profile bytes"
    assert warp_crop(picture, IDENTITY, Box(0, 0, 10, 10)).info["icc_profile"] == b"profile bytes"
