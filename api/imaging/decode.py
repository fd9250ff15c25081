"""Decode an uploaded picture safely: known formats only, a pixel limit, EXIF orientation.

How a picture is opened, and why not with a bare ``Image.open``:

1. The first bytes are matched against the signatures of the accepted formats. Anything
   else is :class:`UnsupportedFormat`; a file that starts like an accepted format but
   cannot be read is :class:`DecodeFailed`.
2. The format's own Pillow plugin class reads the header only. ``Image.open`` would do the
   same, then run Pillow's process-wide ``MAX_IMAGE_PIXELS`` check before ours; calling
   the plugin class directly makes ``max_pixels`` the limit that decides, with the real
   width and height in the error, whatever that global holds. (WebP's plugin sets up its
   decoder while reading the header, so its canvas size is read from the first bytes and
   checked even earlier.)
3. ``width * height`` is checked against ``max_pixels`` before any pixel is decoded: a
   small file that declares a gigapixel is refused without allocating its pixels.
4. The pixels are decoded in full. Truncated data is an error, never a grey fill:
   ``ImageFile.LOAD_TRUNCATED_IMAGES`` is left alone. A baseline or progressive JPEG in
   colour or grey is decoded by libjpeg-turbo through ``simplejpeg`` (faster than
   through Pillow, the GIL released, the same decoder settings: accurate DCT, smooth
   chroma upsampling), and an 8-bit PNG without palette or transparent colour by libpng
   through ``imagecodecs`` (a third faster than Pillow's), both straight into an array,
   with Pillow still reading the header, ICC profile and EXIF; every other picture goes
   through Pillow.
5. The mode is reduced to one every encoder takes (RGB, RGBA, L, LA) and the EXIF
   orientation is applied, so the picture's size is the upright size zones are drawn
   in. An array from the fast decoders is kept as stored and turned upright only where
   it is read (see :mod:`api.imaging.pixels`).

Pillow's own decompression-bomb checks still exist as a second line of defence inside
some plugins; if one of them fires it is reported as :class:`PictureTooLarge`. Its
advisory ``DecompressionBombWarning`` is ignored, since the limit that counts is ours.
"""

from __future__ import annotations

import io
import os
import re
import struct
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, BinaryIO, Final

import numpy as np
import pillow_heif
import simplejpeg
from PIL import (
    BmpImagePlugin,
    ExifTags,
    GifImagePlugin,
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from api.imaging.errors import DecodeFailed, PictureTooLarge, UnsupportedFormat
from api.imaging.geometry import Box
from api.imaging.pixels import ORIENTATION_TRANSPOSE, Pixels

pillow_heif.register_heif_opener()
# The limit that counts is ``max_pixels``, checked from the header; Pillow's advisory
# warning about its own global limit would only be noise (see the module docstring).
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

SUPPORTED_FORMATS: Final[tuple[str, ...]] = ("jpeg", "png", "webp", "tiff", "bmp", "gif", "heif")
"""Accepted input formats, as they appear in :attr:`Picture.format`."""

SOURCE_MEDIA_TYPES: Final[dict[str, str]] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "gif": "image/gif",
    "heif": "image/heif",
}
"""Media type of each accepted input format (to serve a stored original)."""

ENCODER_MODES: Final[frozenset[str]] = frozenset({"RGB", "RGBA", "L", "LA"})
"""Modes a decoded picture is reduced to."""

_PLUGINS: Final[dict[str, Callable[[BinaryIO], ImageFile.ImageFile]]] = {
    "jpeg": JpegImagePlugin.JpegImageFile,
    "png": PngImagePlugin.PngImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
    "tiff": TiffImagePlugin.TiffImageFile,
    "bmp": BmpImagePlugin.BmpImageFile,
    "gif": GifImagePlugin.GifImageFile,
    "heif": pillow_heif.HeifImageFile,
}

# Errors Pillow and its plugins raise for data they cannot read.
_DECODE_ERRORS: Final = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    RuntimeError,
    struct.error,
    zlib.error,
)

