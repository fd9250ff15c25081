"""Documents: PDF and multi-page TIFF, counted and measured before any page is rendered.

A document is opened in two steps, so that a hostile file costs next to nothing:

1. :func:`open_document` recognises the format, counts the pages (refusing more than
   ``max_pages``) and reads every page's size from the file's structure alone. A PDF
   that is encrypted, damaged, whose page tree cannot be walked (loops included), that
   has no pages or that carries JavaScript is refused here.
2. :meth:`Document.render` turns one page into an upright :class:`Picture`, after
   checking the size it would have; :meth:`Document.page_pixels` does that check for
   every page at once, before the first one is rendered, and counts their pixels.

A PDF page stands for a page of a reference whose size in pixels the caller gives: it is
rendered by PDFium at that page's width, and never above :data:`PAGE_PIXELS_FACTOR` times
that page's pixels, so that a tiny page of another shape (an inch wide and a hundred
tall) is refused instead of becoming a gigantic picture. Without a reference page, a PDF
page is to be a reference itself and renders at :data:`REFERENCE_DPI`. A TIFF page is
raster already: it is decoded at its own size, through the same mode and orientation
rules as any picture (:func:`api.imaging.decode.decode_frame`). Every page, whatever its
kind, stays within ``max_pixels``.

PDFium is not thread-safe: every call into it, opening and closing included, holds one
process-wide lock. PDFium as packaged has no JavaScript engine, so no script could run;
documents carrying scripts are refused anyway, as nothing a scan or a form print needs.
"""

from __future__ import annotations

import io
import math
import re
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import TracebackType
from typing import Final

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, TiffImagePlugin

from api.imaging.decode import Picture, decode_frame
from api.imaging.errors import (
    DecodeFailed,
    EncryptedDocument,
    PageTooLarge,
    TooManyPages,
    UndecodableDocument,
    UnsupportedFormat,
)

DOCUMENT_FORMATS: Final[tuple[str, ...]] = ("pdf", "tiff")
"""Formats that may hold several pages, as they appear in :attr:`Document.format`."""

REFERENCE_DPI: Final = 200
"""Resolution at which a PDF page becomes a model's reference picture."""

POINTS_PER_INCH: Final = 72

PAGE_PIXELS_FACTOR: Final = 2
"""A PDF page rendered for a reference page has at most this many times its pixels."""

Size = tuple[int, int]
"""A size in pixels: width, height."""

# One lock for every PDFium call of the process (PDFium keeps global state).
_PDFIUM_LOCK: Final = threading.Lock()
# Names a PDF uses for scripts; "#4A" style escapes are undone before comparing.
_SCRIPT_NAMES: Final = frozenset({b"JS", b"JavaScript"})
_SCRIPT_NAME: Final = re.compile(rb"/J(?:S|avaScript)(?![^\s/<>\[\](){}%])")
_ESCAPED_NAME: Final = re.compile(rb"/([^\s/<>\[\](){}%#]*#[^\s/<>\[\](){}%]*)")
_OBJECT_STREAM: Final = re.compile(rb"/Type\s*/ObjStm\b")
_STREAM_START: Final = re.compile(rb"stream\r?\n")
# Compressed object streams are inflated to look for scripts, but never past this.
_MAX_INFLATED: Final = 64 * 1024 * 1024
_TIFF_ERRORS: Final = (OSError, SyntaxError, ValueError, EOFError, KeyError, TypeError, zlib.error)


def sniff_document(data: bytes) -> str | None:
    """``"pdf"`` or ``"tiff"`` when ``data`` starts like one, else None.

    A TIFF may hold a single page, which is an ordinary picture: :func:`open_document`
    tells the two apart.
    """
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    return None


