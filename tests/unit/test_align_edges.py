"""Straight print as evidence for the mesh (api.imaging.align.edges): where the edges are,
how far across themselves they are found, and a nearly blank form's mesh fitted with them.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from api.imaging.align.edges import SEARCH, find_edges, measure
from api.imaging.align.mesh import Mesh, fit_mesh, fit_to_points
from api.imaging.align.reference import ReferenceFeatures, compute_reference_features
from api.imaging.align.refine import normalise
from bench.align_fixtures import Reference, blank_form
from tests.unit.test_align_bent import bow, seen_through


def boxes_picture() -> np.ndarray:
    """Two outlined boxes on white, normalised like a reference frame."""
    image = np.full((300, 400), 245, np.uint8)
    cv2.rectangle(image, (40, 50), (360, 120), 30, 2)
    cv2.rectangle(image, (80, 170), (250, 260), 30, 2)
    return normalise(image)


def shifted(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, matrix, image.shape[::-1], borderValue=128)


def test_edge_points_lie_on_the_box_outlines_with_normals_across_them() -> None:
    edges = find_edges(boxes_picture())
    assert len(edges) > 60
    on_vertical = np.abs(edges.normals[:, 0]) > 0.95
    on_horizontal = np.abs(edges.normals[:, 1]) > 0.95
    # Every point is on a straight side, not on a corner: its normal is an axis.
    assert np.all(on_vertical | on_horizontal)
    # On either flank of a line two pixels wide, where the grey level changes.
    xs = edges.points[on_vertical, 0]
    near_side = np.min(np.abs(xs[:, None] - np.array([41.0, 361.0, 81.0, 251.0])), axis=1)
    assert near_side.max() <= 4.0


@pytest.mark.parametrize(("dx", "dy"), [(0.0, 0.0), (2.3, -1.6), (-4.5, 3.75)])
def test_an_edge_is_found_across_itself_within_a_fraction_of_a_pixel(dx: float, dy: float) -> None:
    reference = boxes_picture()
    edges = find_edges(reference)
    found = measure(reference, shifted(reference, dx, dy), edges)
    assert len(found) > 0.8 * len(edges)
    error = np.abs(found.values - found.normals @ np.array([dx, dy]))
    # Both this shift and the sampling interpolate a sharp line: a few hundredths remain.
    assert np.median(error) < 0.1
    assert error.max() < 0.25


def test_an_edge_moved_beyond_the_search_is_not_found_elsewhere() -> None:
    reference = boxes_picture()
    edges = find_edges(reference)
    far = SEARCH + 4.0
    found = measure(reference, shifted(reference, far, far), edges)
    expected = found.normals @ np.array([far, far])
    # Whatever is still reported is never a confident wrong offset within the search.
    assert np.all(np.abs(found.values - expected) < 0.5) or len(found) < 0.1 * len(edges)


def test_edge_offsets_alone_pin_the_mesh_across_the_lines() -> None:
    reference = boxes_picture()
    edges = find_edges(reference)
    found = measure(reference, shifted(reference, 1.5, -2.5), edges)
    mesh = fit_to_points(Mesh.zero(400, 300), np.zeros((0, 2)), np.zeros((0, 2)), edges=found)
    moved = mesh.displacement(found.points)
    assert np.abs(np.einsum("nc,nc->n", moved, found.normals) - found.values).max() < 0.3


@pytest.fixture(scope="module")
def blank() -> Reference:
    return blank_form(1754, seed=3)


@pytest.fixture(scope="module")
def blank_features(blank: Reference) -> ReferenceFeatures:
    return compute_reference_features(blank.image)


def test_a_bowed_blank_form_is_followed_closer_with_its_lines(
    blank: Reference, blank_features: ReferenceFeatures
) -> None:
    height, width = blank_features.grey.shape
    warp = bow(width, height)
    picture = seen_through(blank_features.normalised, warp)
    sx, sy = blank_features.frame_scale
    outlines = np.concatenate(
        [
            np.column_stack([np.linspace(z.x, z.x + z.width, 20) * sx, np.full(20, z.y * sy)])
            for z in blank.zones
        ]
        + [
            np.column_stack(
                [np.linspace(z.x, z.x + z.width, 20) * sx, np.full(20, (z.y + z.height) * sy)]
            )
            for z in blank.zones
        ]
    )
    true = np.column_stack(warp(outlines[:, 0], outlines[:, 1]))

    def error(mesh: Mesh) -> float:
        return float(np.abs(mesh.displacement(outlines)[:, 1] - true[:, 1]).max())

    corners_only = fit_mesh(blank_features.normalised, picture, blank_features.mesh_corners)
    with_lines = fit_mesh(
        blank_features.normalised, picture, blank_features.mesh_corners, blank_features.edges
    )
    assert error(with_lines) < 1.0
    assert error(with_lines) < error(corners_only)
