"""Zone geometry: the scale rule, mapping zones onto pictures, and cutting them out."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from api.imaging.decode import Picture
from api.imaging.errors import AspectMismatch
from api.imaging.geometry import (
    IDENTITY,
    Box,
    aspect_difference,
    map_box_by_scale,
    scale_matrix,
)
from api.imaging.pixels import Pixels, as_image
from tests.helpers import (
    BLUE,
    GREEN,
    RED,
    YELLOW,
    assert_image_equal,
    blocks_picture,
    colour_at,
    unique_picture,
)

sizes = st.tuples(st.integers(1, 20_000), st.integers(1, 20_000))


@st.composite
def box_inside(draw: st.DrawFn, size: tuple[int, int]) -> Box:
    width, height = size
    x = draw(st.integers(0, width - 1))
    y = draw(st.integers(0, height - 1))
    return Box(x, y, draw(st.integers(1, width - x)), draw(st.integers(1, height - y)))


@st.composite
def reference_picture_and_box(draw: st.DrawFn) -> tuple[tuple[int, int], tuple[int, int], Box]:
    reference = draw(sizes)
    picture = draw(sizes)
    return reference, picture, draw(box_inside(reference))


# --- Box ---------------------------------------------------------------------------------


def test_box_edges_and_fit() -> None:
    box = Box(10, 20, 30, 40)

    assert (box.right, box.bottom, box.area) == (40, 60, 1200)
    assert box.as_ltrb() == (10, 20, 40, 60)
    assert box.fits_within(40, 60)
    assert not box.fits_within(39, 60)
    assert not box.fits_within(40, 59)
    assert not Box(-1, 0, 5, 5).fits_within(100, 100)


@pytest.mark.parametrize(("width", "height"), [(0, 5), (5, 0), (-3, 4)])
def test_a_box_has_at_least_one_pixel(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="at least 1 pixel"):
        Box(0, 0, width, height)


# --- the aspect rule -------------------------------------------------------------------


@given(sizes)
def test_equal_sizes_give_the_identity(size: tuple[int, int]) -> None:
    assert scale_matrix(size, size) == IDENTITY


def test_the_matrix_scales_each_axis() -> None:
    assert scale_matrix((1000, 500), (2000, 1010)) == (
        (2.0, 0.0, 0.0),
        (0.0, 2.02, 0.0),
        (0.0, 0.0, 1.0),
    )


@pytest.mark.parametrize(
    ("reference", "picture"),
    [
        ((100, 100), (102, 100)),  # exactly 2 % wider
        ((102, 100), (100, 100)),  # exactly 2 % narrower, seen from the other side
        ((100, 100), (100, 102)),
        ((5000, 5000), (5100, 5000)),
        ((2480, 3508), (1240, 1754)),  # same A4 page at half the resolution
    ],
)
def test_up_to_two_percent_is_accepted(
    reference: tuple[int, int], picture: tuple[int, int]
) -> None:
    scale_matrix(reference, picture)


@pytest.mark.parametrize(
    ("reference", "picture"),
    [
        ((100, 100), (103, 100)),
        ((5000, 5000), (5101, 5000)),  # 2.02 %
        ((4000, 3000), (3000, 4000)),  # turned a quarter
    ],
)
def test_more_than_two_percent_is_refused(
    reference: tuple[int, int], picture: tuple[int, int]
) -> None:
    with pytest.raises(AspectMismatch) as caught:
        scale_matrix(reference, picture)
    error = caught.value
    assert error.reference_aspect == pytest.approx(reference[0] / reference[1])
    assert error.picture_aspect == pytest.approx(picture[0] / picture[1])
    assert error.tolerance == 0.02
    assert "2.0%" in str(error)


@given(sizes, sizes)
def test_the_aspect_rule_is_the_documented_one(
    reference: tuple[int, int], picture: tuple[int, int]
) -> None:
    a = Fraction(reference[0], reference[1])
    b = Fraction(picture[0], picture[1])
    expected_refusal = max(a, b) / min(a, b) - 1 > Fraction(2, 100)

    try:
        scale_matrix(reference, picture)
        refused = False
    except AspectMismatch:
        refused = True
    assert refused == expected_refusal
    assert aspect_difference(reference, picture) == pytest.approx(float(max(a, b) / min(a, b) - 1))


@given(sizes, sizes)
def test_the_aspect_rule_is_symmetric(first: tuple[int, int], second: tuple[int, int]) -> None:
    def refused(reference: tuple[int, int], picture: tuple[int, int]) -> bool:
        try:
            scale_matrix(reference, picture)
        except AspectMismatch:
            return True
        return False

    assert refused(first, second) == refused(second, first)
    assert aspect_difference(first, second) == aspect_difference(second, first)


def test_the_tolerance_can_be_changed() -> None:
    scale_matrix((100, 100), (110, 100), aspect_tolerance=0.1)
    with pytest.raises(AspectMismatch):
        scale_matrix((100, 100), (111, 100), aspect_tolerance=0.1)


def test_empty_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        scale_matrix((0, 10), (10, 10))


# --- mapping zones -----------------------------------------------------------------------


@given(reference_picture_and_box())
def test_a_mapped_zone_is_inside_the_picture_and_never_empty(
    case: tuple[tuple[int, int], tuple[int, int], Box],
) -> None:
    reference, picture, box = case
    matrix = scale_matrix(reference, picture, aspect_tolerance=1e9)

    mapped = map_box_by_scale(box, matrix, picture)
    assert mapped.width >= 1 and mapped.height >= 1
    assert mapped.fits_within(*picture)


@given(reference_picture_and_box())
def test_mapped_edges_are_the_nearest_pixels(
    case: tuple[tuple[int, int], tuple[int, int], Box],
) -> None:
    reference, picture, box = case
    matrix = scale_matrix(reference, picture, aspect_tolerance=1e9)
    sx, sy = matrix[0][0], matrix[1][1]

    mapped = map_box_by_scale(box, matrix, picture)
    # Edges move at most half a pixel, unless pushed apart to keep one pixel.
    assert abs(mapped.x - box.x * sx) <= 0.5 + 1e-6 or mapped.x == picture[0] - 1
    assert abs(mapped.y - box.y * sy) <= 0.5 + 1e-6 or mapped.y == picture[1] - 1
    if box.width * sx >= 1.5:
        assert abs(mapped.right - box.right * sx) <= 0.5 + 1e-6
    if box.height * sy >= 1.5:
        assert abs(mapped.bottom - box.bottom * sy) <= 0.5 + 1e-6


@given(st.data(), sizes)
def test_identity_keeps_every_zone(data: st.DataObject, size: tuple[int, int]) -> None:
    box = data.draw(box_inside(size))

    assert map_box_by_scale(box, scale_matrix(size, size), size) == box


@given(
    st.lists(st.integers(2, 400), min_size=2, max_size=8),
    st.integers(50, 800),
    st.floats(0.5, 4.0),
    st.floats(0.98, 1.02),
)
def test_adjacent_zones_stay_adjacent(
    widths: list[int], height: int, scale: float, stretch: float
) -> None:
    # A row of zones tiling the reference from edge to edge.
    reference = (sum(widths), height)
    picture = (max(1, round(reference[0] * scale)), max(1, round(height * scale * stretch)))
    matrix = scale_matrix(reference, picture, aspect_tolerance=1e9)
    boxes, x = [], 0
    for width in widths:
        boxes.append(Box(x, 0, width, height))
        x += width

    mapped = [map_box_by_scale(box, matrix, picture) for box in boxes]
    assert mapped[0].x == 0 and mapped[-1].right == picture[0]
    for left, right in itertools.pairwise(mapped):
        assert left.right == right.x, "neither a gap nor an overlap"
    assert all(box.bottom == picture[1] for box in mapped)


def test_zones_in_the_reference_corner_land_in_the_picture_corner() -> None:
    matrix = scale_matrix((400, 300), (4000, 3000))

    assert map_box_by_scale(Box(0, 0, 10, 10), matrix, (4000, 3000)) == Box(0, 0, 100, 100)
    assert map_box_by_scale(Box(390, 290, 10, 10), matrix, (4000, 3000)) == Box(
        3900, 2900, 100, 100
    )


def test_a_sliver_keeps_one_pixel_when_scaled_down() -> None:
    matrix = scale_matrix((1000, 1000), (100, 100))

    assert map_box_by_scale(Box(999, 999, 1, 1), matrix, (100, 100)) == Box(99, 99, 1, 1)
    assert map_box_by_scale(Box(500, 0, 1, 3), matrix, (100, 100)) == Box(50, 0, 1, 1)


def test_a_matrix_that_turns_is_refused() -> None:
    turning = ((0.0, -1.0, 100.0), (1.0, 0.0, 0.0), (0.0, 0.0, 1.0))

    with pytest.raises(ValueError, match="only scales"):
        map_box_by_scale(Box(0, 0, 10, 10), turning, (100, 100))


# --- cropping ----------------------------------------------------------------------------


def crop(picture: Image.Image, box: Box) -> Image.Image:
    """A zone cut as the extraction cuts it: the box of the picture's pixels."""
    return as_image(Pixels(picture).region(box))


