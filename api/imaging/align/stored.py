"""An alignment as plain data (JSON-safe) and back, exactly: the same homography, mesh,
figures and zone scores, so a zone cut through the copy is the crop cut through the
original. Kept by the samples of a model so that they are not aligned again on every
check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from api.imaging.align.mesh import LocalMapping, Mesh
from api.imaging.align.pipeline import Alignment

FORMAT = 1  # grows when the record's shape changes; an older record is computed again


class UnreadableRecord(ValueError):
    """The record was written by another version, or damaged."""


def alignment_record(aligned: Alignment) -> dict[str, Any]:
    """``aligned`` as data of lists, floats and strings (floats round-trip exactly)."""
    local = aligned.local
    return {
        "format": FORMAT,
        "matrix": [[float(v) for v in row] for row in aligned.matrix],
        "figures": {name: float(value) for name, value in aligned.figures.items()},
        "zone_scores": [None if s is None else float(s) for s in aligned.zone_scores],
        "local": None
        if local is None
        else {
            "matrix": np.asarray(local.matrix, np.float64).tolist(),
            "frame_scale": [float(v) for v in local.frame_scale],
            "width": float(local.mesh.width),
            "height": float(local.mesh.height),
            "nodes": np.asarray(local.mesh.nodes, np.float64).tolist(),
        },
    }


def alignment_of_record(record: Mapping[str, Any]) -> Alignment:
    """The alignment :func:`alignment_record` wrote; :class:`UnreadableRecord` for one of
    another format or damaged."""
    try:
        if record.get("format") != FORMAT:
            raise UnreadableRecord(f"alignment record of format {record.get('format')!r}")
        rows = record["matrix"]
        matrix = tuple(tuple(float(v) for v in row) for row in rows)
        if len(matrix) != 3 or any(len(row) != 3 for row in matrix):
            raise UnreadableRecord("an alignment's matrix is 3x3")
        local = None
        if record["local"] is not None:
            data = record["local"]
            nodes = np.asarray(data["nodes"], np.float64)
            if nodes.ndim != 3 or nodes.shape[2] != 2:
                raise UnreadableRecord("a mesh's nodes are (rows, cols, 2)")
            sx, sy = (float(v) for v in data["frame_scale"])
            local = LocalMapping(
                np.asarray(data["matrix"], np.float64),
                (sx, sy),
                Mesh(float(data["width"]), float(data["height"]), nodes),
            )
        return Alignment(
            matrix,  # type: ignore[arg-type]
            {str(k): float(v) for k, v in record["figures"].items()},
            local,
            tuple(None if s is None else float(s) for s in record["zone_scores"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, UnreadableRecord):
            raise
        raise UnreadableRecord(f"damaged alignment record: {exc}") from exc
