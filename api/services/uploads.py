"""Uploaded pictures and documents: decoded within the configured limits, imaging errors
made answers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType

from api import errors
from api.imaging import errors as imaging_errors
from api.imaging.decode import Picture, decode_picture
from api.imaging.documents import Document, open_document

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

    A document's pages are counted and measured when it is opened and rendered only when
    asked for, one at a time. Close it (or use it as a context manager) when done.
    """

    def __init__(self, picture: Picture | None, document: Document | None) -> None:
        self._picture = picture
        self._document = document
        # The upload's format (a picture format, ``pdf`` or ``tiff``) and its pages (1 for
        # a picture).
        self.format: str
        self.page_count: int
        if document is not None:
            self.format, self.page_count = document.format, document.page_count
        else:
            assert picture is not None
            self.format, self.page_count = picture.format, 1

    def check_widths(self, widths: Sequence[int | None]) -> None:
        """413 if a page rendered at its width (see :meth:`page`) would be too large."""
        if self._document is not None:
            with answering():
                self._document.check_pixels(widths)

    def page(self, number: int, width: int | None = None) -> Picture:
        """Page ``number`` (from 1) as a picture; a PDF page rendered ``width`` pixels wide
        (default: at the resolution of references)."""
        if self._document is None:
            assert self._picture is not None and number == 1
            return self._picture
        with answering():
            return self._document.render(number, width)

    def pages(self, widths: Sequence[int | None]) -> list[Picture]:
        """Every page in order, rendered at ``widths`` (checked all before the first)."""
        self.check_widths(widths)
        return [
            self.page(number, widths[number - 1] if number <= len(widths) else None)
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

    A picture is decoded at once; a document (PDF, multi-page TIFF) is only counted and
    measured: past ``max_pages`` it is 413 before anything is rendered.
    """
    _check_not_empty(data, field)
    with answering():
        document = open_document(data, max_pages=max_pages, max_pixels=max_pixels)
        if document is not None:
            return Upload(None, document)
        return Upload(decode_picture(data, max_pixels=max_pixels), None)


def _check_not_empty(data: bytes, field: str) -> None:
    if not data:
        raise errors.validation_failed(
            [errors.FieldError(field=field, message="the file is empty")]
        )
