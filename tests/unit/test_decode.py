"""Decoding uploads: accepted formats, limits, damaged files, EXIF orientation, modes."""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from api.imaging.decode import SUPPORTED_FORMATS, Picture, decode_picture, probe_picture
from api.imaging.errors import DecodeFailed, PictureTooLarge, UnsupportedFormat
from api.imaging.geometry import Box
from api.imaging.pixels import as_image
from tests.helpers import (
    BLUE,
    GREEN,
    RED,
    WHITE,
    YELLOW,
    assert_image_equal,
    assert_image_similar,
    blocks_picture,
    close_colour,
    colour_at,
    exif_with_orientation,
    picture_file,
    png_bomb,
    png_chunk,
    unique_picture,
)

LIMIT = 50_000_000

# Four quadrants of known colours: what any codec, lossy or not, must keep apart.
QUADRANTS = blocks_picture(
    (64, 48),
    [
        ((0, 0, 32, 24), RED),
        ((32, 0, 64, 24), GREEN),
        ((0, 24, 32, 48), BLUE),
        ((32, 24, 64, 48), YELLOW),
    ],
)

# Pillow format name and save parameters for each accepted input format.
WRITERS: dict[str, tuple[str, dict[str, object]]] = {
    "jpeg": ("JPEG", {"quality": 95}),
    "png": ("PNG", {}),
    "webp": ("WEBP", {"lossless": True}),
    "tiff": ("TIFF", {}),
    "bmp": ("BMP", {}),
    "gif": ("GIF", {}),
    "heif": ("HEIF", {"quality": 95}),
}
LOSSLESS = {"png", "webp", "tiff", "bmp", "gif"}

# pillow-heif wheels ship an HEVC encoder; a build without one can still decode.
needs_heif_encoder = pytest.mark.skipif(
    not pillow_heif.libheif_info()["HEIF"], reason="this pillow-heif has no HEIF encoder"
)
FORMATS = [pytest.param(fmt, marks=needs_heif_encoder) if fmt == "heif" else fmt for fmt in WRITERS]


def decode(data: bytes, max_pixels: int = LIMIT) -> Picture:
    return decode_picture(data, max_pixels=max_pixels)


# --- formats ------------------------------------------------------------------------


def test_every_supported_format_has_a_writer_here() -> None:
    assert set(SUPPORTED_FORMATS) == set(WRITERS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_decodes_to_the_same_picture(fmt: str) -> None:
    pillow_format, params = WRITERS[fmt]
    picture = decode(picture_file(QUADRANTS, pillow_format, **params))

    assert picture.format == fmt
    assert (picture.width, picture.height) == QUADRANTS.size == picture.image.size
    assert picture.orientation == 1
    assert picture.image.mode == "RGB"
    if fmt in LOSSLESS:
        assert_image_equal(picture.image, QUADRANTS)
    else:
        assert_image_similar(picture.image, QUADRANTS, max_mean_error=4)


def test_gif_gives_its_first_frame() -> None:
    first = blocks_picture((20, 10), [((0, 0, 10, 10), RED)])
    second = blocks_picture((20, 10), [((10, 0, 20, 10), BLUE)])
    data = picture_file(first, "GIF", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).n_frames == 2

    assert_image_equal(decode(data).image, first)


def test_multi_page_tiff_gives_its_first_page() -> None:
    first, second = unique_picture(16, 8, seed=1), unique_picture(16, 8, seed=2)
    data = picture_file(first, "TIFF", save_all=True, append_images=[second])

    assert_image_equal(decode(data).image, first)


def test_decodes_from_a_path_and_from_a_file_object(tmp_path: Path) -> None:
    data = picture_file(QUADRANTS, "PNG")
    path = tmp_path / "picture.png"
    path.write_bytes(data)

    from_path = decode_picture(path, max_pixels=LIMIT)
    stream = io.BytesIO(data)
    stream.seek(10)  # a file object is read from its start, like Image.open does
    from_stream = decode_picture(stream, max_pixels=LIMIT)

    assert_image_equal(from_path.image, QUADRANTS)
    assert_image_equal(from_stream.image, QUADRANTS)


def test_an_unseekable_stream_is_read_whole() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    pipe = io.BufferedReader(Pipe(picture_file(QUADRANTS, "PNG")))
    assert not pipe.seekable()

    assert_image_equal(decode_picture(pipe, max_pixels=LIMIT).image, QUADRANTS)


# --- not pictures, damaged pictures ----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(np.random.default_rng(7).bytes(4096), id="random bytes"),
        pytest.param(b"Name,Total\nAda,12\nGrace,30\n" * 20, id="text"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", id="pdf"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', id="svg"),
        pytest.param(b"BMW, not a bitmap: the first two letters are not enough", id="bm text"),
    ],
)
def test_what_is_not_a_picture_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        decode(data)
    assert "supported format" in str(caught.value)


