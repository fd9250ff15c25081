"""Encode crops as PNG (lossless, the default), JPEG or WebP.

PNG is where the time goes: Pillow's default writer (zlib level 6 with adaptive row
filters) spends about 30 times longer on the crops of a 12-megapixel photo than it takes
to decode the photo. So (figures and reasoning in ``bench/ENCODERS.md``):

- RGB and RGBA crops are written by fpng, a PNG writer built for speed (one fixed filter,
  a fast LZ pass and Huffman tables of its own): 30-50 times faster than Pillow's
  default, files 1.5-2 times larger, pixels exactly the same.
- L and LA crops, which fpng cannot write, go through Pillow with zlib level 1 and the
  run-length strategy: 5-8 times faster than the default, and no larger on scans.

JPEG and WebP use Pillow (libjpeg-turbo and libwebp). JPEG has no alpha channel, so
transparent pixels are laid over white. The ICC profile of the source, if any, is kept.
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

WEBP_METHOD: Final = 2
"""libwebp effort, 0 (fastest) to 6 (smallest); Pillow's default 4 is slower and no smaller."""

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_ZLIB_LEVEL: Final = 1
_PNG_ZLIB_STRATEGY: Final = zlib.Z_RLE


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
    if image.mode in ("RGB", "RGBA"):
        encoded: bytes = fpng.from_ndarray(np.asarray(image))
        if encoded:  # fpng answers b"" for what it cannot write; Pillow then does.
            icc_profile = image.info.get("icc_profile")
            return _with_icc_profile(encoded, icc_profile) if icc_profile else encoded
    return _pillow_bytes(
        image,
        "PNG",
        compress_level=_PNG_ZLIB_LEVEL,
        compress_type=_PNG_ZLIB_STRATEGY,
    )


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
    data = b"ICC Profile\x00\x00" + zlib.compress(icc_profile)
    chunk = struct.pack(">I", len(data)) + b"iCCP" + data
    chunk += struct.pack(">I", zlib.crc32(b"iCCP" + data))
    return png[:ihdr_end] + chunk + png[ihdr_end:]
