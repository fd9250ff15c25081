"""A decoded picture's pixels, kept as the decoder gave them and turned upright only
where they are read.

Turning a 12-megapixel phone photo upright costs a third of decoding it and a second copy
of its pixels, and a Pillow image of an RGB picture takes four bytes a pixel where the
decoder gave three. A crop needs only its own pixels upright, as an array (which is what
the PNG writer works on): a zone's box is mapped onto the stored pixels and only that
region is turned, in the thread that cuts it. The whole picture becomes an upright Pillow
image only when something asks for one (feature alignment, an overlay, a review), once.
"""

from __future__ import annotations

import threading
from typing import Any, Final

import numpy as np
from PIL import Image

from api.imaging.geometry import Box

# EXIF orientation -> the transposition that makes the picture upright.
ORIENTATION_TRANSPOSE: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_MODES: Final[dict[int, str]] = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
"""The picture's mode by the number of channels of its array."""


def array_mode(pixels: np.ndarray) -> str:
    """The mode (L, LA, RGB, RGBA) of 8-bit pixels: (rows, columns) or (rows, columns,
    channels)."""
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    return _MODES[channels]


def as_image(pixels: np.ndarray) -> Image.Image:
    """8-bit pixels (as :func:`array_mode` reads them) as a Pillow image."""
    return Image.fromarray(np.ascontiguousarray(pixels), array_mode(pixels))


class Pixels:
    """The pixels of one decoded picture: either an upright Pillow image, or an 8-bit
    array as stored with the EXIF ``orientation`` still to apply.

    :meth:`region` reads a box of the upright picture without turning the rest;
    :meth:`image` gives the whole upright picture (made once, then kept). Safe to read
    from several threads.
    """

    def __init__(
        self,
        stored: np.ndarray | Image.Image,
        *,
        orientation: int = 1,
        info: dict[Any, Any] | None = None,
    ) -> None:
        if isinstance(stored, Image.Image):
            if orientation != 1:
                raise ValueError("a Pillow image is kept upright: give its orientation as 1")
            self._array: np.ndarray | None = None
            self._image: Image.Image | None = stored
            self.info: dict[Any, Any] = stored.info if info is None else info
            self.mode: str = stored.mode
            self.size: tuple[int, int] = stored.size
        else:
            if stored.dtype != np.uint8 or stored.ndim not in (2, 3):
                raise ValueError("pixels are an 8-bit array of rows and columns")
            self._array = stored
            self._image = None
            self.info = dict(info or {})
            self.mode = array_mode(stored)
            rows, columns = stored.shape[:2]
            self.size = (rows, columns) if orientation >= 5 else (columns, rows)
        self.orientation = orientation
        self._lock = threading.Lock()

    def image(self) -> Image.Image:
        """The whole picture upright, as a Pillow image (made on first use)."""
        with self._lock:
            if self._image is None:
                assert self._array is not None
                image = Image.fromarray(self._array, self.mode)
                method = ORIENTATION_TRANSPOSE.get(self.orientation)
                if method is not None:
                    image = image.transpose(method)
                image.info = {k: v for k, v in self.info.items() if k != "exif"}
                self._image = image
                # One copy of the pixels is enough: boxes are read from the image now.
                self._array = None
            return self._image

    def region(self, box: Box) -> np.ndarray:
        """The upright pixels of ``box`` (which must lie in the picture): an array of
        (rows, columns) for L, else (rows, columns, channels), each row contiguous."""
        if not box.fits_within(*self.size):
            message = f"The box {box} does not fit in a {self.size[0]}x{self.size[1]} picture."
            raise ValueError(message)
        array = self._array  # read once: image() may drop it meanwhile, after the image
        if array is None:
            assert self._image is not None
            return np.asarray(self._image.crop(box.as_ltrb()))
        rows, columns = _stored_slices(array.shape[:2], self.orientation, box)
        return _turned(array[rows, columns], self.orientation)


def _stored_slices(stored: tuple[int, ...], orientation: int, box: Box) -> tuple[slice, slice]:
    """The rows and columns of a stored array of shape ``stored`` that ``box`` of the
    picture turned upright by ``orientation`` covers."""
    height, width = stored[0], stored[1]
    x, y, right, bottom = box.x, box.y, box.right, box.bottom
    # Each orientation's box in stored pixels, read off the transposition it undoes.
    top, low, left, high = {
        1: (y, bottom, x, right),
        2: (y, bottom, width - right, width - x),
        3: (height - bottom, height - y, width - right, width - x),
        4: (height - bottom, height - y, x, right),
        5: (x, right, y, bottom),
        6: (height - right, height - x, y, bottom),
        7: (height - right, height - x, width - bottom, width - y),
        8: (x, right, width - bottom, width - y),
    }[orientation]
    return slice(top, low), slice(left, high)


def _turned(region: np.ndarray, orientation: int) -> np.ndarray:
    """A stored region turned upright by ``orientation``, its rows contiguous."""
    if orientation == 1:
        return region
    if orientation == 2:
        return np.ascontiguousarray(region[:, ::-1])
    if orientation == 3:
        return np.ascontiguousarray(region[::-1, ::-1])
    if orientation == 4:
        return np.ascontiguousarray(region[::-1])
    # A quarter turn with numpy walks memory across the rows (4 times slower than
    # OpenCV's blocked transposition, which also lets the GIL go).
    import cv2

    if orientation == 5:
        return np.asarray(cv2.transpose(region))
    if orientation == 6:
        return np.asarray(cv2.rotate(region, cv2.ROTATE_90_CLOCKWISE))
    if orientation == 7:
        return np.asarray(cv2.rotate(cv2.transpose(region), cv2.ROTATE_180))
    return np.asarray(cv2.rotate(region, cv2.ROTATE_90_COUNTERCLOCKWISE))