def test_a_pdf_is_named_in_the_refusal() -> None:
    with pytest.raises(UnsupportedFormat, match="PDF"):
        decode(b"%PDF-1.4\n")


@pytest.mark.parametrize(
    ("pillow_format", "params"),
    [
        ("ICO", {}),
        ("TGA", {}),
        ("PPM", {}),
        ("JPEG2000", {}),
    ],
)
def test_pictures_in_other_formats_are_unsupported(
    pillow_format: str, params: dict[str, object]
) -> None:
    with pytest.raises(UnsupportedFormat):
        decode(picture_file(QUADRANTS, pillow_format, **params))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_truncated_file_is_undecodable(fmt: str) -> None:
    pillow_format, params = WRITERS[fmt]
    # Big and noisy enough that half of the file stops in the middle of the pixel data.
    data = picture_file(unique_picture(200, 150), pillow_format, **params)

    with pytest.raises(DecodeFailed) as caught:
        decode(data[: len(data) // 2])
    assert fmt.upper() in str(caught.value)
    assert "truncated or corrupt" in str(caught.value)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_cut_inside_its_header_is_undecodable(fmt: str) -> None:
    pillow_format, params = WRITERS[fmt]
    data = picture_file(QUADRANTS, pillow_format, **params)

    with pytest.raises(DecodeFailed):
        decode(data[:40])


def test_corrupt_png_data_is_undecodable() -> None:
    data = bytearray(picture_file(unique_picture(50, 50), "PNG"))
    start = data.index(b"IDAT") + 20
    data[start : start + 200] = bytes(200)

    with pytest.raises(DecodeFailed):
        decode(bytes(data))


def test_truncation_is_not_papered_over() -> None:
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    data = picture_file(unique_picture(100, 100), "JPEG")
    with pytest.raises(DecodeFailed):
        decode(data[:-200])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- pixel limits ----------------------------------------------------------------------


def test_a_picture_over_the_limit_is_refused_with_its_size() -> None:
    data = picture_file(Image.new("RGB", (300, 200)), "PNG")

    with pytest.raises(PictureTooLarge) as caught:
        decode(data, max_pixels=300 * 200 - 1)
    error = caught.value
    assert (error.width, error.height, error.limit) == (300, 200, 59_999)
    assert "300 x 200" in str(error) and "59,999" in str(error)


def test_a_picture_at_the_limit_is_accepted() -> None:
    data = picture_file(Image.new("RGB", (300, 200)), "PNG")

    assert decode(data, max_pixels=300 * 200).width == 300


def test_a_gigapixel_png_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb(32768, 32768)
    assert len(bomb) < 300_000

    with pytest.raises(PictureTooLarge) as caught:
        decode(bomb, max_pixels=LIMIT)
    assert (caught.value.width, caught.value.height) == (32768, 32768)


def test_the_limit_does_not_depend_on_pillows_global(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(PictureTooLarge) as caught:
        decode(png_bomb(32768, 32768), max_pixels=LIMIT)
    assert caught.value.limit == LIMIT

    # A stricter Pillow global neither refuses what max_pixels allows nor warns about it.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    data = picture_file(unique_picture(40, 30), "PNG")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert decode(data, max_pixels=10_000).width == 40


def test_pillows_own_bomb_error_comes_out_as_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    # A GIF frame that reaches past the screen grows the picture while its header is read;
    # with a tiny global, Pillow's own check fires inside the plugin.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)
    screen = struct.pack("<6sHHBBB", b"GIF89a", 2, 2, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, 300, 300, 0) + b"\x02\x02\x44\x01\x00;"

    with pytest.raises(PictureTooLarge) as caught:
        decode(screen + frame, max_pixels=LIMIT)
    assert (caught.value.pixels, caught.value.limit) == (300 * 300, 2 * 10)


def test_a_webp_canvas_over_the_limit_is_refused_from_its_first_bytes() -> None:
    # A VP8X header declaring a 16384 x 16384 canvas and nothing else: the libwebp
    # decoder would be set up for the whole canvas before Pillow's checks.
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4) + (16383).to_bytes(3, "little") * 2
    data = b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x

    with pytest.raises(PictureTooLarge) as caught:
        decode(data, max_pixels=LIMIT)
    assert (caught.value.width, caught.value.height) == (16384, 16384)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_limit_applies_to_every_format(fmt: str) -> None:
    pillow_format, params = WRITERS[fmt]
    data = picture_file(QUADRANTS, pillow_format, **params)

    with pytest.raises(PictureTooLarge):
        decode(data, max_pixels=64 * 48 - 1)


def test_a_picture_without_pixels_is_undecodable() -> None:
    header = struct.pack(">IIBBBBB", 0, 10, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")

    with pytest.raises(DecodeFailed):
        decode(data)


# --- EXIF orientation ------------------------------------------------------------------

# Stored picture: 60 x 40, red at the start of its first row, green at the end of it.
STORED = blocks_picture((60, 40), [((0, 0, 12, 12), RED), ((48, 0, 60, 12), GREEN)])

# Where the stored first row's start (red) and end (green) appear once upright, by the
# EXIF definition of each value ("row 0 is at the ..., column 0 is at the ...").
UPRIGHT_CORNERS = {
    1: ("top left", "top right"),
    2: ("top right", "top left"),
    3: ("bottom right", "bottom left"),
    4: ("bottom left", "bottom right"),
    5: ("top left", "bottom left"),
    6: ("top right", "bottom right"),
    7: ("bottom right", "top right"),
    8: ("bottom left", "top left"),
}


def corner(image: Image.Image, name: str) -> tuple[int, ...]:
    """The colour a few pixels in from a named corner."""
    vertical, horizontal = name.split()
    x = 4 if horizontal == "left" else image.width - 5
    y = 4 if vertical == "top" else image.height - 5
    return colour_at(image, (x, y))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff", "webp"])
def test_every_exif_orientation_is_applied(fmt: str, orientation: int) -> None:
    pillow_format, params = WRITERS[fmt]
    exif = exif_with_orientation(orientation)
    picture = decode(picture_file(STORED, pillow_format, exif=exif, **params))

    expected_size = (60, 40) if orientation <= 4 else (40, 60)
    assert (picture.width, picture.height) == expected_size == picture.image.size
    assert picture.orientation == orientation
    red_at, green_at = UPRIGHT_CORNERS[orientation]
    assert close_colour(corner(picture.image, red_at), RED), (red_at, picture.image)
    assert close_colour(corner(picture.image, green_at), GREEN), green_at
    others = {"top left", "top right", "bottom left", "bottom right"} - {red_at, green_at}
    for name in others:
        assert close_colour(corner(picture.image, name), WHITE), name


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_orientation_keeps_every_pixel(orientation: int) -> None:
    stored = unique_picture(30, 20)
    data = picture_file(stored, "PNG", exif=exif_with_orientation(orientation))
    expected = {
        1: stored,
        6: stored.transpose(Image.Transpose.ROTATE_270),
        8: stored.transpose(Image.Transpose.ROTATE_90),
    }[orientation]

    assert_image_equal(decode(data).image, expected)


def test_an_upright_picture_keeps_no_stale_orientation_tag() -> None:
    data = picture_file(STORED, "JPEG", exif=exif_with_orientation(6))

    image = decode(data).image
    assert image.getexif().get(0x0112, 1) == 1


@needs_heif_encoder
def test_heif_is_turned_upright_by_its_own_transform_once() -> None:
    # Given EXIF bytes, pillow-heif writes the rotation as the container's transform,
    # which libheif applies; the EXIF tag must not rotate the picture a second time.
    stored = STORED.copy()
    stored.info["exif"] = exif_with_orientation(6).tobytes()
    picture = decode(picture_file(stored, "HEIF", quality=95))

    assert (picture.width, picture.height) == (40, 60)
    assert picture.orientation == 1
    assert close_colour(corner(picture.image, "top right"), RED)
    assert close_colour(corner(picture.image, "bottom right"), GREEN)


@needs_heif_encoder
def test_heif_ignores_a_bare_exif_orientation() -> None:
    # An EXIF tag with no matching container transform: HEIF readers ignore the tag.
    data = picture_file(STORED, "HEIF", quality=95, exif=exif_with_orientation(6))

    picture = decode(data)
    assert (picture.width, picture.height) == (60, 40)
    assert close_colour(corner(picture.image, "top left"), RED)
    assert probe_picture(data) == ("heif", 60, 40)


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_an_invalid_orientation_is_ignored(value: int) -> None:
    data = picture_file(STORED, "PNG", exif=exif_with_orientation(value))

    picture = decode(data)
    assert picture.orientation == 1
    assert_image_equal(picture.image, STORED)


# --- probing ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff", "webp"])
@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_probe_reads_format_and_upright_size(fmt: str, orientation: int) -> None:
    pillow_format, params = WRITERS[fmt]
    data = picture_file(STORED, pillow_format, exif=exif_with_orientation(orientation), **params)
    picture = decode(data)

    assert probe_picture(data) == (fmt, picture.width, picture.height)
    assert probe_picture(data)[1:] == ((60, 40) if orientation < 5 else (40, 60))


def test_probe_does_not_decode_pixels() -> None:
    whole = picture_file(unique_picture(200, 100), "PNG", exif=exif_with_orientation(8))
    header_only = whole[: whole.index(b"IDAT") + 100]

    assert probe_picture(header_only) == ("png", 100, 200)
    with pytest.raises(DecodeFailed):
        decode(header_only)


def test_probe_enforces_a_limit_when_given() -> None:
    assert probe_picture(png_bomb(40000, 30000, zeros=1 << 20))[1:] == (40000, 30000)
    with pytest.raises(PictureTooLarge):
        probe_picture(png_bomb(40000, 30000, zeros=1 << 20), max_pixels=LIMIT)


def test_probe_refuses_what_is_not_a_picture() -> None:
    with pytest.raises(UnsupportedFormat):
        probe_picture(b"plain text, not a picture")


# --- modes -----------------------------------------------------------------------------


def test_a_palette_picture_with_transparency_becomes_rgba() -> None:
    source = blocks_picture((20, 20), [((0, 0, 10, 20), RED)]).quantize(4)
    transparent_index = source.getpixel((15, 5))
    data = picture_file(source, "PNG", transparency=transparent_index)

    image = decode(data).image
    assert image.mode == "RGBA"
    assert colour_at(image, (15, 5))[3] == 0
    assert colour_at(image, (5, 5)) == (*RED, 255)


def test_a_palette_picture_without_transparency_becomes_rgb() -> None:
    source = blocks_picture((20, 20), [((0, 0, 10, 20), RED)]).quantize(4)

    image = decode(picture_file(source, "PNG")).image
    assert image.mode == "RGB"
    assert_image_equal(image, source.convert("RGB"))


def test_a_gif_with_a_transparent_colour_becomes_rgba() -> None:
    source = blocks_picture((20, 20), [((0, 0, 10, 20), RED)]).quantize(4)
    transparent_index = source.getpixel((15, 5))
    data = picture_file(source, "GIF", transparency=transparent_index)

    image = decode(data).image
    assert image.mode == "RGBA"
    assert colour_at(image, (15, 5))[3] == 0
    assert colour_at(image, (5, 5))[3] == 255


def test_a_colour_keyed_grey_png_becomes_la() -> None:
    source = Image.new("L", (10, 10), 7)
    source.paste(200, (0, 0, 5, 10))
    image = decode(picture_file(source, "PNG", transparency=7)).image

    assert image.mode == "LA"
    assert colour_at(image, (7, 5)) == (7, 0)
    assert colour_at(image, (2, 5)) == (200, 255)


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_encoder_modes_are_kept_exactly(mode: str) -> None:
    source = unique_picture(17, 9, mode)

    assert_image_equal(decode(picture_file(source, "PNG")).image, source)


def test_a_cmyk_jpeg_becomes_rgb() -> None:
    data = picture_file(QUADRANTS.convert("CMYK"), "JPEG", quality=95)

    image = decode(data).image
    assert image.mode == "RGB"
    assert_image_similar(image, QUADRANTS, max_mean_error=6)


def test_a_one_bit_picture_becomes_grey() -> None:
    source = Image.new("1", (16, 8), 0)
    source.paste(1, (0, 0, 8, 8))

    image = decode(picture_file(source, "PNG")).image
    assert image.mode == "L"
    assert colour_at(image, (2, 2)) == (255,) and colour_at(image, (12, 2)) == (0,)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_sixteen_bit_grey_is_scaled_to_eight_bits(fmt: str) -> None:
    values = np.array([[0, 128, 257, 32896, 65535, 1000]], dtype=np.uint16)
    source = Image.fromarray(values)
    assert source.mode == "I;16"

    image = decode(picture_file(source, fmt)).image
    assert image.mode == "L"
    assert list(np.asarray(image)[0]) == [0, 0, 1, 128, 255, 4]


def test_sixteen_bit_rgb_keeps_its_colours() -> None:
    # Pillow reads 16-bit colour PNG as 8-bit RGB (the high bytes), which is what we want.
    header = struct.pack(">IIBBBBB", 2, 1, 16, 2, 0, 0, 0)
    rows = b"\x00" + struct.pack(">6H", 65535, 0, 0, 0, 32896, 65535)
    import zlib

    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )
    image = decode(data).image
    assert image.mode == "RGB"
    assert colour_at(image, (0, 0)) == (255, 0, 0)
    assert colour_at(image, (1, 0)) == (0, 128, 255)


def test_float_grey_tiff_is_scaled_to_eight_bits() -> None:
    source = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32))
    assert source.mode == "F"

    image = decode(picture_file(source, "TIFF")).image
    assert image.mode == "L"
    assert list(np.asarray(image)[0]) == [0, 128, 255]


