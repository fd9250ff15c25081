"""An overlay: the picture scaled down with every zone's outline and name drawn on it."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

MAX_SIDE = 1600
# Colours that read on paper, photos and dark scans alike; zones take them in turn.
PALETTE = ((37, 99, 235), (220, 38, 38), (22, 163, 74), (147, 51, 234), (234, 88, 12))


@dataclass(frozen=True)
class Outline:
    """One zone to draw: its name and its four corners in picture pixels."""

    name: str
    quad: Sequence[Sequence[float]]


def draw_overlay(
    picture: Image.Image, outlines: Sequence[Outline], max_side: int = MAX_SIDE
) -> bytes:
    """The picture, longest side at most ``max_side``, with the outlines drawn; as JPEG."""
    scale = min(1.0, max_side / max(picture.width, picture.height))
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    canvas = picture.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(canvas, "RGBA")
    line = max(2, round(max(size) / 400))
    font = _font(max(12, round(max(size) / 70)))
    for index, outline in enumerate(outlines):
        colour = PALETTE[index % len(PALETTE)]
        points = [(float(x) * scale, float(y) * scale) for x, y in outline.quad]
        draw.polygon(points, outline=colour, fill=(*colour, 40), width=line)
        x, y = points[0]
        box = draw.textbbox((x, y), outline.name, font=font)
        pad = line
        label = (box[0], box[1] - (box[3] - box[1]) - 2 * pad, box[2] + 2 * pad, box[1])
        draw.rectangle(label, fill=colour)
        draw.text(
            (label[0] + pad, label[1] + pad / 2), outline.name, fill=(255, 255, 255), font=font
        )
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()