_BMP_HEADER_SIZES: Final = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
# Formats people often upload by mistake, named in the refusal so they know what to fix.
_KNOWN_OTHERS: Final[tuple[tuple[bytes, int, str], ...]] = (
    (b"%PDF", 0, "a PDF document"),
    (b"<svg", 0, "an SVG drawing"),
    (b"<?xml", 0, "an XML document"),
    (b"avif", 8, "an AVIF picture"),
    (b"8BPS", 0, "a Photoshop document"),
    (b"\x00\x00\x00\x0cJXL ", 0, "a JPEG XL picture"),
    (b"\xff\x0a", 0, "a JPEG XL picture"),
    (b"\x00\x00\x00\x0cjP  ", 0, "a JPEG 2000 picture"),
    (b"PK\x03\x04", 0, "a ZIP archive"),
)
_HEAD_BYTES: Final = 32


PictureInput = bytes | BinaryIO | os.PathLike[str]


@dataclass(frozen=True, eq=False)
class Picture:
    """A decoded, upright picture.

    ``width`` and ``height`` are its upright size, the size zones are drawn in.
    ``format`` is the source format (one of :data:`SUPPORTED_FORMATS`) and
    ``orientation`` the EXIF orientation found in the source (1 when there was none).
    Its pixels (``pixels``) are in mode RGB, RGBA, L or LA; :meth:`region` reads a box of
    them upright, and :attr:`image` is the whole picture as an upright Pillow image.
    """

    format: str
    width: int
    height: int
    orientation: int
    pixels: Pixels = field(repr=False)

    @classmethod
    def of_image(cls, image: Image.Image, fmt: str, orientation: int = 1) -> Picture:
        """A picture whose pixels are the upright, loaded ``image``."""
        return cls(fmt, image.width, image.height, orientation, Pixels(image))

    @property
    def size(self) -> tuple[int, int]:
        """Upright width and height."""
        return (self.width, self.height)

    @property
    def image(self) -> Image.Image:
        """The whole picture, upright, as a Pillow image (made on first use)."""
        return self.pixels.image()

    @property
    def mode(self) -> str:
        """The pixels' mode: RGB, RGBA, L or LA."""
        return self.pixels.mode

    @property
    def icc_profile(self) -> bytes | None:
        """The colour profile the source carries, if any."""
        profile = self.pixels.info.get("icc_profile")
        return profile if isinstance(profile, bytes) and profile else None

    def region(self, box: Box) -> np.ndarray:
        """The upright pixels of ``box`` (picture pixels, inside the picture) as an array:
        (rows, columns) for L, else (rows, columns, channels)."""
        return self.pixels.region(box)


def decode_picture(
    source: PictureInput, *, max_pixels: int, draft_size: tuple[int, int] | None = None
) -> Picture:
    """Decode ``source`` into an upright :class:`Picture` of at most ``max_pixels`` pixels.

    ``source`` is the file's bytes, a binary file object or a path. Raises
    :class:`UnsupportedFormat` when it is not one of :data:`SUPPORTED_FORMATS`,
    :class:`PictureTooLarge` when its header declares more than ``max_pixels`` pixels
    (before anything is decoded) and :class:`DecodeFailed` when its data is
    truncated or corrupt. GIF and multi-page TIFF give their first frame.

    With ``draft_size`` (upright width, height) a JPEG may be decoded smaller, scaled down
    in the DCT domain (much faster), never below that size in either direction; other
    formats are decoded in full. The picture's size tells which it got.
    """
    with _opened(source) as fp:
        fmt, image = _open_header(fp, max_pixels)
        return decode_frame(image, fmt, max_pixels=max_pixels, draft_size=draft_size)


