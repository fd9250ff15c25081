"""An alignment kept as JSON comes back exactly: the same crops through it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from api.imaging.align.mesh import LocalMapping, Mesh
from api.imaging.align.pipeline import Alignment, cut_region, cut_zone
from api.imaging.align.stored import UnreadableRecord, alignment_of_record, alignment_record
from api.imaging.geometry import Box
from api.imaging.tiles import TileGrid, assemble, cut_tiles
from tests.helpers import assert_image_equal, unique_picture

MATRIX = ((1.0312, 0.0213, 14.25), (-0.0177, 0.9871, 8.5), (1.3e-05, -2.1e-06, 1.0))


def bent() -> Alignment:
    mesh = Mesh.zero(300.0, 200.0, 50.0)
    rng = np.random.default_rng(4)
    nodes = rng.normal(0, 1.5, mesh.nodes.shape) / 3.0
    local = LocalMapping(np.asarray(MATRIX, np.float64), (0.75, 0.75), Mesh(300.0, 200.0, nodes))
    return Alignment(MATRIX, {"inliers": 412.0, "found_ratio": 0.8731}, local, (0.91, None))


@pytest.mark.parametrize("aligned", [Alignment(MATRIX, {"inliers": 12.0}), bent()])
def test_a_kept_alignment_cuts_the_same_crops(aligned: Alignment) -> None:
    record = json.loads(json.dumps(alignment_record(aligned)))  # as a JSON column keeps it
    again = alignment_of_record(record)
    assert again.matrix == aligned.matrix
    assert again.figures == aligned.figures
    assert again.zone_scores == aligned.zone_scores
    picture = unique_picture(420, 300)
    for box in (Box(10, 10, 120, 60), Box(200, 150, 90, 100)):
        assert again.zone_quad(box) == aligned.zone_quad(box)
        assert_image_equal(cut_zone(picture, again, box), cut_zone(picture, aligned, box))


def test_a_record_of_another_format_or_damaged_is_unreadable() -> None:
    record = alignment_record(bent())
    with pytest.raises(UnreadableRecord):
        alignment_of_record({**record, "format": 99})
    with pytest.raises(UnreadableRecord):
        alignment_of_record({**record, "matrix": [[1, 0], [0, 1]]})
    with pytest.raises(UnreadableRecord):
        alignment_of_record({**record, "local": {**record["local"], "nodes": [1, 2, 3]}})
    with pytest.raises(UnreadableRecord):
        alignment_of_record({"format": 1})


@pytest.mark.parametrize("aligned", [Alignment(MATRIX, {}), bent()], ids=["flat", "bent"])
def test_a_zone_cut_from_the_pixels_its_region_names_is_the_zone_cut_from_the_page(
    aligned: Alignment,
) -> None:
    # what a sample's check relies on: only the tiles under the region are put back
    page = unique_picture(420, 300)
    grid = TileGrid(page.width, page.height, page.mode, 32)
    tiles = dict(cut_tiles(page, grid))
    for box in (Box(10, 10, 120, 60), Box(200, 150, 90, 100), Box(0, 0, 400, 280)):
        region = cut_region(page.size, aligned, box)
        window = assemble(grid, grid.under([region]), tiles.__getitem__)
        assert_image_equal(cut_zone(window, aligned, box), cut_zone(page, aligned, box))
        assert len(grid.under([region])) < len(tiles) or box.area > 100_000
