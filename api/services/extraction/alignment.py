"""Feature alignment for extractions: cached reference features and refusals as answers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PIL import Image

from api import errors
from api.imaging.decode import decode_picture
from api.imaging.geometry import Box, Matrix
from api.services.models.references import features_path
from api.storage import FileNotFoundInStorage, Storage

if TYPE_CHECKING:
    from api.imaging.align.pipeline import Alignment
    from api.imaging.align.reference import ReferenceFeatures

# OpenCV costs every worker memory at start; only models that align by features need it,
# so the alignment modules are imported by the functions that use them.


class ReferenceCache:
    """Features of reference pictures, computed once, kept beside the picture and in memory."""

    def __init__(self, storage: Storage, *, max_pixels: int, capacity: int = 16) -> None:
        self._storage = storage
        self._max_pixels = max_pixels
        self._capacity = capacity
        self._memory: OrderedDict[str, ReferenceFeatures] = OrderedDict()
        self._lock = threading.Lock()

    def features(self, reference_path: str) -> ReferenceFeatures:
        """The features of the reference picture at ``reference_path`` in the storage."""
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

    def _load_or_compute(self, reference_path: str) -> ReferenceFeatures:
        from api.imaging.align.reference import ReferenceFeatures, compute_reference_features

        sidecar = features_path(reference_path)
        damaged = False
        try:
            return ReferenceFeatures.from_bytes(self._storage.read(sidecar))
        except FileNotFoundInStorage:
            pass
        except (ValueError, KeyError, OSError):
            damaged = True  # written by another version or damaged: compute it again
        data = self._storage.read(reference_path)
        picture = decode_picture(data, max_pixels=self._max_pixels)
        features = compute_reference_features(picture.image)
        if damaged:
            self._storage.delete(sidecar)
        # another instance may have written the same features meanwhile: both are equal
        self._storage.put_exact(sidecar, features.to_bytes())
        return features


def align(
    reference: ReferenceFeatures,
    picture: Image.Image,
    zones: Sequence[tuple[str, Box]] = (),
) -> Alignment:
    """Register the picture to the reference, checking each named zone where it lands,
    or answer 422 with the confidence figures (naming the zone that did not match)."""
    from api.imaging.align.pipeline import AlignmentFailed, align_picture

    try:
        return align_picture(reference, picture, [box for _, box in zones])
    except AlignmentFailed as exc:
        message = str(exc)
        index = int(exc.figures.get("zone", 0))
        if 0 < index <= len(zones):
            message = message.replace(f"zone {index} ", f"zone '{zones[index - 1][0]}' ", 1)
        raise errors.PictureDoesNotMatch(message, figures=dict(exc.figures)) from exc


def cut_region(size: tuple[int, int], aligned: Alignment, box: Box) -> Box | None:
    """The pixels of a picture of ``size`` that :func:`cut` reads to cut ``box`` through
    ``aligned``; None for a zone that cannot be cut (the cut says why)."""
    from api.imaging.align.pipeline import cut_region as region
    from api.imaging.align.warp import ZoneOutsidePicture

    try:
        return region(size, aligned, box)
    except ZoneOutsidePicture:
        return None


def cut(picture: Image.Image, placement: Alignment | Matrix, box: Box) -> Image.Image:
    """The zone ``box`` (reference pixels) as an upright crop of the picture, through a
    homography or an alignment (and its mesh, where the page is not flat)."""
    from api.imaging.align.pipeline import Alignment, cut_zone
    from api.imaging.align.warp import ZoneOutsidePicture, warp_crop

    try:
        if isinstance(placement, Alignment):
            return cut_zone(picture, placement, box)
        return warp_crop(picture, placement, box)
    except ZoneOutsidePicture as exc:
        raise errors.PictureDoesNotMatch(str(exc)) from exc