def test_the_icc_profile_is_kept() -> None:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = picture_file(QUADRANTS, "PNG", icc_profile=profile)

    assert decode(data).image.info.get("icc_profile") == profile


# --- JPEG through libjpeg-turbo (simplejpeg): the same pixels as Pillow's decode ---------


def _photo_like(size: tuple[int, int], seed: int = 7) -> Image.Image:
    """Smooth colour with noise: what a camera JPEG holds, every DCT block different."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
    smooth = np.asarray(coarse.resize(size, Image.Resampling.BICUBIC), dtype=np.int16)
    noise = rng.normal(0, 6, (size[1], size[0], 3)).astype(np.int16)
    return Image.fromarray(np.clip(smooth + noise, 0, 255).astype(np.uint8))


def _pillow_reference(data: bytes) -> Image.Image:
    """What Pillow alone makes of a JPEG: open, load, turn upright by its EXIF."""
    from PIL import ImageOps

    image = Image.open(io.BytesIO(data))
    image.load()
    return ImageOps.exif_transpose(image)


def _assert_pixel_equivalent(ours: Image.Image, pillows: Image.Image) -> None:
    """Within the decoders' rounding: no pixel off by more than 2, almost all exact."""
    assert ours.mode == pillows.mode and ours.size == pillows.size
    difference = np.abs(np.asarray(ours, np.int16) - np.asarray(pillows, np.int16))
    assert int(difference.max()) <= 2
    assert float(difference.mean()) < 0.05


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(
    "options",
    [
        {"quality": 90},  # 4:2:0 chroma
        {"quality": 95, "subsampling": 0},  # 4:4:4
        {"quality": 85, "progressive": True},
        {"quality": 90, "subsampling": 1},  # 4:2:2
    ],
    ids=["420", "444", "progressive", "422"],
)
def test_jpeg_crops_match_pillows_decode(orientation: int, options: dict[str, object]) -> None:
    source = _photo_like((317, 229))
    buffer = io.BytesIO()
    source.save(buffer, "JPEG", exif=exif_with_orientation(orientation), **options)
    data = buffer.getvalue()
    picture = decode_picture(data, max_pixels=LIMIT)
    reference = _pillow_reference(data)
    assert picture.orientation == orientation
    _assert_pixel_equivalent(picture.image, reference)
    for box in [(0, 0, 40, 30), (17, 9, 120, 101), (picture.width - 33, picture.height - 21)]:
        ltrb = box if len(box) == 4 else (*box, picture.width, picture.height)
        _assert_pixel_equivalent(picture.image.crop(ltrb), reference.crop(ltrb))
        # what a crop is cut from: the box alone turned upright
        left, top, right, bottom = ltrb
        region = picture.region(Box(left, top, right - left, bottom - top))
        _assert_pixel_equivalent(as_image(region), reference.crop(ltrb))


