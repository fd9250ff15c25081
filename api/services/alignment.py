"""Feature alignment for extractions: cached reference features and refusals as answers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from PIL import Image

from api import errors
from api.imaging.decode import decode_picture
from api.imaging.geometry import Box, Matrix

if TYPE_CHECKING:
    from api.imaging import align as registration


def _registration() -> ModuleType:
    # OpenCV costs every worker memory at start; only models that align by features need it.
    from api.imaging import align

    return align


class ReferenceCache:
    """Features of reference pictures, computed once, kept beside the picture and in memory."""

    def __init__(self, root: Path, *, max_pixels: int, capacity: int = 16) -> None:
        self._root = root
        self._max_pixels = max_pixels
        self._capacity = capacity
        self._memory: OrderedDict[str, registration.ReferenceFeatures] = OrderedDict()
        self._lock = threading.Lock()

    def features(self, reference_path: str) -> registration.ReferenceFeatures:
        """The features of the reference picture at ``reference_path`` (relative to root)."""
        with self._lock:
            cached = self._memory.get(reference_path)
            if cached is not None:
                self._memory.move_to_end(reference_path)
                return cached
        features = self._load_or_compute(reference_path)
        with self._lock:
            self._memory[reference_path] = features
            while len(self._memory) > self._capacity:
                self._memory.popitem(last=False)
        return features

    def _load_or_compute(self, reference_path: str) -> registration.ReferenceFeatures:
        picture_file = self._root / reference_path
        sidecar = picture_file.with_suffix(".features")
        if sidecar.exists():
            try:
                features: registration.ReferenceFeatures = (
                    _registration().ReferenceFeatures.from_bytes(sidecar.read_bytes())
                )
                return features
            except (ValueError, KeyError, OSError):
                pass  # written by another version or damaged: compute it again
        picture = decode_picture(picture_file, max_pixels=self._max_pixels)
        features = _registration().compute_reference_features(picture.image)
        temporary = sidecar.with_name(f".tmp-{threading.get_ident()}-{sidecar.name}")
        temporary.write_bytes(features.to_bytes())
        temporary.replace(sidecar)
        return features


def align(
    reference: registration.ReferenceFeatures, picture: Image.Image
) -> registration.Alignment:
    """Register the picture to the reference, or answer 422 with the confidence figures."""
    module = _registration()
    try:
        alignment: registration.Alignment = module.align_picture(reference, picture)
        return alignment
    except module.AlignmentFailed as exc:
        raise errors.PictureDoesNotMatch(str(exc), figures=dict(exc.figures)) from exc


def cut(picture: Image.Image, matrix: Matrix, box: Box) -> Image.Image:
    """The zone ``box`` (reference pixels) as an upright crop of the picture."""
    module = _registration()
    try:
        image: Image.Image = module.warp_crop(picture, matrix, box)
    except module.ZoneOutsidePicture as exc:
        raise errors.PictureDoesNotMatch(str(exc)) from exc
    return image
