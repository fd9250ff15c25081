"""Comparing crops: a changed pixel is one that differs by more than noise."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from api.imaging.difference import DIFFERENT, changed_share, fingerprint, preview
from tests.helpers import unique_picture


def test_equal_crops_share_nothing_changed() -> None:
    crop = unique_picture(50, 40)
    assert changed_share(crop, crop.copy()) == 0.0
    assert fingerprint(crop) == fingerprint(crop.copy())


def test_noise_below_the_level_is_no_change_and_ink_is() -> None:
    paper = np.full((40, 50, 3), 240, np.uint8)
    noisy = paper.copy()
    noisy[::2, ::3] -= DIFFERENT  # as far as noise may go, not past it
    assert changed_share(Image.fromarray(paper), Image.fromarray(noisy)) == 0.0
    inked = paper.copy()
    inked[:10, :] = 20  # a quarter of the rows
    assert changed_share(Image.fromarray(paper), Image.fromarray(inked)) == pytest.approx(0.25)
    assert fingerprint(Image.fromarray(paper)) != fingerprint(Image.fromarray(noisy))


def test_crops_a_pixel_apart_in_size_are_compared_where_both_reach() -> None:
    big = Image.new("L", (51, 40), 200)
    small = Image.new("L", (50, 40), 200)
    assert changed_share(big, small) == 0.0
    assert changed_share(Image.new("RGB", (5, 5), "white"), Image.new("L", (5, 5), 0)) == 1.0


def test_a_preview_is_a_small_jpeg_never_enlarged() -> None:
    large = Image.open(io.BytesIO(preview(unique_picture(1000, 500))))
    assert large.format == "JPEG" and large.size == (240, 120)
    small = Image.open(io.BytesIO(preview(Image.new("RGBA", (30, 20), (0, 0, 0, 0)))))
    assert small.size == (30, 20)
