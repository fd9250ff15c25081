"""Local refinement: a smooth mesh of displacements over the page, for paper that is not flat.

Once the global homography is found, the picture is warped into the reference's working
frame. On a flat page the two then agree everywhere; on a bowed, curled or lens-bent page
they drift apart, smoothly. A mesh of nodes over the frame, bilinear in between, holds
that drift: the frame point ``x`` is seen in the warped picture at ``x + d(x)``.

The mesh is fitted to where the reference's corners were tracked in the warped picture
(Lucas-Kanade with a deep pyramid, which follows drifts of tens of pixels), then to its
straight print measured across itself (api/imaging/align/edges.py): robust least
squares, with a bending penalty that keeps it smooth where nothing was found. A zone
far from any corner is placed by interpolation only; per-zone verification
(api/imaging/align/zones.py) decides whether that can be trusted.

Everything here is in working-frame pixels; :class:`LocalMapping` turns a mesh back into
reference -> picture pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from api.imaging.align import refine
from api.imaging.align.edges import EdgeOffsets, Edges, measure
from api.imaging.align.homography import project

NEUTRAL = 128  # a normalised image where it shows nothing (refine.normalise)
MESH_SPACING = 80.0  # frame pixels between nodes, at most
POINT_SCALES = (12.0, 6.0, 3.0, 1.5, 1.5)  # frame pixels, per round: see fit_to_points
POINT_BENDING = 0.05  # weight of the bending penalty against one corner
FIRST_BENDING = 1.0  # the first round's, twenty times stiffer: see fit_mesh
MESH_ROUNDS = 3  # track, fit, warp: each round sees the drift that is left, and more corners
FLAT = 2.0  # frame pixels: a first fit moving no node further finds a flat page
MESH_CONVERGED = 0.3  # frame pixels: a round that moves no node further ends the fitting
STALE_AGREEMENT = 6.0  # frame pixels: see fit_mesh
EDGE_WEIGHT = 0.5  # of an edge point's constraint against a corner's
RIDGE = 1e-3  # keeps nodes nothing constrains where the bending penalty leaves them


def _interpolation(positions: np.ndarray, count: int) -> np.ndarray:
    """The (len(positions), count) matrix of linear interpolation weights between
    ``count`` nodes at 0, 1, ..., count - 1 (extrapolating from the end cells)."""
    first = np.clip(np.floor(positions), 0, count - 2).astype(np.int64)
    t = positions - first
    weights = np.zeros((len(positions), count))
    rows = np.arange(len(positions))
    weights[rows, first] = 1 - t
    weights[rows, first + 1] = t
    return weights


@dataclass(frozen=True)
class Mesh:
    """Displacements ``nodes`` (rows, cols, 2) on a regular grid over a frame of
    ``width`` x ``height`` pixels; node (0, 0) sits on the frame's top-left corner and
    node (rows-1, cols-1) on its bottom-right one."""

    width: float
    height: float
    nodes: np.ndarray

    @classmethod
    def zero(cls, width: float, height: float, spacing: float | None = None) -> Mesh:
        """A mesh that moves nothing, with nodes at most ``spacing`` (default
        ``MESH_SPACING``) apart."""
        spacing = spacing or MESH_SPACING
        cols = max(2, int(np.ceil(width / spacing)) + 1)
        rows = max(2, int(np.ceil(height / spacing)) + 1)
        return cls(float(width), float(height), np.zeros((rows, cols, 2), np.float64))

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.nodes.shape[:2]
        return rows, cols

    @property
    def max_shift(self) -> float:
        """The largest displacement of any node, frame pixels."""
        return float(np.linalg.norm(self.nodes, axis=2).max())

    def with_nodes(self, flat: np.ndarray) -> Mesh:
        """The same grid with node displacements ``flat``: all x, then all y."""
        rows, cols = self.shape
        count = rows * cols
        nodes = np.stack([flat[:count], flat[count:]], axis=-1).reshape(rows, cols, 2)
        return Mesh(self.width, self.height, nodes)

    def basis(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each point, the indices of its four nodes and their bilinear weights
        (points outside the frame extrapolate from the nearest cell)."""
        rows, cols = self.shape
        fx = points[:, 0] * ((cols - 1) / self.width)
        fy = points[:, 1] * ((rows - 1) / self.height)
        i0 = np.clip(np.floor(fx), 0, cols - 2).astype(np.int64)
        j0 = np.clip(np.floor(fy), 0, rows - 2).astype(np.int64)
        tx = fx - i0
        ty = fy - j0
        top = j0 * cols + i0
        indices = np.stack([top, top + 1, top + cols, top + cols + 1], axis=1)
        weights = np.stack(
            [(1 - tx) * (1 - ty), tx * (1 - ty), (1 - tx) * ty, tx * ty], axis=1
        ).astype(np.float64)
        return indices, weights

    def displacement(self, points: np.ndarray) -> np.ndarray:
        """``d(x)`` for frame ``points`` (N, 2)."""
        indices, weights = self.basis(np.asarray(points, np.float64))
        flat = self.nodes.reshape(-1, 2)
        return np.asarray(np.einsum("nk,nkc->nc", weights, flat[indices]))

    def dense(self, size: tuple[int, int]) -> np.ndarray:
        """``d`` at the centre of every pixel of a frame of ``size``: (height, width, 2)."""
        width, height = size
        rows, cols = self.shape
        across = _interpolation((np.arange(width) + 0.5) * ((cols - 1) / self.width), cols)
        down = _interpolation((np.arange(height) + 0.5) * ((rows - 1) / self.height), rows)
        # Bilinear is separable: along the rows of nodes, then down the columns.
        field = [down @ self.nodes[..., c] @ across.T for c in range(2)]
        return np.stack(field, axis=-1).astype(np.float32)

    @cached_property
    def bending(self) -> np.ndarray:
        """The bending penalty as a quadratic form over one coordinate of the nodes:
        squared second differences along rows and columns, and the twist of each cell."""
        rows, cols = self.shape
        index = np.arange(rows * cols).reshape(rows, cols)
        terms: list[tuple[list[int], list[float]]] = []
        for j in range(rows):
            for i in range(1, cols - 1):
                terms.append(([index[j, i - 1], index[j, i], index[j, i + 1]], [1, -2, 1]))
        for j in range(1, rows - 1):
            for i in range(cols):
                terms.append(([index[j - 1, i], index[j, i], index[j + 1, i]], [1, -2, 1]))
        twist = float(np.sqrt(2.0))
        for j in range(rows - 1):
            for i in range(cols - 1):
                cell = [index[j, i], index[j, i + 1], index[j + 1, i], index[j + 1, i + 1]]
                terms.append((cell, [twist, -twist, -twist, twist]))
        operator = np.zeros((len(terms), rows * cols))
        for row, (columns, values) in enumerate(terms):
            operator[row, columns] = values
        return np.asarray(operator.T @ operator)