class Document(ABC):
    """An opened document: its format, its pages' sizes, and its pages on demand.

    ``page_sizes`` are in the document's own units: points for a PDF, pixels for a TIFF.
    Pages are numbered from 1. Close it (or use it as a context manager) when done.
    """

    format: str
    page_sizes: tuple[tuple[float, float], ...]
    # whether pages render at their reference page's width (PDF), or keep their own (TIFF)
    scales_to_reference: bool = False

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels

    @property
    def page_count(self) -> int:
        """How many pages the document has."""
        return len(self.page_sizes)

    @abstractmethod
    def render_size(self, number: int, width: int | None = None) -> Size:
        """The size in pixels page ``number`` will have when rendered at ``width``."""

    @abstractmethod
    def _render(self, number: int, size: Size) -> Picture:
        """Render page ``number`` at ``size`` pixels (already checked)."""

    def page_pixels(self, references: Sequence[Size | None] = ()) -> int:
        """How many pixels all the pages have rendered, page ``n`` for ``references[n-1]``
        (pages past its end, or None: as references themselves); nothing is rendered.

        Raises :class:`PageTooLarge` for the first page that would be too large.
        """
        total = 0
        for number in range(1, self.page_count + 1):
            reference = references[number - 1] if number <= len(references) else None
            width, height = self._checked_size(number, reference)
            total += width * height
        return total

    def render(self, number: int, reference: Size | None = None) -> Picture:
        """Page ``number`` as an upright picture, standing for a reference page of size
        ``reference`` (see the module's notes); the size is checked before anything is
        rendered."""
        return self._render(number, self._checked_size(number, reference))

    def _checked_size(self, number: int, reference: Size | None) -> Size:
        if not 1 <= number <= self.page_count:
            raise ValueError(f"page {number} of a {self.page_count}-page document")
        width, height = self.render_size(number, reference[0] if reference else None)
        if reference is not None and self.scales_to_reference:
            limit = PAGE_PIXELS_FACTOR * reference[0] * reference[1]
            if width * height > limit:
                raise PageTooLarge(number, width, height, limit, reference=reference)
        if width * height > self.max_pixels:
            raise PageTooLarge(number, width, height, self.max_pixels)
        return width, height

    @abstractmethod
    def close(self) -> None:
        """Release the document; its pages cannot be rendered afterwards."""

    def __enter__(self) -> Document:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_document(data: bytes, *, max_pages: int, max_pixels: int) -> Document | None:
    """Open ``data`` as a document of several pages, or answer None for anything else.

    A PDF always is a document, even of one page; a TIFF is one only when it holds
    several pages (a single page is a picture: :func:`api.imaging.decode.decode_picture`).
    Raises :class:`TooManyPages` past ``max_pages``, :class:`EncryptedDocument`,
    :class:`UndecodableDocument` for a file that cannot be read or walked, and
    :class:`UnsupportedFormat` for a PDF carrying JavaScript. Pixel limits are checked
    when pages are measured or rendered (see :meth:`Document.page_pixels`).
    """
    kind = sniff_document(data)
    if kind == "pdf":
        return _PdfDocument.open(data, max_pages=max_pages, max_pixels=max_pixels)
    if kind == "tiff":
        return _TiffDocument.open(data, max_pages=max_pages, max_pixels=max_pixels)
    return None


class _PdfDocument(Document):
    format = "pdf"
    scales_to_reference = True

    def __init__(
        self,
        pdf: pdfium.PdfDocument,
        data: bytes,
        sizes: tuple[tuple[float, float], ...],
        max_pixels: int,
    ) -> None:
        super().__init__(max_pixels)
        self._pdf: pdfium.PdfDocument | None = pdf
        self._data = data  # PDFium reads these bytes for as long as the document is open
        self.page_sizes = sizes

    @classmethod
    def open(cls, data: bytes, *, max_pages: int, max_pixels: int) -> _PdfDocument:
        with _PDFIUM_LOCK:
            # Opened by hand: pypdfium2 reports a document without pages with the error
            # code of whatever failed before it, PDFium having set none.
            handle = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
            if not handle:
                raise _load_error(pdfium_c.FPDF_GetLastError())
            pdf = pdfium.PdfDocument(handle)
            try:
                count = len(pdf)
                if count < 1:
                    raise UndecodableDocument("pdf", "it has no pages")
                if count > max_pages:
                    raise TooManyPages(count, max_pages)
                if pdfium_c.FPDFDoc_GetJavaScriptActionCount(pdf) > 0:
                    raise _script_refusal()
                sizes = tuple(_page_size(pdf, index) for index in range(count))
            except BaseException:
                pdf.close()
                raise
        if _has_script(data):
            with _PDFIUM_LOCK:
                pdf.close()
            raise _script_refusal()
        return cls(pdf, data, sizes, max_pixels)

    def render_size(self, number: int, width: int | None = None) -> Size:
        page_width, page_height = self.page_sizes[number - 1]
        if width is None:
            scale = REFERENCE_DPI / POINTS_PER_INCH
            width = max(1, round(page_width * scale))
        else:
            scale = width / page_width
        return width, max(1, round(page_height * scale))

    def _render(self, number: int, size: Size) -> Picture:
        width, height = size
        with _PDFIUM_LOCK:
            if self._pdf is None:
                raise ValueError("the document is closed")
            try:
                page = self._pdf[number - 1]
            except pdfium.PdfiumError as error:
                raise UndecodableDocument("pdf", f"page {number} cannot be read") from error
            try:
                bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_BGR)
                try:
                    pdfium_c.FPDFBitmap_FillRect(bitmap, 0, 0, width, height, 0xFFFFFFFF)
                    pdfium_c.FPDF_RenderPageBitmap(
                        bitmap, page, 0, 0, width, height, 0, pdfium_c.FPDF_ANNOT
                    )
                    image = bitmap.to_pil()
                finally:
                    bitmap.close()
            finally:
                page.close()
        image.load()
        return Picture.of_image(image, "pdf")

    def close(self) -> None:
        with _PDFIUM_LOCK:
            if self._pdf is not None:
                self._pdf.close()
                self._pdf = None