def decode_frame(
    image: ImageFile.ImageFile,
    fmt: str,
    *,
    max_pixels: int,
    detach: bool = False,
    draft_size: tuple[int, int] | None = None,
) -> Picture:
    """Decode the current frame of an opened picture into an upright :class:`Picture`.

    ``image`` is an opened, not yet loaded, picture of format ``fmt`` (one of
    :data:`SUPPORTED_FORMATS`), positioned on the frame wanted (a page of a multi-page
    TIFF, say). Its size is checked against ``max_pixels`` before any pixel is decoded;
    the mode and orientation are then made right exactly as :func:`decode_picture` does.
    With ``detach`` the picture shares no pixels with ``image``, which may then be moved
    to another frame.
    """
    _check_pixels(image.size, max_pixels)
    declared = _declared_orientation(image, fmt)
    stored = _turbo_decoded(image, fmt, declared, draft_size)
    if stored is None:
        stored = _png_decoded(image, fmt)
    if stored is not None:
        pixels = Pixels(stored, orientation=declared, info=image.info)
        _check_pixels(pixels.size, max_pixels)
        return Picture(fmt, pixels.size[0], pixels.size[1], declared, pixels)
    if fmt == "jpeg" and draft_size is not None:
        image.draft(image.mode, _stored_size(draft_size, declared))
    try:
        image.load()
    except Image.DecompressionBombError as error:
        raise _pillow_refused(error, max_pixels, image.size) from error
    except _DECODE_ERRORS as error:
        raise DecodeFailed(fmt, _reason(error)) from error
    _check_pixels(image.size, max_pixels)
    # What is left to apply: recent Pillow versions turn TIFF upright while loading and
    # then drop the tag (and pillow-heif resets it, see _declared_orientation).
    pending = _orientation_tag(image)
    try:
        normalised = normalise_mode(image)
    except ValueError as error:
        message = f"The picture's colour mode ({image.mode}) is not supported."
        raise UnsupportedFormat(message) from error
    upright = _upright(normalised, pending)
    if detach and upright is image:
        upright = image.copy()
    return Picture.of_image(upright, fmt, declared if declared != 1 else pending)


def _turbo_decoded(
    image: ImageFile.ImageFile,
    fmt: str,
    orientation: int,
    draft_size: tuple[int, int] | None,
) -> np.ndarray | None:
    """A colour or grey JPEG decoded by libjpeg-turbo (``simplejpeg``) into an array, as
    stored (the orientation not yet applied); None for any other picture."""
    if fmt != "jpeg" or image.mode not in ("RGB", "L") or image.fp is None:
        return None
    data = _file_bytes(image.fp)
    minimum = {}
    if draft_size is not None:
        width, height = _stored_size(draft_size, orientation)
        minimum = {"min_width": max(1, width), "min_height": max(1, height), "min_factor": 1}
    try:
        pixels = simplejpeg.decode_jpeg(
            data,
            colorspace="RGB" if image.mode == "RGB" else "GRAY",
            fastdct=False,
            fastupsample=False,
            strict=True,
            **minimum,
        )
    except ValueError as error:
        raise DecodeFailed(fmt, _reason(error)) from error
    decoded: np.ndarray = pixels[:, :, 0] if image.mode == "L" else pixels
    return decoded


def _png_decoded(image: ImageFile.ImageFile, fmt: str) -> np.ndarray | None:
    """An 8-bit grey, grey + alpha, colour or colour + alpha PNG decoded by libpng
    (``imagecodecs``: a third faster than Pillow, straight into an array); None for any
    other picture, which Pillow decodes: other depths, palettes, a transparent colour
    (tRNS), or an EXIF block after the pixels (only Pillow's full read sees it)."""
    if fmt != "png" or image.mode not in ENCODER_MODES or image.fp is None:
        return None
    if "transparency" in image.info:
        return None
    data = _file_bytes(image.fp)
    if not _plain_png(data):
        return None
    import imagecodecs

    try:
        pixels: np.ndarray = imagecodecs.png_decode(data)
    except (imagecodecs.PngError, ValueError, RuntimeError) as error:
        raise DecodeFailed(fmt, _reason(error)) from error
    if pixels.dtype != np.uint8:
        return None
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    return pixels