def test_a_grey_jpeg_matches_pillows_decode() -> None:
    grey = _photo_like((203, 151)).convert("L")
    data = picture_file(grey, "JPEG", quality=92)
    picture = decode_picture(data, max_pixels=LIMIT)
    assert picture.image.mode == "L"
    _assert_pixel_equivalent(picture.image, _pillow_reference(data))


def test_a_jpeg_keeps_its_icc_profile_through_libjpeg_turbo() -> None:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = picture_file(_photo_like((64, 48)), "JPEG", icc_profile=profile)
    assert decode_picture(data, max_pixels=LIMIT).image.info.get("icc_profile") == profile


def test_a_jpeg_drafted_smaller_is_never_below_the_size_asked() -> None:
    buffer = io.BytesIO()
    _photo_like((800, 600)).save(buffer, "JPEG", exif=exif_with_orientation(6))
    full = decode_picture(buffer.getvalue(), max_pixels=LIMIT)
    assert (full.width, full.height) == (600, 800)  # upright
    small = decode_picture(buffer.getvalue(), max_pixels=LIMIT, draft_size=(140, 190))
    assert (small.width, small.height) == (150, 200)  # a quarter, turned upright
    # compared with Pillow's own draft at the same scale: the same DCT-domain decode
    reference = Image.open(io.BytesIO(buffer.getvalue()))
    reference.draft("RGB", (200, 150))
    reference = reference.transpose(Image.Transpose.ROTATE_270)
    _assert_pixel_equivalent(small.image, reference)