def _load_error(code: int) -> UndecodableDocument:
    """The refusal that names why PDFium could not open a document."""
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return EncryptedDocument("pdf")
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return UndecodableDocument("pdf", "it is encrypted in a way that is not supported")
    return UndecodableDocument("pdf", "it is damaged or truncated")


def _page_size(pdf: pdfium.PdfDocument, index: int) -> tuple[float, float]:
    """A page's size in points, read without loading the page."""
    try:
        width, height = pdf.get_page_size(index)
    except pdfium.PdfiumError as error:
        # A page tree that loops, or kids that are not pages, leave a page unreachable.
        reason = f"page {index + 1} cannot be found: its page tree is broken"
        raise UndecodableDocument("pdf", reason) from error
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise UndecodableDocument("pdf", f"page {index + 1} has no size")
    return float(width), float(height)


def _script_refusal() -> UnsupportedFormat:
    return UnsupportedFormat(
        "The PDF document contains JavaScript, which is not accepted: print it to a new "
        "PDF, or scan it, and send that."
    )


def _has_script(data: bytes) -> bool:
    """Whether the PDF names a script anywhere, in plain or in compressed object streams."""
    if _names_script(data):
        return True
    budget = _MAX_INFLATED
    for match in _OBJECT_STREAM.finditer(data):
        start = _STREAM_START.search(data, match.end())
        if start is None or budget <= 0:
            break
        end = data.find(b"endstream", start.end())
        chunk = data[start.end() : end if end >= 0 else len(data)]
        try:
            inflated = zlib.decompressobj().decompress(chunk, budget)
        except zlib.error:
            continue  # not Flate, or damaged: PDFium would not read its objects either
        budget -= len(inflated)
        if _names_script(inflated):
            return True
    return False


def _names_script(data: bytes) -> bool:
    if _SCRIPT_NAME.search(data):
        return True
    return any(_unescape(match.group(1)) in _SCRIPT_NAMES for match in _ESCAPED_NAME.finditer(data))


def _unescape(name: bytes) -> bytes:
    """A PDF name with its ``#xx`` escapes undone."""
    if b"#" not in name:
        return name
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name)


class _TiffDocument(Document):
    format = "tiff"

    def __init__(
        self,
        image: TiffImagePlugin.TiffImageFile,
        sizes: tuple[tuple[float, float], ...],
        max_pixels: int,
    ) -> None:
        super().__init__(max_pixels)
        self._image = image
        self.page_sizes = sizes

    @classmethod
    def open(cls, data: bytes, *, max_pages: int, max_pixels: int) -> _TiffDocument | None:
        try:
            image = TiffImagePlugin.TiffImageFile(io.BytesIO(data))
        except Image.DecompressionBombError:
            return None  # decode_picture reports it, with its size
        except _TIFF_ERRORS as error:
            raise DecodeFailed("tiff", _reason(error)) from error
        sizes = [image.size]
        try:
            # Seeking reads one directory of tags, no pixels. A chain of directories that
            # loops never ends: counting stops past the limit.
            while len(sizes) <= max_pages:
                try:
                    image.seek(len(sizes))
                except EOFError:
                    break
                sizes.append(image.size)
            image.seek(0)
        except _TIFF_ERRORS as error:
            image.close()
            raise DecodeFailed("tiff", f"page {len(sizes) + 1}: {_reason(error)}") from error
        if len(sizes) > max_pages:
            image.close()
            raise TooManyPages(len(sizes), max_pages, at_least=True)
        if len(sizes) == 1:
            image.close()
            return None
        return cls(image, tuple((float(w), float(h)) for w, h in sizes), max_pixels)

    def render_size(self, number: int, width: int | None = None) -> Size:
        page_width, page_height = self.page_sizes[number - 1]
        return int(page_width), int(page_height)

    def _render(self, number: int, size: Size) -> Picture:
        try:
            self._image.seek(number - 1)
        except _TIFF_ERRORS as error:
            raise DecodeFailed("tiff", f"page {number}: {_reason(error)}") from error
        picture = decode_frame(self._image, "tiff", max_pixels=self.max_pixels, detach=True)
        return picture

    def close(self) -> None:
        self._image.close()


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text[:200] if text else type(error).__name__