def _outer(mesh: Mesh, points: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each point, its four nodes and weights, and the 16 node pairs and weight
    products its term adds to the normal equations."""
    count = mesh.shape[0] * mesh.shape[1]
    indices, weights = mesh.basis(np.asarray(points, np.float64))
    pairs = (indices[:, :, None] * count + indices[:, None, :]).reshape(len(points), 16)
    products = (weights[:, :, None] * weights[:, None, :]).reshape(len(points), 16)
    return indices, weights, pairs, products


def _gram(pairs: np.ndarray, products: np.ndarray, factor: np.ndarray, count: int) -> np.ndarray:
    """The (count, count) sum of each point's 4 x 4 block scaled by its ``factor``,
    gathered with bincount rather than through a dense (points x nodes) matrix."""
    gathered = np.bincount(pairs.ravel(), (products * factor[:, None]).ravel(), count * count)
    return np.asarray(gathered.reshape(count, count), np.float64)


def _pull(indices: np.ndarray, weights: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """The right-hand side: each point's ``values`` spread over its nodes by ``weights``."""
    return np.asarray(
        np.bincount(indices.ravel(), (weights * values[:, None]).ravel(), count), np.float64
    )


def fit_to_points(
    mesh: Mesh,
    source: np.ndarray,
    target: np.ndarray,
    bending: float = POINT_BENDING,
    edges: EdgeOffsets | None = None,
) -> Mesh:
    """The smooth mesh that best moves frame points ``source`` onto ``target`` (robustly:
    points the mesh cannot follow weigh less each round, by ``POINT_SCALES``). The scale
    shrinks round by round, so that a strongly curled edge is followed before points far
    off the first fit are doubted. ``edges`` add constraints across straight print: each
    edge point moved by ``value`` along its normal."""
    count = mesh.shape[0] * mesh.shape[1]
    lines = edges if edges is not None and len(edges) else None
    if len(source) == 0 and lines is None:
        return mesh
    indices, weights, pairs, products = _outer(mesh, source)
    moved = np.asarray(target, np.float64) - source
    penalty = bending * mesh.bending + RIDGE * np.eye(count)
    robust = np.ones(len(source))
    if lines is not None:
        line_indices, line_weights, line_pairs, line_products = _outer(mesh, lines.points)
        line_robust = np.full(len(lines), EDGE_WEIGHT)
    nodes: np.ndarray = np.zeros((count, 2))
    for scale in POINT_SCALES:
        # A corner constrains x and y apart: the same block for both coordinates.
        normal = np.kron(np.eye(2), _gram(pairs, products, robust, count) + penalty)
        pulled = weights * robust[:, None]
        right = np.concatenate([_pull(indices, pulled, moved[:, c], count) for c in range(2)])
        if lines is not None:
            # n . d(p) = value couples the two coordinates of each node.
            for a in range(2):
                rows = slice(a * count, (a + 1) * count)
                for b in range(2):
                    factor = line_robust * lines.normals[:, a] * lines.normals[:, b]
                    columns = slice(b * count, (b + 1) * count)
                    normal[rows, columns] += _gram(line_pairs, line_products, factor, count)
                values = line_robust * lines.normals[:, a] * lines.values
                right[rows] += _pull(line_indices, line_weights, values, count)
        solved = np.linalg.solve(normal, right)
        nodes = np.stack([solved[:count], solved[count:]], axis=1)
        fitted_moves = np.einsum("nk,nkc->nc", weights, nodes[indices])
        residual = np.linalg.norm(fitted_moves - moved, axis=1)
        robust = 1.0 / (1.0 + (residual / scale) ** 2)
        if lines is not None:
            across = np.einsum("nk,nkc->nc", line_weights, nodes[line_indices])
            off = np.abs(np.einsum("nc,nc->n", across, lines.normals) - lines.values)
            line_robust = EDGE_WEIGHT / (1.0 + (off / scale) ** 2)
    return mesh.with_nodes(np.concatenate([nodes[:, 0], nodes[:, 1]]))


def fit_mesh(
    reference: np.ndarray,
    warped: np.ndarray,
    corners: np.ndarray,
    edges: Edges | None = None,
) -> Mesh:
    """The mesh over a frame that carries the normalised ``reference`` onto the normalised
    ``warped`` picture, from its ``corners`` tracked between them. Tracking again through
    the mesh found so far finds corners the first round lost (the drift was too large for
    their neighbourhood), so the fit follows a curled edge further each round.

    The first round's mesh is stiff: the deep pyramid it tracks with can lock a column of
    a table's corners onto the next row, all alike, and a supple mesh would follow them;
    a stiff one takes the rest of the page's word, and the next round finds them right.

    A corner that a round loses again keeps where it was found before, as long as the
    corners found in that round agree with it: where corners are few, the fit then does
    not swing from round to round, and a corner found wrong early drops out once the rest
    of the page says so.

    Last, when ``edges`` are given (straight print of the reference, see edges.py), they
    are measured across themselves through that mesh, and the mesh is fitted once more
    to corners and edges together: a box's outline then holds the mesh all along its
    sides, not only at its four corners."""
    height, width = reference.shape
    mesh = Mesh.zero(width, height)
    found = np.full((len(corners), 2), np.nan)
    image = warped
    for round_ in range(MESH_ROUNDS):
        tracked = refine.track(reference, image, corners, levels=3 if round_ == 0 else 2)
        # Found at t through the mesh means found at t + d(t) in the warped picture.
        fresh = tracked.target + mesh.displacement(tracked.target)
        bending = FIRST_BENDING if round_ == 0 else POINT_BENDING
        fitted = fit_to_points(Mesh.zero(width, height), tracked.source, fresh, bending)
        earlier = ~tracked.kept & ~np.isnan(found[:, 0])
        if earlier.any():
            points = corners[earlier]
            off = np.linalg.norm(points + fitted.displacement(points) - found[earlier], axis=1)
            found[np.flatnonzero(earlier)[off > STALE_AGREEMENT]] = np.nan
        found[tracked.kept] = fresh
        if earlier.any():
            known = ~np.isnan(found[:, 0])
            fitted = fit_to_points(Mesh.zero(width, height), corners[known], found[known], bending)
        moved = float(np.abs(fitted.nodes - mesh.nodes).max())
        mesh = fitted
        if moved < MESH_CONVERGED or mesh.max_shift < FLAT or round_ == MESH_ROUNDS - 1:
            break
        image = warp_locally([warped], mesh, (NEUTRAL,))[0]
    if edges is None or len(edges) == 0 or mesh.max_shift < FLAT:
        return mesh
    # Last, straight print measured across, through the mesh the corners gave.
    image = warp_locally([warped], mesh, (NEUTRAL,))[0]
    offsets = measure(reference, image, edges)
    if len(offsets) == 0:
        return mesh
    # Found s along n through the mesh: the picture shows p at about p + s n + d(p + s n).
    shown = offsets.points + offsets.values[:, None] * offsets.normals
    across = offsets.values + np.einsum("nc,nc->n", mesh.displacement(shown), offsets.normals)
    lines = EdgeOffsets(offsets.points, offsets.normals, across)
    known = ~np.isnan(found[:, 0])
    return fit_to_points(Mesh.zero(width, height), corners[known], found[known], edges=lines)


def warp_locally(
    images: list[np.ndarray], mesh: Mesh, fills: tuple[int, ...] | None = None
) -> list[np.ndarray]:
    """Frame ``images`` resampled at ``x + d(x)``: the picture as the mesh sees it, and
    ``fills`` (default 0 each) where it sees outside them."""
    height, width = images[0].shape[:2]
    field = mesh.dense((width, height))
    xs = np.arange(width, dtype=np.float32)[None, :]
    ys = np.arange(height, dtype=np.float32)[:, None]
    map_x = np.ascontiguousarray(xs + field[..., 0])
    map_y = np.ascontiguousarray(ys + field[..., 1])
    return [
        cv2.remap(
            image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
        )
        for image, fill in zip(images, fills or (0,) * len(images), strict=True)
    ]


@dataclass(frozen=True)
class LocalMapping:
    """Reference pixels -> picture pixels through a homography and a mesh: a reference
    point ``p`` is ``H(F⁻¹(F(p) + d(F(p))))`` where ``F`` scales reference pixels to the
    working frame (``frame_scale``)."""

    matrix: np.ndarray
    frame_scale: tuple[float, float]
    mesh: Mesh

    def to_picture(self, points: np.ndarray) -> np.ndarray:
        """Where reference ``points`` (N, 2) lie in the picture."""
        scale = np.array(self.frame_scale, np.float64)
        frame = np.asarray(points, np.float64) * scale
        moved = (frame + self.mesh.displacement(frame)) / scale
        return project(self.matrix, moved)

    def shift(self, points: np.ndarray) -> np.ndarray:
        """How far the mesh moves reference ``points`` away from the homography, in
        reference pixels."""
        scale = np.array(self.frame_scale, np.float64)
        frame = np.asarray(points, np.float64) * scale
        return np.asarray(np.linalg.norm(self.mesh.displacement(frame) / scale, axis=1))
