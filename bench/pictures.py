"""Benchmark inputs, generated on the spot: a 12-megapixel photo and an A4 300-dpi scan.

Both are drawn from a fixed seed so every run measures the same bytes. The photo has
smooth gradients, shapes and sensor-like noise, so it compresses like a camera picture,
and is stored turned a quarter with EXIF orientation 6, as phones do. The scan is a
mostly white page with printed text, form lines, a table, a blue signature and a red
stamp, slightly blurred and noisy like a flatbed scan, stored as PNG.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PHOTO_SIZE = (4000, 3000)  # upright
SCAN_SIZE = (2480, 3508)  # A4 at 300 dpi

_VOCABULARY = (
    "name address date signature total amount account number city country phone email "
    "reference invoice customer payment method period member office approved received "
    "department registration code notes declaration applicant employer insurance policy "
    "holder birth place nationality document issued valid until purpose remarks quantity"
)
_WORDS = _VOCABULARY.split()


@dataclass(frozen=True)
class Zone:
    """A zone in upright reference pixels, as the API takes it."""

    name: str
    folder: str
    x: int
    y: int
    width: int
    height: int

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "folder": self.folder,
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
        }


@dataclass(frozen=True)
class Scenario:
    """One benchmark picture: its file, its upright size and the zones cut from it."""

    name: str
    filename: str
    data: bytes
    size: tuple[int, int]
    zones: tuple[Zone, ...]

    @property
    def zone_share(self) -> float:
        """Share of the picture's area the zones cover."""
        area = sum(zone.width * zone.height for zone in self.zones)
        return area / (self.size[0] * self.size[1])


def photo_scenario(seed: int = 12) -> Scenario:
    """A 4000x3000 photo-like JPEG, stored 3000x4000 with EXIF orientation 6."""
    upright = photo_like(PHOTO_SIZE, seed)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif)
    # A plate or album page: a 2 x 5 grid of frames over 60 % of the picture.
    width, height = PHOTO_SIZE
    zones = []
    for row in range(5):
        for column in range(2):
            zones.append(
                Zone(
                    name=f"frame {row + 1}{'ab'[column]}",
                    folder=f"frames/column-{'ab'[column]}",
                    x=round(width * (0.04 + 0.48 * column)),
                    y=round(height * (0.03 + 0.195 * row)),
                    width=round(width * 0.44),
                    height=round(height * 0.135),
                )
            )
    return Scenario("photo 12 MP JPEG", "photo.jpg", buffer.getvalue(), PHOTO_SIZE, tuple(zones))


def scan_scenario(seed: int = 3) -> Scenario:
    """A 2480x3508 (A4, 300 dpi) RGB scan of a filled-in form, as PNG."""
    page = scan_like(SCAN_SIZE, seed)
    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    zones = (
        Zone("title", "header", 150, 120, 2180, 260),
        Zone("name", "people/names", 150, 520, 1400, 140),
        Zone("address", "people/addresses", 150, 700, 2180, 300),
        Zone("date", "dates", 1700, 520, 630, 140),
        Zone("table", "tables", 150, 1100, 2180, 1300),
        Zone("total", "totals", 1630, 2440, 700, 160),
        Zone("notes", "notes", 150, 2650, 1300, 420),
        Zone("signature", "signatures", 1500, 2700, 830, 380),
        Zone("stamp", "stamps", 150, 3120, 600, 300),
        Zone("footer", "footer", 800, 3200, 1530, 200),
    )
    return Scenario("A4 scan 300 dpi PNG", "scan.png", buffer.getvalue(), SCAN_SIZE, zones)