BLOCKS = [
    ((0, 0, 40, 30), RED),
    ((40, 0, 100, 30), GREEN),
    ((0, 30, 40, 80), BLUE),
    ((40, 30, 100, 80), YELLOW),
]


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
def test_a_crop_is_exactly_the_zone(mode: str) -> None:
    picture = blocks_picture((100, 80), BLOCKS, mode=mode)

    cut = crop(picture, Box(40, 30, 60, 50))
    assert cut.mode == mode
    assert cut.size == (60, 50)
    assert_image_equal(cut, blocks_picture((60, 50), [((0, 0, 60, 50), YELLOW)], mode=mode))


def test_a_crop_across_blocks_keeps_their_borders() -> None:
    picture = blocks_picture((100, 80), BLOCKS)

    cut = crop(picture, Box(39, 29, 2, 2))
    assert [colour_at(cut, xy) for xy in [(0, 0), (1, 0), (0, 1), (1, 1)]] == [
        RED,
        GREEN,
        BLUE,
        YELLOW,
    ]


@given(st.data())
def test_every_crop_matches_the_pixels_it_covers(data: st.DataObject) -> None:
    picture = unique_picture(37, 23, "RGBA", seed=5)
    box = data.draw(box_inside(picture.size))

    cut = crop(picture, box)
    expected = Image.fromarray(np.asarray(picture)[box.y : box.bottom, box.x : box.right])
    assert_image_equal(cut, expected)


def test_the_whole_picture_is_a_valid_zone() -> None:
    picture = unique_picture(20, 10)

    assert_image_equal(crop(picture, Box(0, 0, 20, 10)), picture)


@pytest.mark.parametrize(
    "box", [Box(0, 0, 21, 10), Box(-1, 0, 5, 5), Box(15, 5, 6, 5), Box(0, 9, 20, 2)]
)
def test_a_zone_outside_the_picture_is_never_padded(box: Box) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        crop(unique_picture(20, 10), box)


def test_a_picture_keeps_its_icc_profile_for_its_crops() -> None:
    picture = unique_picture(20, 10)
    picture.info["icc_profile"] = b"profile bytes"

    assert Picture.of_image(picture, "png").icc_profile == b"profile bytes"
