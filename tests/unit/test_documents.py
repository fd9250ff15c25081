"""Documents: PDF and multi-page TIFF counted, measured and refused before rendering."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PIL import Image, TiffImagePlugin

from api.imaging.documents import REFERENCE_DPI, Document, open_document, sniff_document
from api.imaging.errors import (
    DecodeFailed,
    EncryptedDocument,
    PageTooLarge,
    PictureTooLarge,
    TooManyPages,
    UndecodableDocument,
    UnsupportedFormat,
)
from tests.helpers import (
    BLUE,
    GREEN,
    RED,
    YELLOW,
    blank_pdf,
    blocks_picture,
    close_colour,
    colour_at,
    exif_with_orientation,
    pdf_of,
    picture_file,
    raw_pdf,
    tiff_of,
)

LIMITS = {"max_pages": 50, "max_pixels": 100_000_000}
PAGE_OBJECT = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"


def quadrants(width: int = 400, height: int = 300) -> Image.Image:
    w, h = width // 2, height // 2
    return blocks_picture(
        (width, height),
        [
            ((0, 0, w, h), RED),
            ((w, 0, width, h), GREEN),
            ((0, h, w, height), BLUE),
            ((w, h, width, height), YELLOW),
        ],
    )


@contextmanager
def opened(data: bytes, **limits: int) -> Iterator[Document]:
    document = open_document(data, **(LIMITS | limits))
    assert document is not None
    with document:
        yield document


@contextmanager
def quickly(seconds: float = 2.0) -> Iterator[None]:
    """The block ends (refusing or not) within ``seconds``: never a hang."""
    started = time.monotonic()
    yield
    assert time.monotonic() - started < seconds


# --- recognising documents ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\r\n  %PDF-1.4\n", "pdf"),
        (b"II*\x00rest", "tiff"),
        (b"MM\x00*rest", "tiff"),
        (b"\x89PNG\r\n\x1a\n", None),
        (b"%PDX-1.7", None),
        (b"", None),
    ],
)
def test_documents_are_recognised_by_their_first_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_document(head) == expected


def test_pictures_and_single_page_tiffs_are_not_documents() -> None:
    assert open_document(picture_file(quadrants(), "PNG"), **LIMITS) is None
    assert open_document(tiff_of([quadrants()]), **LIMITS) is None
    assert open_document(b"just some text", **LIMITS) is None


# --- PDF ---------------------------------------------------------------------------------


def test_a_pdf_page_renders_at_200_dpi_by_default_and_at_a_given_width() -> None:
    with opened(pdf_of([quadrants(400, 300)])) as document:
        assert document.format == "pdf" and document.page_count == 1
        assert document.page_sizes == ((144.0, 108.0),)
        reference = document.render(1)
        assert (reference.width, reference.height) == (400, 300)
        assert round(144 / 72 * REFERENCE_DPI) == 400
        assert reference.image.mode == "RGB" and reference.format == "pdf"
        for xy, colour in (((50, 50), RED), ((350, 50), GREEN), ((50, 250), BLUE)):
            assert close_colour(colour_at(reference.image, xy), colour), xy
        half = document.render(1, (200, 150))
        assert (half.width, half.height) == (200, 150)
        assert close_colour(colour_at(half.image, (175, 125)), YELLOW)


def test_every_page_keeps_its_own_size_and_order() -> None:
    pages = [quadrants(400, 300), blocks_picture((300, 400), [((0, 0, 300, 400), GREEN)])]
    with opened(pdf_of(pages)) as document:
        assert document.page_count == 2
        assert document.page_sizes == ((144.0, 108.0), (108.0, 144.0))
        assert document.render_size(2) == (300, 400)
        assert document.render_size(2, 150) == (150, 200)
        second = document.render(2)
        assert close_colour(colour_at(second.image, (150, 200)), GREEN)


def test_more_pages_than_the_limit_are_refused_before_any_is_read() -> None:
    with quickly(), pytest.raises(TooManyPages, match="60 pages, more than the limit of 50"):
        open_document(blank_pdf(60), **LIMITS)
    with opened(blank_pdf(50)) as document:
        assert document.page_count == 50


def test_a_huge_media_box_is_refused_before_rendering() -> None:
    with opened(blank_pdf(1, box=b"0 0 14400 14400")) as document:
        with quickly(), pytest.raises(PageTooLarge, match="Page 1") as refusal:
            document.page_pixels()
        assert isinstance(refusal.value, PictureTooLarge)
        assert (refusal.value.width, refusal.value.height) == (40000, 40000)
        with pytest.raises(PageTooLarge):
            document.render(1)
        assert document.render(1, (100, 100)).height == 100  # small enough at that width


def test_a_page_far_taller_than_wide_is_refused_at_the_reference_width() -> None:
    with (
        opened(blank_pdf(1, box=b"0 0 10 1000000")) as document,
        pytest.raises(PageTooLarge, match="more than twice"),
    ):
        document.page_pixels([(1700, 2200)])


def test_a_page_of_another_shape_renders_at_most_twice_its_reference_pages_pixels() -> None:
    # 1 x 99.9 inches: at the reference's 1000 pixels, 1000 x 99,889 (under 100 MP)
    with opened(blank_pdf(1, box=b"0 0 72 7192"), max_pixels=100_000_000) as document:
        with pytest.raises(PageTooLarge) as refusal:
            document.render(1, (1000, 800))
        assert (refusal.value.width, refusal.value.height, refusal.value.limit) == (
            1000,
            99889,
            1_600_000,
        )
        assert refusal.value.reference == (1000, 800)
        assert "twice that page's 1000 x 800 pixels (1,600,000 pixels)" in str(refusal.value)
        assert document.render_size(1) == (200, 19978)  # as a reference itself: at 200 dpi
    # a page up to twice as tall for its width as the reference still renders
    with opened(blank_pdf(2, box=b"0 0 72 144")) as document:
        assert document.page_pixels([(100, 100), (100, 100)]) == 2 * 100 * 200
        assert document.render(2, (100, 100)).height == 200


def test_tiff_pages_keep_their_own_size_whatever_the_reference() -> None:
    data = tiff_of([Image.new("L", (10, 400)), Image.new("L", (10, 400))])
    with opened(data) as document:
        assert document.page_pixels([(10, 10), (10, 10)]) == 2 * 10 * 400


def test_page_pixels_names_the_page_over_the_limit() -> None:
    pdf = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            PAGE_OBJECT,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 200000] >>",
        ]
    )
    with opened(pdf, max_pixels=10_000_000) as document:
        with pytest.raises(PageTooLarge, match="Page 2"):
            document.page_pixels([(1700, 2200), (1700, 2200)])
        assert document.render(1, (1700, 2200)).height == 2200


@pytest.mark.parametrize(
    "pages",
    [
        pytest.param(b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", id="kid-is-its-parent"),
        pytest.param(b"<< /Type /Pages /Kids [4 0 R] /Count 5 >>", id="two-nodes-in-a-ring"),
    ],
)
def test_a_page_tree_that_loops_is_refused_not_followed(pages: bytes) -> None:
    pdf = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            pages,
            PAGE_OBJECT,
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 5 >>",
        ]
    )
    with quickly(), pytest.raises(UndecodableDocument, match="page tree"):
        open_document(pdf, **LIMITS)


def test_an_encrypted_pdf_is_refused_as_encrypted() -> None:
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (
        b"11" * 32,
        b"22" * 32,
    )
    pdf = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE_OBJECT,
            encrypt,
        ],
        trailer=b"/Encrypt 4 0 R /ID [<00112233445566778899aabbccddeeff> "
        b"<00112233445566778899aabbccddeeff>] ",
    )
    with pytest.raises(EncryptedDocument, match="encrypted") as refusal:
        open_document(pdf, **LIMITS)
    assert isinstance(refusal.value, DecodeFailed)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_a_truncated_pdf_is_refused_as_damaged(keep: float) -> None:
    whole = blank_pdf(3)
    with quickly(), pytest.raises(UndecodableDocument, match="PDF document cannot be read"):
        open_document(whole[: int(len(whole) * keep)], **LIMITS)


def test_a_pdf_without_pages_is_refused() -> None:
    with pytest.raises(UndecodableDocument, match="no pages"):
        open_document(blank_pdf(0), **LIMITS)


def test_garbage_after_a_pdf_header_is_refused_as_damaged() -> None:
    with pytest.raises(UndecodableDocument, match="damaged"):
        open_document(b"%PDF-1.4\n" + bytes(range(256)) * 8, **LIMITS)


def _object_stream_with(body: bytes) -> bytes:
    packed = zlib.compress(b"5 0 " + body)
    header = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>" % len(packed)
    return header + b"\nstream\n" + packed + b"\nendstream"


@pytest.mark.parametrize(
    ("catalog", "extra"),
    [
        pytest.param(b"/OpenAction 4 0 R", b"<< /S /JavaScript /JS (alert) >>", id="open"),
        pytest.param(
            b"/Names << /JavaScript 4 0 R >>",
            b"<< /Names [(a) << /S /JavaScript /JS (app.alert\\(1\\);) >>] >>",
            id="names-tree",
        ),
        pytest.param(b"/OpenAction 4 0 R", b"<< /S /Java#53cript /J#53 (x) >>", id="escaped"),
        pytest.param(b"", _object_stream_with(b"<< /S /JavaScript /JS (x) >>"), id="compressed"),
    ],
)
def test_a_pdf_with_javascript_is_refused(catalog: bytes, extra: bytes) -> None:
    pdf = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE_OBJECT,
            extra,
        ]
    )
    with pytest.raises(UnsupportedFormat, match="JavaScript"):
        open_document(pdf, **LIMITS)


def test_pdfium_is_safe_to_use_from_many_threads() -> None:
    data = pdf_of([quadrants(200, 150), quadrants(200, 150)])
    failures: list[BaseException] = []
    colours: list[tuple[int, ...]] = []

    def work() -> None:
        try:
            for _ in range(5):
                with opened(data) as document:
                    for number in (1, 2):
                        colours.append(
                            colour_at(document.render(number, (100, 75)).image, (80, 60))
                        )
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(colours) == 60 and all(close_colour(c, YELLOW) for c in colours)


# --- multi-page TIFF ---------------------------------------------------------------------


def test_every_tiff_page_is_decoded_with_the_picture_rules() -> None:
    palette = quadrants(40, 30).quantize(colors=4)
    grey16 = Image.new("I;16", (20, 10), 65535)
    with opened(tiff_of([quadrants(40, 30), palette, grey16])) as document:
        assert document.format == "tiff" and document.page_count == 3
        assert document.page_sizes == ((40.0, 30.0), (40.0, 30.0), (20.0, 10.0))
        first, second, third = (document.render(n) for n in (1, 2, 3))
        assert first.image.mode == second.image.mode == "RGB"
        assert colour_at(second.image, (35, 25)) == YELLOW
        assert third.image.mode == "L" and colour_at(third.image, (0, 0)) == (255,)
        # pages rendered earlier are not changed by reading the next ones
        assert colour_at(first.image, (5, 5)) == RED
        assert document.render(1, (999, 999)).width == 40  # raster pages keep their pixels


def test_tiff_pages_are_turned_upright() -> None:
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[0x0112] = 6
    assert exif_with_orientation(6)[0x0112] == info[0x0112]
    with opened(tiff_of([quadrants(40, 30), quadrants(20, 10)], tiffinfo=info)) as document:
        pages = [document.render(n) for n in (1, 2)]
    assert [(p.width, p.height, p.orientation) for p in pages] == [(30, 40, 6), (10, 20, 6)]


def test_a_tiff_of_too_many_pages_is_refused_while_counting() -> None:
    pages = [Image.new("L", (4, 4), n) for n in range(12)]
    with pytest.raises(TooManyPages, match="at least 11 pages, more than the limit of 10"):
        open_document(tiff_of(pages), max_pages=10, max_pixels=1000)


def test_a_tiff_page_over_the_pixel_limit_is_refused_before_decoding() -> None:
    data = tiff_of([Image.new("L", (10, 10)), Image.new("L", (100, 100))])
    with opened(data, max_pixels=5000) as document:
        with pytest.raises(PageTooLarge, match="Page 2"):
            document.page_pixels()
        assert document.render(1).width == 10


def test_a_damaged_tiff_page_is_refused_as_undecodable() -> None:
    data = tiff_of([Image.new("L", (64, 64), 10), Image.new("L", (64, 64), 20)])
    with opened(data[: len(data) - 3000]) as document, pytest.raises(DecodeFailed):
        document.render(2)