def _plain_png(data: bytes) -> bool:
    """Whether a PNG holds 8-bit samples without a palette or a transparent colour, and
    no EXIF block after its pixels (walking the chunk headers only)."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        return False
    depth, colour_type = data[24], data[25]
    if depth != 8 or colour_type not in (0, 2, 4, 6):
        return False
    offset, seen_pixels = 8, False
    while offset + 8 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            seen_pixels = True
        elif kind == b"tRNS" or (kind == b"eXIf" and seen_pixels):
            return False
        elif kind == b"IEND":
            break
        offset += 12 + length
    return True


def _stored_size(upright: tuple[int, int], orientation: int) -> tuple[int, int]:
    """The stored size of a picture ``upright`` once turned by ``orientation``."""
    return (upright[1], upright[0]) if orientation >= 5 else upright


def _file_bytes(fp: IO[bytes]) -> bytes:
    """Everything in the file ``fp``, from its start."""
    if isinstance(fp, io.BytesIO):
        return fp.getvalue()
    fp.seek(0)
    return fp.read()


def probe_picture(source: PictureInput, *, max_pixels: int | None = None) -> tuple[str, int, int]:
    """Read ``(format, width, height)`` from the header, without decoding any pixel.

    The size is the upright one, after EXIF orientation, as :func:`decode_picture` would
    give it. Raises like :func:`decode_picture` for unsupported files and, when
    ``max_pixels`` is given, for pictures over the limit. A PNG whose EXIF block comes
    after its pixel data reports its stored size: reading that block means reading the
    whole file.
    """
    with _opened(source) as fp:
        fmt, image = _open_header(fp, max_pixels)
        width, height = _upright_size(image, _declared_orientation(image, fmt))
    return fmt, width, height


def normalise_mode(image: Image.Image) -> Image.Image:
    """Return ``image`` in the closest of the modes RGB, RGBA, L and LA.

    Palette and colour-keyed pictures keep their transparency (as RGBA or LA), CMYK and
    other colour spaces become RGB (the CMYK profile, now wrong, is dropped), 1-bit
    becomes L, and 16-bit or 32-bit grey is scaled to 8 bits (``round(v / 257)`` for
    16-bit data, floats in 0..1 are stretched to 0..255). Already fitting images are
    returned as they are.
    """
    mode = image.mode
    transparency = "transparency" in image.info
    if mode in ENCODER_MODES:
        if transparency and mode in ("RGB", "L"):
            return image.convert(mode + "A")
        return image
    if mode in ("P", "PA"):
        return image.convert("RGBA" if mode == "PA" or transparency else "RGB")
    if mode == "1":
        return image.convert("L")
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    if mode.startswith(("I", "F")):
        return _grey_to_8_bits(image)
    converted = image.convert("RGBA" if "A" in mode else "RGB")
    if mode == "CMYK":
        converted.info.pop("icc_profile", None)
    return converted


@contextmanager
def _opened(source: PictureInput) -> Iterator[BinaryIO]:
    """Give a seekable binary file, positioned at the start, for any accepted source."""
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(source)
    elif isinstance(source, os.PathLike):
        with open(source, "rb") as fp:
            yield fp
    elif source.seekable():
        source.seek(0)
        yield source
    else:
        yield io.BytesIO(source.read())


def _open_header(fp: BinaryIO, max_pixels: int | None) -> tuple[str, ImageFile.ImageFile]:
    """Identify the format, read the header and enforce the pixel limit."""
    head = fp.read(_HEAD_BYTES)
    fp.seek(0)
    fmt = _sniff(head)
    if fmt is None:
        raise UnsupportedFormat(_unsupported_message(head))
    if fmt == "webp" and max_pixels is not None:
        canvas = _webp_canvas_size(head)
        if canvas is not None:
            _check_pixels(canvas, max_pixels)
    try:
        image = _PLUGINS[fmt](fp)
    except Image.DecompressionBombError as error:
        raise _pillow_refused(error, max_pixels, None) from error
    except _DECODE_ERRORS as error:
        raise DecodeFailed(fmt, _reason(error)) from error
    if image.width < 1 or image.height < 1:
        raise DecodeFailed(fmt, "it declares no pixels")
    if max_pixels is not None:
        _check_pixels(image.size, max_pixels)
    return fmt, image


def _sniff(head: bytes) -> str | None:
    """Name the accepted format whose signature ``head`` starts with, if any."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:2] == b"BM" and len(head) >= 18 and _u32le(head, 14) in _BMP_HEADER_SIZES:
        return "bmp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heif"
    return None


def _unsupported_message(head: bytes) -> str | None:
    """A refusal that names what the file seems to be, when that is recognisable."""
    stripped = head.lstrip()
    for magic, offset, kind in _KNOWN_OTHERS:
        sample = stripped if offset == 0 else head
        if sample[offset : offset + len(magic)] == magic:
            return (
                f"The file looks like {kind}, not a picture in a supported format "
                "(JPEG, PNG, WebP, TIFF, BMP, GIF or HEIC/HEIF)."
            )
    return None


