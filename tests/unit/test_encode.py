"""Encoding crops: PNG stays pixel-exact, JPEG and WebP are close, files are well formed."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image, ImageCms

from api.imaging import encode as encode_module
from api.imaging.encode import (
    EXTENSIONS,
    MEDIA_TYPES,
    OUTPUT_FORMATS,
    OutputFormat,
    encode_image,
)
from tests.helpers import (
    GREEN,
    RED,
    assert_image_equal,
    assert_image_similar,
    blocks_picture,
    colour_at,
    unique_picture,
)

MODES = ["RGB", "RGBA", "L", "LA"]
PILLOW_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def smooth_picture(width: int, height: int, mode: str) -> Image.Image:
    """Blocks of flat colour: what lossy codecs keep close (unlike random noise)."""
    blocks = [((0, 0, width // 2, height), RED), ((width // 2, 0, width, height), GREEN)]
    return blocks_picture((width, height), blocks, mode=mode)


def test_every_format_has_an_extension_and_a_media_type() -> None:
    assert set(EXTENSIONS) == set(MEDIA_TYPES) == set(OUTPUT_FORMATS) == {"png", "jpeg", "webp"}
    assert EXTENSIONS["jpeg"] == "jpg"
    assert all(MEDIA_TYPES[fmt] == f"image/{fmt}" for fmt in OUTPUT_FORMATS)


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_every_format_writes_every_mode(fmt: OutputFormat, mode: str) -> None:
    data = encode_image(smooth_picture(40, 30, mode), fmt, 90)

    image = reopen(data)
    assert image.format == PILLOW_NAMES[fmt]
    assert image.size == (40, 30)
    Image.open(io.BytesIO(data)).verify()  # chunk CRCs and structure


# --- PNG: lossless ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", [(1, 1), (1, 7), (7, 1), (3, 5), (255, 3), (256, 256), (1001, 13)])
def test_png_is_pixel_exact(mode: str, size: tuple[int, int]) -> None:
    source = unique_picture(*size, mode, seed=size[0] * 31 + size[1])

    assert_image_equal(reopen(encode_image(source, "png")), source)


def test_png_of_a_real_sized_crop_is_pixel_exact() -> None:
    source = unique_picture(1500, 1100, "RGB")

    assert_image_equal(reopen(encode_image(source, "png")), source)


def test_png_ignores_quality() -> None:
    source = unique_picture(30, 20)

    assert encode_image(source, "png", 1) == encode_image(source, "png", 100)


def test_png_keeps_the_icc_profile() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for mode in MODES:
        source = unique_picture(12, 8, mode)
        source.info["icc_profile"] = profile

        data = encode_image(source, "png")
        Image.open(io.BytesIO(data)).verify()
        image = reopen(data)
        assert image.info.get("icc_profile") == profile, mode
        assert_image_equal(image, source)


def test_png_of_a_palette_picture_keeps_its_colours_and_transparency() -> None:
    source = blocks_picture((20, 10), [((0, 0, 10, 10), RED)]).quantize(4)
    source.info["transparency"] = source.getpixel((15, 5))

    image = reopen(encode_image(source, "png"))
    assert image.mode == "RGBA"
    assert colour_at(image, (5, 5)) == (*RED, 255)
    assert colour_at(image, (15, 5))[3] == 0


def test_png_is_much_smaller_than_raw_for_flat_pictures() -> None:
    source = Image.new("RGB", (1000, 1000), (250, 250, 250))

    assert len(encode_image(source, "png")) < 1000 * 1000 * 3 / 50


# --- JPEG --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_jpeg_is_close_to_the_source(mode: str) -> None:
    source = smooth_picture(64, 48, mode)

    image = reopen(encode_image(source, "jpeg", 90))
    assert_image_similar(image, source, max_mean_error=3)


def test_jpeg_lays_transparency_over_white() -> None:
    source = Image.new("RGBA", (32, 16), (*RED, 255))
    source.paste((0, 0, 0, 0), (16, 0, 32, 16))

    image = reopen(encode_image(source, "jpeg", 95))
    assert image.mode == "RGB"
    assert all(abs(c - 255) <= 3 for c in colour_at(image, (24, 8)))
    assert all(abs(c - e) <= 8 for c, e in zip(colour_at(image, (6, 8)), RED, strict=True))


def test_jpeg_blends_half_transparency_with_white() -> None:
    source = Image.new("LA", (16, 16), (0, 128))

    image = reopen(encode_image(source, "jpeg", 95))
    assert image.mode == "L"
    assert abs(colour_at(image, (8, 8))[0] - 127) <= 3


def test_jpeg_quality_trades_size() -> None:
    source = unique_picture(200, 200)

    assert len(encode_image(source, "jpeg", 30)) < len(encode_image(source, "jpeg", 95))


def test_jpeg_keeps_full_colour_resolution_at_high_quality() -> None:
    # 1-pixel red/green stripes blur into brown when colour is halved (4:2:0).
    source = Image.new("RGB", (64, 64), RED)
    for x in range(0, 64, 2):
        source.paste(GREEN, (x, 0, x + 1, 64))

    sharp = reopen(encode_image(source, "jpeg", 95))
    halved = reopen(encode_image(source, "jpeg", 80))
    assert colour_at(sharp, (10, 10))[1] > 150
    assert colour_at(halved, (10, 10))[1] < 150


def test_jpeg_keeps_the_icc_profile() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = smooth_picture(20, 10, "RGB")
    source.info["icc_profile"] = profile

    assert reopen(encode_image(source, "jpeg", 90)).info.get("icc_profile") == profile


def test_jpeg_carries_no_exif() -> None:
    source = smooth_picture(20, 10, "RGB")
    source.info["exif"] = Image.Exif().tobytes()

    assert "exif" not in reopen(encode_image(source, "jpeg", 90)).info


# --- WebP --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_webp_is_close_to_the_source(mode: str) -> None:
    source = smooth_picture(64, 48, mode)

    image = reopen(encode_image(source, "webp", 90))
    # libwebp leaves out an alpha channel that is opaque everywhere.
    assert_image_similar(image.convert(mode), source, max_mean_error=3)


def test_webp_keeps_transparency() -> None:
    source = Image.new("RGBA", (32, 16), (*RED, 255))
    source.paste((0, 0, 0, 0), (16, 0, 32, 16))

    image = reopen(encode_image(source, "webp", 90))
    assert colour_at(image, (24, 8))[3] == 0
    assert colour_at(image, (6, 8))[3] == 255


def test_webp_of_grey_is_grey() -> None:
    source = Image.new("L", (16, 16), 77)

    image = reopen(encode_image(source, "webp", 90))
    assert all(abs(c - 77) <= 3 for c in colour_at(image, (8, 8))[:3])


# --- arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize("quality", [0, 101, -5])
def test_quality_outside_1_to_100_is_refused(quality: int) -> None:
    with pytest.raises(ValueError, match="quality"):
        encode_image(unique_picture(4, 4), "jpeg", quality)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown output format"):
        encode_image(unique_picture(4, 4), "gif", 90)  # type: ignore[arg-type]


def test_png_chunks_are_well_formed() -> None:
    source = unique_picture(50, 40, "RGBA")
    source.info["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    kinds = png_chunk_kinds(encode_image(source, "png"))
    assert kinds == [b"IHDR", b"iCCP", b"IDAT", b"IEND"]


def png_chunk_kinds(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order, checking every chunk's CRC."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    offset, kinds = 8, []
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        crc = int.from_bytes(data[offset + 8 + length : offset + 12 + length], "big")
        assert zlib.crc32(kind + body) == crc, kind
        kinds.append(kind)
        offset += 12 + length
    return kinds


def test_big_png_data_is_split_over_several_idat_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encode_module, "_PNG_IDAT_SIZE", 1000)
    source = unique_picture(64, 64, "RGBA")

    data = encode_image(source, "png")
    kinds = png_chunk_kinds(data)
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert kinds.count(b"IDAT") > 10
    assert_image_equal(reopen(data), source)


@pytest.mark.parametrize("mode", ["L", "LA"])
def test_grey_png_stays_grey_and_compact(mode: str) -> None:
    source = blocks_picture((600, 400), [((100, 100, 300, 200), RED)], mode=mode)

    data = encode_image(source, "png")
    assert reopen(data).mode == mode
    assert len(data) < 600 * 400 / 50
