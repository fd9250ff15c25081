"""Errors raised by the imaging functions.

Their messages are written for people: the API puts them, unchanged, in the ``detail``
of its problem+json answers.
"""

from __future__ import annotations


class ImagingError(Exception):
    """Base class of every error raised by ``api.imaging``."""


class PictureTooLarge(ImagingError):
    """The picture has more pixels than allowed (checked from its header, before decoding).

    ``width`` and ``height`` are the size the header declares; they are ``None`` only in
    the rare case where Pillow itself refused the header before its size could be read,
    and then ``pixels`` carries the count Pillow reported when it did.
    """

    def __init__(
        self, width: int | None, height: int | None, limit: int, *, pixels: int | None = None
    ) -> None:
        self.width = width
        self.height = height
        self.limit = limit
        if width is not None and height is not None:
            pixels = width * height
            message = (
                f"The picture is {width} x {height} pixels ({pixels:,} pixels), "
                f"more than the limit of {limit:,} pixels."
            )
        elif pixels is not None:
            message = f"The picture has {pixels:,} pixels, more than the limit of {limit:,}."
        else:
            message = f"The picture has more than the limit of {limit:,} pixels."
        self.pixels = pixels
        super().__init__(message)


class UnsupportedPicture(ImagingError):
    """The data is not a picture in one of the accepted formats."""

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = (
                "The file is not a picture in a supported format "
                "(JPEG, PNG, WebP, TIFF, BMP, GIF or HEIC/HEIF)."
            )
        super().__init__(message)


class UndecodablePicture(ImagingError):
    """The data starts like a supported picture but cannot be decoded (truncated or corrupt)."""

    def __init__(self, format: str, reason: str | None = None) -> None:
        self.format = format
        self.reason = reason
        message = f"The {format.upper()} picture cannot be decoded: it is truncated or corrupt"
        message += f" ({reason})." if reason else "."
        super().__init__(message)


class AspectMismatch(ImagingError):
    """The picture's aspect ratio is too far from the reference's for scale alignment.

    ``reference_aspect`` and ``picture_aspect`` are width / height; ``difference`` is the
    relative difference as defined in :func:`api.imaging.geometry.aspect_difference`.
    """

    def __init__(
        self,
        reference_aspect: float,
        picture_aspect: float,
        tolerance: float,
        difference: float,
    ) -> None:
        self.reference_aspect = reference_aspect
        self.picture_aspect = picture_aspect
        self.tolerance = tolerance
        self.difference = difference
        message = (
            f"The picture's aspect ratio ({picture_aspect:.4f}, width / height) differs from "
            f"the model's reference ({reference_aspect:.4f}) by {difference:.1%}, "
            f"more than the {tolerance:.1%} allowed when zones are scaled."
        )
        super().__init__(message)
