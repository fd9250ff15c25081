"""Encode crops as PNG (lossless, the default), JPEG or WebP.

PNG is where the time goes: Pillow's default writer (zlib level 6 with adaptive row
filters) spends 10-20 times longer on the crops of a picture than decoding the picture
takes. So (figures and reasoning in ``bench/ENCODERS.md``):

- RGB and RGBA crops are written by fpng, a PNG writer built for speed: 25-60 times
  faster than Pillow's default, files 1.6-2 times larger, the pixels exactly the same.
- L and LA crops, which fpng cannot write, get a small writer of our own (the "Up" row
  filter in numpy, then zlib level 1 with the run-length strategy): about 20 times
  faster than Pillow's default, and as small on scans.

JPEG and WebP use Pillow (libjpeg-turbo and libwebp). JPEG has no alpha channel, so
transparent pixels are laid over white. The ICC profile of the source, if any, is kept;
EXIF is not (the crops are upright, and GPS positions have no business in them).
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Final, Literal

import fpng
import numpy as np
from PIL import Image

from api.imaging.decode import normalise_mode

OutputFormat = Literal["png", "jpeg", "webp"]

OUTPUT_FORMATS: Final[tuple[OutputFormat, ...]] = ("png", "jpeg", "webp")

EXTENSIONS: Final[dict[OutputFormat, str]] = {"png": "png", "jpeg": "jpg", "webp": "webp"}
"""File-name extension (without the dot) for each output format."""

MEDIA_TYPES: Final[dict[OutputFormat, str]] = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}
"""Media type for each output format."""

DEFAULT_QUALITY: Final = 90

JPEG_FULL_CHROMA_QUALITY: Final = 90
"""From this JPEG quality up, colour is kept at full resolution (4:4:4), not halved (4:2:0)."""

WEBP_METHOD: Final = 0
"""libwebp effort, 0-6: 0 is 5 times faster than Pillow's default 4, for files 4-14 % larger."""

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_ZLIB_LEVEL: Final = 1
_PNG_ZLIB_STRATEGY: Final = zlib.Z_RLE
_PNG_COLOUR_TYPES: Final = {"L": 0, "RGB": 2, "LA": 4, "RGBA": 6}
_PNG_IEND: Final = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the empty IEND chunk, CRC included


def encode_image(image: Image.Image, fmt: OutputFormat, quality: int = DEFAULT_QUALITY) -> bytes:
    """Encode ``image`` as ``fmt`` and return the file's bytes.

    ``quality`` (1-100) applies to JPEG and WebP; PNG is always lossless and ignores it.
    Images in other modes than RGB, RGBA, L and LA are first converted like decoded
    pictures are (see :func:`api.imaging.decode.normalise_mode`).
    """
    if not 1 <= quality <= 100:
        message = f"quality must be between 1 and 100, not {quality}."
        raise ValueError(message)
    image = normalise_mode(image)
    if fmt == "png":
        return _encode_png(image)
    if fmt == "jpeg":
        return _encode_jpeg(image, quality)
    if fmt == "webp":
        return _encode_webp(image, quality)
    message = f"Unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}."
    raise ValueError(message)


def _encode_png(image: Image.Image) -> bytes:
    icc_profile = image.info.get("icc_profile")
    encoded = b""
    if image.mode in ("RGB", "RGBA"):
        encoded = fpng.from_ndarray(np.asarray(image))
    if not encoded:  # grey, or fpng declined (it answers b"" for what it cannot write)
        encoded = _encode_png_zlib(image)
    return _with_icc_profile(encoded, icc_profile) if icc_profile else encoded


def _encode_png_zlib(image: Image.Image) -> bytes:
    """A plain PNG writer for 8-bit L, LA, RGB or RGBA: "Up" filter, zlib level 1, Z_RLE.

    Subtracting the row above (numpy, one pass) turns flat areas and vertical edges into
    runs of zeros, which zlib's run-length strategy packs fast: on grey scans this is as
    small as Pillow's default writer and about 20 times faster. zlib runs without the GIL.
    """
    pixels = np.asarray(image)
    height, width = pixels.shape[:2]
    rows = pixels.reshape(height, -1)
    filtered = np.empty((height, rows.shape[1] + 1), dtype=np.uint8)
    filtered[:, 0] = 2  # filter type "Up" on every row
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])
    compressor = zlib.compressobj(_PNG_ZLIB_LEVEL, zlib.DEFLATED, 15, 9, _PNG_ZLIB_STRATEGY)
    idat = compressor.compress(filtered.data) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOUR_TYPES[image.mode], 0, 0, 0)
    return _PNG_SIGNATURE + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _PNG_IEND


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    if image.mode in ("RGBA", "LA"):
        image = _flatten_on_white(image)
    subsampling = 0 if quality >= JPEG_FULL_CHROMA_QUALITY else 2
    return _pillow_bytes(
        image,
        "JPEG",
        quality=quality,
        subsampling=subsampling,
        icc_profile=image.info.get("icc_profile"),
    )


def _encode_webp(image: Image.Image, quality: int) -> bytes:
    if image.mode in ("L", "LA"):
        image = image.convert("RGBA" if image.mode == "LA" else "RGB")
    return _pillow_bytes(
        image,
        "WEBP",
        quality=quality,
        method=WEBP_METHOD,
        icc_profile=image.info.get("icc_profile") or "",
    )


def _flatten_on_white(image: Image.Image) -> Image.Image:
    """Lay an RGBA or LA image over an opaque white background (RGB or L)."""
    opaque_mode = image.mode[:-1]
    background = Image.new(opaque_mode, image.size, "white")
    background.paste(image.convert(opaque_mode), mask=image.getchannel("A"))
    background.info = dict(image.info)
    return background


def _pillow_bytes(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _with_icc_profile(png: bytes, icc_profile: bytes) -> bytes:
    """Insert an ``iCCP`` chunk right after the IHDR chunk of an encoded PNG."""
    ihdr_end = len(_PNG_SIGNATURE) + 8 + 13 + 4
    if not png.startswith(_PNG_SIGNATURE) or png[12:16] != b"IHDR":
        message = "PNG writer produced no IHDR chunk first."
        raise ValueError(message)
    iccp = _png_chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc_profile))
    return png[:ihdr_end] + iccp + png[ihdr_end:]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
