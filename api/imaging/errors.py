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


class UnsupportedFormat(ImagingError):
    """The data is not a picture in one of the accepted formats."""

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = (
                "The file is not a picture in a supported format "
                "(JPEG, PNG, WebP, TIFF, BMP, GIF or HEIC/HEIF) nor a PDF document."
            )
        super().__init__(message)


class DecodeFailed(ImagingError):
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


class PageTooLarge(PictureTooLarge):
    """One page of a document would have more pixels than allowed once rendered.

    ``reference`` is the size of the reference page it stands for, when the limit is
    that page's (a page of another shape rendered at its width); else the limit is the
    one of every picture.
    """

    def __init__(
        self,
        page: int,
        width: int,
        height: int,
        limit: int,
        *,
        reference: tuple[int, int] | None = None,
    ) -> None:
        self.page = page
        self.width, self.height, self.limit, self.pixels = width, height, limit, width * height
        self.reference = reference
        would_be = (
            f"Page {page} of the document would be {width} x {height} pixels "
            f"({width * height:,} pixels)"
        )
        if reference is None:
            message = f"{would_be}, more than the limit of {limit:,} pixels."
        else:
            ref_width, ref_height = reference
            message = (
                f"{would_be} at the width of the reference page it stands for, more than "
                f"twice that page's {ref_width} x {ref_height} pixels ({limit:,} pixels): "
                "its shape is too far from the reference's."
            )
        ImagingError.__init__(self, message)


class TooManyPages(ImagingError):
    """The document has more pages than allowed (counted before any page is rendered).

    ``pages`` is the count found; with ``at_least`` it is only a lower bound, counting
    having stopped past the limit.
    """

    def __init__(self, pages: int, limit: int, *, at_least: bool = False) -> None:
        self.pages = pages
        self.limit = limit
        count = f"at least {pages}" if at_least else str(pages)
        super().__init__(f"The document has {count} pages, more than the limit of {limit} pages.")


class UndecodableDocument(DecodeFailed):
    """The data starts like a supported document but cannot be read (damaged, truncated)."""

    def __init__(self, format: str, reason: str | None = None) -> None:
        self.format = format
        self.reason = reason
        message = f"The {format.upper()} document cannot be read"
        message += f": {reason}." if reason else "."
        ImagingError.__init__(self, message)


class EncryptedDocument(UndecodableDocument):
    """The document is encrypted: it cannot be read without its password."""

    def __init__(self, format: str) -> None:
        super().__init__(format, "it is encrypted and needs a password to be opened")