def photo_like(size: tuple[int, int], seed: int) -> Image.Image:
    """Smooth gradients, blurred shapes and sensor noise: compresses like a photograph."""
    rng = np.random.default_rng(seed)
    width, height = size
    coarse = rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)
    image = Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        radius = int(rng.integers(40, 500))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
        else:
            draw.rectangle((x - radius, y - radius // 2, x + radius, y + radius // 2), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(4))
    # Texture at two scales: mottling and per-pixel sensor noise, stronger in luminance.
    mottle = Image.fromarray(rng.integers(0, 256, (height // 8, width // 8), dtype=np.uint8))
    mottle_values = np.asarray(mottle.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
    pixels = np.asarray(image, dtype=np.float32)
    pixels += ((mottle_values - 128.0) * 0.08)[..., None]
    pixels += rng.standard_normal((height, width, 1), dtype=np.float32) * 3.0
    pixels += rng.standard_normal((height, width, 3), dtype=np.float32) * 1.5
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def scan_like(size: tuple[int, int], seed: int) -> Image.Image:
    """A white page with printed text, form lines, a table, a signature and a stamp."""
    rng = np.random.default_rng(seed)
    width, height = size
    page = Image.new("RGB", size, (247, 246, 242))
    draw = ImageDraw.Draw(page)
    ink = (35, 35, 40)
    title = ImageFont.load_default(size=90)
    body = ImageFont.load_default(size=42)
    small = ImageFont.load_default(size=34)

    draw.text((180, 170), "APPLICATION FOR REGISTRATION", font=title, fill=ink)
    draw.line((150, 400, width - 150, 400), fill=ink, width=5)
    # Labelled fields, some filled in by hand (blue).
    fields = [(150, 520, "Name"), (1700, 520, "Date"), (150, 700, "Address")]
    for x, y, label in fields:
        draw.text((x + 10, y), label, font=small, fill=ink)
        draw.rectangle(
            (x, y + 45, x + (600 if label == "Date" else 1350), y + 130), outline=ink, width=3
        )
        _handwriting(draw, rng, x + 30, y + 75, 14 if label != "Date" else 6)
    for line in range(3):
        _text_line(draw, rng, 160, 860 + line * 50, width - 320, small, ink)
    # A table: header row, ten rows, four columns of printed words and numbers.
    left, top, right = 150, 1100, width - 150
    row_height = 118
    columns = [left, left + 900, left + 1300, left + 1700, right]
    for row in range(11):
        y = top + row * row_height
        draw.line((left, y, right, y), fill=ink, width=3 if row else 5)
        for index in range(4):
            text = (
                " ".join(rng.choice(_WORDS, 2))
                if index == 0
                else f"{rng.integers(1, 9999)}.{rng.integers(0, 99):02d}"
            )
            draw.text((columns[index] + 20, y + 35), text, font=body, fill=ink)
    draw.line((left, top + 11 * row_height, right, top + 11 * row_height), fill=ink, width=5)
    for x in columns:
        draw.line((x, top, x, top + 11 * row_height), fill=ink, width=3)
    draw.text((1650, 2470), "TOTAL", font=body, fill=ink)
    draw.rectangle((1900, 2450, right, 2590), outline=ink, width=4)
    _handwriting(draw, rng, 1930, 2500, 8)
    # Notes paragraph, signature box with a signature, stamp, footer.
    for line in range(7):
        _text_line(draw, rng, 160, 2670 + line * 52, 1250, small, ink)
    draw.rectangle((1500, 2700, right, 3080), outline=ink, width=3)
    draw.text((1520, 2710), "Signature", font=small, fill=ink)
    _signature(draw, rng, 1560, 2850)
    draw.ellipse((200, 3140, 700, 3400), outline=(200, 40, 50), width=12)
    draw.text((300, 3230), "RECEIVED", font=body, fill=(200, 40, 50))
    for line in range(3):
        _text_line(draw, rng, 820, 3220 + line * 50, 1500, small, ink)

    page = page.filter(ImageFilter.GaussianBlur(0.7))
    pixels = np.asarray(page, dtype=np.int16)
    noise = rng.normal(0.0, 1.6, (height, width, 1)).astype(np.int16)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def _text_line(
    draw: ImageDraw.ImageDraw,
    rng: np.random.Generator,
    x: int,
    y: int,
    length: int,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    ink: tuple[int, int, int],
) -> None:
    words: list[str] = []
    while sum(len(word) + 1 for word in words) * 19 < length:
        words.append(str(rng.choice(_WORDS)))
    draw.text((x, y), " ".join(words[:-1]), font=font, fill=ink)


def _handwriting(
    draw: ImageDraw.ImageDraw, rng: np.random.Generator, x: int, y: int, letters: int
) -> None:
    """Loops of blue ink, about a word's worth of pen strokes per few letters."""
    pen = (30, 50, 160)
    points = []
    for index in range(letters * 6):
        t = index / 6
        points.append(
            (
                x + t * 38 + math.sin(t * 5.3) * 12,
                y + math.cos(t * 4.1) * 18 + float(rng.normal(0, 2)),
            )
        )
    draw.line(points, fill=pen, width=5, joint="curve")


def _signature(draw: ImageDraw.ImageDraw, rng: np.random.Generator, x: int, y: int) -> None:
    pen = (25, 40, 150)
    points = [
        (x + t * 9 + math.sin(t / 3.0) * 60, y + math.sin(t / 1.7) * 70 + float(rng.normal(0, 3)))
        for t in range(80)
    ]
    draw.line(points, fill=pen, width=6, joint="curve")
