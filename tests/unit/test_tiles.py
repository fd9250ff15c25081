"""A page kept as tiles gives back exactly the pixels it was decoded to, where asked."""

from __future__ import annotations

import pytest
from PIL import Image

from api.imaging.geometry import Box
from api.imaging.tiles import (
    TileGrid,
    assemble,
    cut_tiles,
    decoder_identity,
    grid_of_record,
    grid_record,
)
from tests.helpers import assert_image_equal, unique_picture

MODES = ["RGB", "RGBA", "L", "LA"]


def kept(image: Image.Image, tile: int) -> tuple[TileGrid, dict[tuple[int, int], bytes]]:
    grid = TileGrid(image.width, image.height, image.mode, tile)
    return grid, dict(cut_tiles(image, grid))


@pytest.mark.parametrize("mode", MODES)
def test_regions_put_together_from_tiles_are_the_pages_pixels(mode: str) -> None:
    page = unique_picture(301, 203, mode)
    grid, tiles = kept(page, 64)
    assert (grid.columns, grid.rows) == (5, 4)
    assert sorted(tiles) == sorted(grid.all())
    regions = [Box(0, 0, 10, 10), Box(60, 50, 70, 30), Box(250, 150, 51, 53), Box(128, 0, 1, 203)]
    read: list[tuple[int, int]] = []

    def reading(tile: tuple[int, int]) -> bytes:
        read.append(tile)
        return tiles[tile]

    window = assemble(grid, grid.under(regions), reading)
    assert window.size == page.size and window.mode == mode
    for region in regions:
        assert_image_equal(window.crop(region.as_ltrb()), page.crop(region.as_ltrb()))
    assert len(read) < len(tiles)  # only the tiles under the regions were read
    whole = assemble(grid, grid.all(), tiles.__getitem__)
    assert_image_equal(whole, page)


def test_the_tiles_under_boxes_are_those_they_touch() -> None:
    grid = TileGrid(1000, 600, "RGB", 256)
    assert grid.under([Box(0, 0, 1, 1)]) == [(0, 0)]
    assert grid.under([Box(255, 255, 2, 2)]) == [(0, 0), (1, 0), (0, 1), (1, 1)]
    assert grid.under([Box(900, 500, 100, 100)]) == [(3, 1), (3, 2)]
    assert grid.under([Box(1200, 0, 10, 10)]) == []  # off the page
    assert grid.box(3, 2) == Box(768, 512, 232, 88)


def test_a_damaged_tile_is_an_error_not_a_picture() -> None:
    grid, tiles = kept(unique_picture(100, 100), 64)
    tiles[(1, 1)] = tiles[(0, 0)]  # a full tile where an edge tile belongs
    with pytest.raises(ValueError, match="holds"):
        assemble(grid, [(1, 1)], tiles.__getitem__)
    with pytest.raises(ValueError, match="another page"):
        list(cut_tiles(unique_picture(90, 100), grid))


def test_grids_round_trip_and_bad_records_are_refused() -> None:
    grid = TileGrid(4000, 3000, "RGB")
    assert grid_of_record(grid_record(grid)) == grid
    with pytest.raises(ValueError):
        grid_of_record({"width": 10, "height": 10, "mode": "CMYK", "tile": 512})
    with pytest.raises((ValueError, KeyError)):
        grid_of_record({"width": 10})


def test_the_decoders_identity_is_stable() -> None:
    assert decoder_identity() == decoder_identity()
    assert len(decoder_identity()) == 32
