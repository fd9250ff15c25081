"""Picture factories and image assertions shared by the test layers.

In the manner of Pillow's own tests: synthetic pictures made with ``Image.new`` (or
numpy, when every pixel must differ), written to files on the spot, and compared with
``assert_image_equal`` / ``assert_image_similar``.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

Colour = int | tuple[int, ...]

RED = (230, 20, 30)
GREEN = (20, 200, 40)
BLUE = (30, 40, 220)
YELLOW = (240, 210, 20)
WHITE = (255, 255, 255)


def assert_image_equal(actual: Image.Image, expected: Image.Image, message: str = "") -> None:
    """Same mode, same size, same bytes: pixel for pixel identical."""
    prefix = f"{message}: " if message else ""
    assert actual.mode == expected.mode, f"{prefix}mode {actual.mode} != {expected.mode}"
    assert actual.size == expected.size, f"{prefix}size {actual.size} != {expected.size}"
    if actual.tobytes() != expected.tobytes():
        difference = np.argwhere(np.asarray(actual) != np.asarray(expected))
        y, x = (int(v) for v in difference[0][:2])
        raise AssertionError(
            f"{prefix}{len(difference)} values differ, the first at x={x}, y={y}: "
            f"{actual.getpixel((x, y))} != {expected.getpixel((x, y))}"
        )


def assert_image_similar(
    actual: Image.Image, expected: Image.Image, max_mean_error: float, message: str = ""
) -> None:
    """Same mode and size, and a mean absolute difference per value of at most the limit."""
    prefix = f"{message}: " if message else ""
    assert actual.mode == expected.mode, f"{prefix}mode {actual.mode} != {expected.mode}"
    assert actual.size == expected.size, f"{prefix}size {actual.size} != {expected.size}"
    error = mean_error(actual, expected)
    assert error <= max_mean_error, f"{prefix}mean error {error:.2f} > {max_mean_error}"


def mean_error(first: Image.Image, second: Image.Image) -> float:
    """Mean absolute difference per value between two images of the same mode and size."""
    a = np.asarray(first, dtype=np.int16)
    b = np.asarray(second, dtype=np.int16)
    return float(np.abs(a - b).mean())


def colour_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The pixel at ``xy`` as a tuple, whatever the mode."""
    value = image.getpixel(xy)
    if isinstance(value, tuple):
        return tuple(int(v) for v in value)
    assert isinstance(value, int | float)
    return (int(value),)


def close_colour(actual: Sequence[int], expected: Sequence[int], tolerance: int = 24) -> bool:
    """Whether two colours match channel by channel within ``tolerance`` (lossy codecs)."""
    return len(actual) == len(expected) and all(
        abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)
    )


def blocks_picture(
    size: tuple[int, int],
    blocks: Sequence[tuple[tuple[int, int, int, int], Colour]],
    mode: str = "RGB",
    background: Colour = WHITE,
) -> Image.Image:
    """A flat background with filled ``(left, top, right, bottom)`` blocks of known colours."""
    image = Image.new(mode, size, _fit(background, mode))
    for box, colour in blocks:
        image.paste(_fit(colour, mode), box)
    return image


def unique_picture(width: int, height: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    """A picture of random pixels in ``mode`` (L, LA, RGB or RGBA).

    A crop that is off by one pixel anywhere cannot match it by chance.
    """
    bands = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
    values = np.random.default_rng(seed).integers(0, 256, (height, width, bands), dtype=np.uint8)
    image = Image.fromarray(values[..., 0] if bands == 1 else values)
    assert image.mode == mode
    return image


def picture_file(image: Image.Image, fmt: str, **params: Any) -> bytes:
    """``image`` written as a file in Pillow format ``fmt`` (e.g. "PNG", "HEIF")."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def exif_with_orientation(orientation: int) -> Image.Exif:
    """An EXIF block holding only an Orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 32768, height: int = 32768, zeros: int = 64 << 20) -> bytes:
    """A grey PNG that declares ``width`` x ``height`` pixels in a file of a few tens of KB.

    The IDAT holds ``zeros`` bytes of zero rows compressed to about a thousandth of that:
    a real decompression bomb, only shorter than its header promises.
    """
    compressor = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [compressor.compress(chunk) for _ in range(zeros // len(chunk))]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


def pdf_of(pages: Sequence[Image.Image], size: tuple[float, float] | None = None) -> bytes:
    """A PDF whose pages each show one picture over the whole page.

    ``size`` is every page's size in points; by default a page is as many points as its
    picture has pixels at 200 dpi (a 400 x 300 picture: a 144 x 108 point page), so that
    a reference made of it renders back at the picture's own size.
    """
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for image in pages:
        width, height = size or (image.width * 72 / 200, image.height * 72 / 200)
        page = document.new_page(width, height)
        picture = pdfium.PdfImage.new(document)
        bitmap = pdfium.PdfBitmap.from_pil(image.convert("RGB"))
        picture.set_bitmap(bitmap)
        picture.set_matrix(pdfium.PdfMatrix().scale(width, height))
        page.insert_obj(picture)
        page.gen_content()
        bitmap.close()
        page.close()
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def raw_pdf(objects: Sequence[bytes], trailer: bytes = b"") -> bytes:
    """A PDF written by hand: object 1 is the catalog, ``objects`` in order, a true xref.

    For documents no library would write: loops, scripts, odd boxes, encryption.
    """
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def blank_pdf(pages: int, box: bytes = b"0 0 612 792", catalog: bytes = b"") -> bytes:
    """A PDF of ``pages`` empty pages of media box ``box``, by hand (fast for many pages)."""
    kids = b" ".join(b"%d 0 R" % (3 + index) for index in range(pages))
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog,
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            *[b"<< /Type /Page /Parent 2 0 R /MediaBox [%s] >>" % box for _ in range(pages)],
        ]
    )


def tiff_of(pages: Sequence[Image.Image], **params: Any) -> bytes:
    """A multi-page TIFF, one page per picture."""
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=list(pages[1:]), **params)
    return buffer.getvalue()


def _fit(colour: Colour, mode: str) -> Colour:
    """Reduce an RGB colour to what ``mode`` takes (grey for L, alpha added for RGBA)."""
    if isinstance(colour, int):
        return colour
    if mode in ("L", "1", "P") and len(colour) >= 3:
        return (colour[0] * 299 + colour[1] * 587 + colour[2] * 114) // 1000
    if mode == "LA" and len(colour) >= 3:
        grey = (colour[0] * 299 + colour[1] * 587 + colour[2] * 114) // 1000
        return (grey, colour[3] if len(colour) == 4 else 255)
    if mode == "RGBA" and len(colour) == 3:
        return (*colour, 255)
    return colour
