"""What alignment needs from a reference picture, computed once and cached as bytes.

:func:`compute_reference_features` runs once per reference picture; its result is what
the service caches (``to_bytes`` / ``from_bytes``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
from PIL import Image

from api.imaging.align.crosscheck import smoothed
from api.imaging.align.cuts import edge_strength
from api.imaging.align.edges import Edges, find_edges
from api.imaging.align.features import REFERENCE_FEATURES, Keypoints, detect
from api.imaging.align.homography import scaling
from api.imaging.align.mesh import MESH_SPACING
from api.imaging.align.quads import find_quads, frame_quad
from api.imaging.align.refine import grey_array, normalise

FORMAT_VERSION = 4
"""Bumped whenever the cached features would no longer match what this code computes."""

REFERENCE_WORK_SIZE = 1024  # long side of the reference's working frame, pixels
TRACK_CORNERS = 800
MESH_CORNERS_PER_CELL = 6  # corners sought in each cell of the mesh, for local refinement


@dataclass(frozen=True, eq=False)
class ReferenceFeatures:
    """Everything alignment needs from a reference picture, computed once.

    ``points`` are in reference pixels (corner convention), ``descriptors`` their SIFT
    descriptors, ``grey`` the reference downscaled to its working frame, ``corners``
    the points tracked during refinement, in working-frame pixels, and ``quads`` the
    boxes found on it and its own outline, in reference pixels.
    """

    width: int
    height: int
    points: np.ndarray
    descriptors: np.ndarray
    grey: np.ndarray
    corners: np.ndarray
    quads: np.ndarray
    mesh_corners: np.ndarray

    @property
    def frame_scale(self) -> tuple[float, float]:
        """Working-frame pixels per reference pixel, along x and y."""
        return self.grey.shape[1] / self.width, self.grey.shape[0] / self.height

    @cached_property
    def normalised(self) -> np.ndarray:
        return normalise(self.grey)

    @cached_property
    def edges(self) -> Edges:
        """Points along the reference's straight print, for the mesh (edges.py)."""
        return find_edges(self.normalised)

    @cached_property
    def print_strength(self) -> np.ndarray:
        """The reference's edges as gradient magnitude, what cuts are checked against
        (cuts.py)."""
        return edge_strength(self.normalised)

    @cached_property
    def smoothed(self) -> np.ndarray:
        """The normalised reference as zones are placed a second way (crosscheck.py)."""
        return smoothed(self.normalised)

    @cached_property
    def keypoints_in_frame(self) -> Keypoints:
        sx, sy = self.frame_scale
        return Keypoints(
            (self.points * np.array([sx, sy], np.float32)).astype(np.float32), self.descriptors
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            version=np.array(FORMAT_VERSION),
            size=np.array([self.width, self.height]),
            points=self.points,
            descriptors=self.descriptors,
            grey=self.grey,
            corners=self.corners,
            quads=self.quads,
            mesh_corners=self.mesh_corners,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceFeatures:
        """Load what :meth:`to_bytes` wrote. Raises ``ValueError`` for data of another
        format version (the caller then computes the features again)."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                version = int(archive["version"])
                if version != FORMAT_VERSION:
                    message = f"Reference features of format {version}, not {FORMAT_VERSION}."
                    raise ValueError(message)
                width, height = (int(v) for v in archive["size"])
                return cls(
                    width,
                    height,
                    archive["points"].astype(np.float32),
                    archive["descriptors"].astype(np.uint8),
                    archive["grey"].astype(np.uint8),
                    archive["corners"].astype(np.float32),
                    archive["quads"].astype(np.float32).reshape(-1, 4, 2),
                    archive["mesh_corners"].astype(np.float32),
                )
        except (OSError, KeyError, EOFError) as error:
            message = "Not reference features data."
            raise ValueError(message) from error


def _downscale(grey: np.ndarray, long_side: int) -> np.ndarray:
    height, width = grey.shape
    factor = long_side / max(width, height)
    if factor >= 1:
        return grey
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def compute_reference_features(reference: Image.Image) -> ReferenceFeatures:
    """Compute once what aligning pictures to ``reference`` needs."""
    full = grey_array(reference)
    height, width = full.shape
    grey = _downscale(full, REFERENCE_WORK_SIZE)
    keypoints = detect(grey, REFERENCE_FEATURES)
    sx, sy = grey.shape[1] / width, grey.shape[0] / height
    points = (keypoints.points / np.array([sx, sy], np.float32)).astype(np.float32)
    corners = cv2.goodFeaturesToTrack(grey, TRACK_CORNERS, 0.02, 8, blockSize=7)
    corners = (
        np.zeros((0, 2), np.float32)
        if corners is None
        else corners.reshape(-1, 2).astype(np.float32) + 0.5
    )
    boxes = find_quads(grey) / np.array([sx, sy], np.float32)
    quads = np.concatenate([frame_quad(width, height)[None], boxes])
    return ReferenceFeatures(
        width,
        height,
        points,
        keypoints.descriptors,
        grey,
        corners,
        quads.astype(np.float32),
        _spread_corners(grey, corners),
    )


def _spread_corners(grey: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """``corners`` and, in every cell of the mesh's size, the best corners of that cell
    judged against the cell alone: sparse parts of a page (a lone box under a dense
    table) then hold the mesh too, not only where print is dense."""
    height, width = grey.shape
    cell = int(MESH_SPACING)
    found = [corners]
    for top in range(0, height, cell):
        for left in range(0, width, cell):
            patch = grey[top : top + cell, left : left + cell]
            if min(patch.shape) < 16:
                continue
            best = cv2.goodFeaturesToTrack(patch, MESH_CORNERS_PER_CELL, 0.05, 8, blockSize=7)
            if best is not None and float(patch.std()) > 4.0:
                found.append(best.reshape(-1, 2).astype(np.float32) + [left + 0.5, top + 0.5])
    every = np.concatenate(found).astype(np.float32)
    # One of any two corners closer than 4 pixels is enough.
    keys = np.round(every / 4.0).astype(np.int64)
    _, first = np.unique(keys, axis=0, return_index=True)
    return every[np.sort(first)]


def frame_to_reference(reference: ReferenceFeatures) -> np.ndarray:
    """The homography from the reference's working frame to its own pixels."""
    sx, sy = reference.frame_scale
    return scaling(1.0 / sx, 1.0 / sy)
