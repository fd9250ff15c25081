"""Uploaded pictures and documents: opened within the configured limits, measured before
anything is decoded or rendered, imaging errors made answers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType

from api import errors
from api.imaging import errors as imaging_errors
from api.imaging.decode import Picture, decode_picture, probe_picture
from api.imaging.documents import Document, Size, open_document

# The file extension an uploaded picture or document is kept under, by its format.
KEPT_EXTENSIONS = {
    "jpeg": "jpg",
    "png": "png",
    "webp": "webp",
    "tiff": "tif",
    "bmp": "bmp",
    "pdf": "pdf",
}


def decode_upload(data: bytes, *, max_pixels: int, field: str = "image") -> Picture:
    """Decode an uploaded picture, or raise the API error that names what is wrong."""
    _check_not_empty(data, field)
    with answering():
        return decode_picture(data, max_pixels=max_pixels)


@contextmanager
def answering() -> Iterator[None]:
    """Turn the imaging errors raised inside into the API errors that answer them."""
    try:
        yield
    except imaging_errors.PictureTooLarge as exc:
        raise errors.PayloadTooLarge(str(exc)) from exc
    except imaging_errors.TooManyPages as exc:
        raise errors.PayloadTooLarge(str(exc)) from exc
    except imaging_errors.UnsupportedFormat as exc:
        raise errors.UnsupportedPicture(str(exc)) from exc
    except imaging_errors.DecodeFailed as exc:
        raise errors.UndecodablePicture(str(exc)) from exc


class Upload:
    """An uploaded file opened for cutting: one picture, or a document's pages.

    Nothing is decoded when it is opened: a picture's header is read, a document's pages
    counted and measured. :meth:`pixels` tells what rendering would cost before any pixel
    is; pages are decoded or rendered only when asked for, one at a time. Close it (or
    use it as a context manager) when done.
    """

    def __init__(
        self,
        data: bytes,
        *,
        max_pixels: int,
        document: Document | None = None,
        probed: tuple[str, int, int] | None = None,
    ) -> None:
        self._data = data
        self._max_pixels = max_pixels
        self._document = document
        self._picture: Picture | None = None
        # The upload's format (a picture format, ``pdf`` or ``tiff``), its pages (1 for a
        # picture) and, for a picture, its pixels as its header declares them.
        self.format: str
        self.page_count: int
        self._picture_pixels = 0
        # A picture's upright size where its header tells it for sure: None for a
        # document, a PNG (whose orientation may follow its pixels) and HEIF (turned by
        # its own transforms while decoding).
        self.picture_size: tuple[int, int] | None = None
        if document is not None:
            self.format, self.page_count = document.format, document.page_count
        else:
            assert probed is not None
            self.format, width, height = probed
            self.page_count, self._picture_pixels = 1, width * height
            if self.format not in ("png", "heif"):
                self.picture_size = (width, height)

    def pixels(self, references: Sequence[Size | None] = ()) -> int:
        """How many pixels its pages have once decoded or rendered, each for the reference
        page of ``references`` it stands for (see :meth:`page`); 413 for a page that would
        be too large. Nothing is rendered."""
        if self._document is None:
            return self._picture_pixels
        with answering():
            return self._document.page_pixels(references)

    def page(self, number: int, reference: Size | None = None) -> Picture:
        """Page ``number`` (from 1) as a picture. A PDF page stands for a reference page of
        size ``reference``: rendered at its width, at most twice its pixels (without one,
        at the resolution of references)."""
        with answering():
            if self._document is not None:
                return self._document.render(number, reference)
            assert number == 1
            if self._picture is None:
                self._picture = decode_picture(self._data, max_pixels=self._max_pixels)
            return self._picture

    def pages(self, references: Sequence[Size | None]) -> list[Picture]:
        """Every page in order, each for its reference page (all measured before the first
        is rendered)."""
        self.pixels(references)
        return [
            self.page(number, references[number - 1] if number <= len(references) else None)
            for number in range(1, self.page_count + 1)
        ]

    def close(self) -> None:
        """Release the document, if any."""
        if self._document is not None:
            self._document.close()

    def __enter__(self) -> Upload:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_upload(data: bytes, *, max_pixels: int, max_pages: int, field: str = "image") -> Upload:
    """Open an uploaded picture or document, or raise the API error naming what is wrong.

    Nothing is decoded yet: a picture's header is read (past ``max_pixels`` it is 413),
    a document's pages are counted (past ``max_pages`` it is 413) and measured.
    """
    _check_not_empty(data, field)
    with answering():
        document = open_document(data, max_pages=max_pages, max_pixels=max_pixels)
        if document is not None:
            return Upload(data, max_pixels=max_pixels, document=document)
        probed = probe_picture(data, max_pixels=max_pixels)
        return Upload(data, max_pixels=max_pixels, probed=probed)


def picture_pixels(data: bytes, *, max_pixels: int, field: str = "image") -> int:
    """How many pixels an uploaded picture has, read from its header (nothing is decoded);
    raises like :func:`decode_upload`."""
    _check_not_empty(data, field)
    with answering():
        _, width, height = probe_picture(data, max_pixels=max_pixels)
    return width * height


def check_request_pixels(pixels: int, pages: int, limit: int) -> None:
    """413 when a request would decode or render more than ``limit`` pixels over all its
    parts and pages; checked before any is."""
    if pixels > limit:
        counted = f"{pages} pages" if pages != 1 else "1 page"
        raise errors.PayloadTooLarge(
            f"The request would render {pixels:,} pixels over {counted}, more than the limit "
            f"of {limit:,} pixels a request (ZONECUT_MAX_REQUEST_PIXELS): send fewer or "
            "smaller pages at a time."
        )


def _check_not_empty(data: bytes, field: str) -> None:
    if not data:
        raise errors.validation_failed(
            [errors.FieldError(field=field, message="the file is empty")]
        )