def test_a_jpeg_cut_short_inside_its_data_is_undecodable() -> None:
    data = picture_file(_photo_like((320, 240)), "JPEG", quality=90)
    with pytest.raises(DecodeFailed):
        decode_picture(data[: len(data) * 2 // 3], max_pixels=LIMIT)


# --- PNG through libpng ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_an_eight_bit_png_decodes_to_exactly_pillows_pixels(mode: str) -> None:
    image = _photo_like((131, 77)).convert(mode)
    data = picture_file(image, "PNG", optimize=True)  # every row filter Pillow has
    picture = decode_picture(data, max_pixels=LIMIT)
    assert picture.mode == mode and (picture.width, picture.height) == (131, 77)
    assert_image_equal(picture.image, Image.open(io.BytesIO(data)))
    assert np.array_equal(picture.region(Box(5, 7, 60, 40)), np.asarray(image.crop((5, 7, 65, 47))))


def _png_with_exif_after_the_pixels(image: Image.Image, orientation: int) -> bytes:
    data = picture_file(image, "PNG")
    end = data.rindex(b"IEND") - 4
    exif = exif_with_orientation(orientation).tobytes()
    return data[:end] + png_chunk(b"eXIf", exif) + data[end:]


def test_a_png_whose_exif_follows_its_pixels_is_still_turned_upright() -> None:
    data = _png_with_exif_after_the_pixels(QUADRANTS, 6)
    picture = decode_picture(data, max_pixels=LIMIT)
    assert (picture.width, picture.height) == (48, 64)
    assert picture.orientation == 6
    assert_image_equal(picture.image, QUADRANTS.transpose(Image.Transpose.ROTATE_270))


def test_a_png_cut_short_inside_its_pixels_is_undecodable() -> None:
    data = picture_file(_photo_like((320, 240)), "PNG")
    with pytest.raises(DecodeFailed):
        decode_picture(data[: len(data) * 2 // 3], max_pixels=LIMIT)


def test_a_png_with_a_broken_checksum_is_undecodable() -> None:
    data = bytearray(picture_file(_photo_like((64, 48)), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 10] ^= 0xFF  # the deflate stream damaged, its CRC no longer matching
    with pytest.raises(DecodeFailed):
        decode_picture(bytes(data), max_pixels=LIMIT)