def _webp_canvas_size(head: bytes) -> tuple[int, int] | None:
    """The canvas size a WebP file declares in its first 30 bytes (None if unreadable)."""
    if len(head) < 30:
        return None
    chunk = head[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
    if chunk == b"VP8L" and head[20] == 0x2F:
        bits = _u32le(head, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        return _u16le(head, 26) & 0x3FFF, _u16le(head, 28) & 0x3FFF
    return None


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise PictureTooLarge(width, height, max_pixels)


def _pillow_refused(
    error: Image.DecompressionBombError, max_pixels: int | None, size: tuple[int, int] | None
) -> PictureTooLarge:
    """Report Pillow's own decompression-bomb refusal as :class:`PictureTooLarge`."""
    numbers = [int(n) for n in re.findall(r"\d+", str(error))]
    pillow_limit = numbers[1] if len(numbers) >= 2 else None
    limits = [n for n in (max_pixels, pillow_limit) if n is not None]
    limit = min(limits) if limits else 0
    if size is not None:
        return PictureTooLarge(size[0], size[1], limit)
    return PictureTooLarge(None, None, limit, pixels=numbers[0] if numbers else None)


def _declared_orientation(image: ImageFile.ImageFile, fmt: str) -> int:
    """The EXIF orientation the file declares, read from its header (1 when none).

    HEIF is always 1: its container carries its own rotation and mirroring, which libheif
    applies while decoding, and the HEIF rules say the EXIF tag must then be ignored
    (pillow-heif resets it to 1).
    """
    if fmt == "heif":
        return 1
    if fmt == "png" and "exif" not in image.info and image.tile:
        # A PNG's EXIF block may follow the pixel data: seeing it means decoding.
        return 1
    return _orientation_tag(image)


def _orientation_tag(image: Image.Image) -> int:
    """The image's EXIF orientation (1-8); 1 when absent, invalid or unreadable."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and value in ORIENTATION_TRANSPOSE else 1


def _upright_size(image: ImageFile.ImageFile, orientation: int) -> tuple[int, int]:
    """The size ``image`` will have once upright, from its header alone.

    Recent Pillow versions report a TIFF's size upright already, so a TIFF's stored size
    is taken from its tags.
    """
    width, height = image.size
    if isinstance(image, TiffImagePlugin.TiffImageFile):
        tag_width = image.tag_v2.get(TiffImagePlugin.IMAGEWIDTH)
        tag_height = image.tag_v2.get(TiffImagePlugin.IMAGELENGTH)
        if isinstance(tag_width, int) and isinstance(tag_height, int):
            width, height = tag_width, tag_height
    return (height, width) if orientation >= 5 else (width, height)


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """Apply an EXIF orientation; the result carries no stale EXIF block."""
    method = ORIENTATION_TRANSPOSE.get(orientation)
    if method is None:
        return image
    upright = image.transpose(method)
    upright.info.pop("exif", None)
    return upright


def _grey_to_8_bits(image: Image.Image) -> Image.Image:
    """Scale 16-bit, 32-bit integer or float grey to 8-bit L."""
    values = np.asarray(image)
    if image.mode == "F":
        floats = values.astype(np.float64)
        if floats.size and float(np.nanmax(floats)) <= 1.0:
            floats = floats * 255.0
        scaled = np.nan_to_num(np.rint(floats)).clip(0, 255)
    else:
        wide = values.astype(np.int64)
        if image.mode.startswith("I;16") or (wide.size and int(wide.max()) > 255):
            scaled = (wide.clip(0, 65535) + 128) // 257
        else:
            scaled = wide.clip(0, 255)
    grey = Image.fromarray(np.ascontiguousarray(scaled, dtype=np.uint8))
    grey.info = {key: value for key, value in image.info.items() if key != "transparency"}
    return grey


def _reason(error: BaseException) -> str | None:
    text = str(error).strip()
    return text[:200] if text else None


def _u16le(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 2], "little")


def _u32le(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little")
