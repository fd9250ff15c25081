"""A decoded picture's pixels read box by box, turned upright only where they are read."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from api.imaging.geometry import Box
from api.imaging.pixels import ORIENTATION_TRANSPOSE, Pixels, array_mode, as_image

STORED = (37, 23)  # columns, rows as stored: neither square nor even


def _stored(channels: int) -> np.ndarray:
    shape = (STORED[1], STORED[0]) if channels == 1 else (STORED[1], STORED[0], channels)
    return np.random.default_rng(channels).integers(0, 256, shape, dtype=np.uint8)


def _upright_by_pillow(stored: np.ndarray, orientation: int) -> Image.Image:
    image = Image.fromarray(stored, array_mode(stored))
    method = ORIENTATION_TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_box_reads_what_the_whole_picture_turned_upright_holds_there(
    orientation: int, channels: int
) -> None:
    stored = _stored(channels)
    pixels = Pixels(stored, orientation=orientation)
    upright = _upright_by_pillow(stored, orientation)
    assert pixels.size == upright.size
    width, height = upright.size
    for box in [
        Box(0, 0, width, height),
        Box(0, 0, 1, 1),
        Box(3, 5, 7, 11),
        Box(width - 4, height - 9, 4, 9),
        Box(1, height - 1, width - 2, 1),
    ]:
        region = pixels.region(box)
        assert region.shape[:2] == (box.height, box.width)
        assert np.array_equal(region, np.asarray(upright.crop(box.as_ltrb())))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_whole_upright_image_is_pillows_transposition(orientation: int) -> None:
    stored = _stored(3)
    image = Pixels(stored, orientation=orientation, info={"exif": b"stale"}).image()
    assert np.array_equal(np.asarray(image), np.asarray(_upright_by_pillow(stored, orientation)))
    assert "exif" not in image.info  # upright now: the orientation tag would turn it twice


def test_rows_of_a_crop_as_stored_are_read_without_a_copy() -> None:
    stored = _stored(3)
    region = Pixels(stored).region(Box(2, 3, 10, 4))
    assert np.shares_memory(region, stored)
    assert region.reshape(4, -1).base is not None  # each row contiguous: the PNG writer's view


def test_a_box_outside_the_picture_is_refused() -> None:
    pixels = Pixels(_stored(3), orientation=6)
    width, height = pixels.size
    with pytest.raises(ValueError, match="does not fit"):
        pixels.region(Box(width - 3, 0, 4, height))


def test_a_pillow_image_is_read_the_same_way() -> None:
    image = as_image(_stored(4))
    pixels = Pixels(image)
    assert pixels.image() is image and pixels.mode == "RGBA"
    assert np.array_equal(pixels.region(Box(1, 2, 5, 6)), np.asarray(image.crop((1, 2, 6, 8))))


@pytest.mark.parametrize("orientation", [1, 6])
def test_once_the_whole_image_is_made_boxes_are_read_from_it_alike(orientation: int) -> None:
    stored = _stored(3)
    pixels = Pixels(stored, orientation=orientation)
    box = Box(2, 3, 9, 5)
    before = pixels.region(box).copy()
    pixels.image()  # the array is let go: one copy of the pixels is enough
    assert np.array_equal(pixels.region(box), before)
