"""How two crops of a zone differ, and the small pictures that show them.

Two crops are compared pixel by pixel over the area both cover (top-left aligned: a zone
moved on a picture scaled by a fraction may come out a pixel wider or narrower). A pixel
differs when one of its channels differs by more than :data:`DIFFERENT`: scanner noise
and JPEG ringing on blank paper stay under it, print on paper is far above it.
"""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

from api.imaging.encode import encode_image

DIFFERENT = 32
"""Grey levels (of 255) by which a channel must differ for its pixel to count as changed."""

PREVIEW_SIDE = 240
"""Longest side of a preview, in pixels."""


def changed_share(before: Image.Image, after: Image.Image, level: int = DIFFERENT) -> float:
    """The share (0-1) of the pixels both crops cover that differ by more than ``level``
    in some channel. Crops of other modes are compared as RGBA."""
    width, height = min(before.width, after.width), min(before.height, after.height)
    if width == 0 or height == 0:
        return 1.0
    if before.mode != after.mode:
        before, after = before.convert("RGBA"), after.convert("RGBA")
    a = np.asarray(before.crop((0, 0, width, height)), np.int16)
    b = np.asarray(after.crop((0, 0, width, height)), np.int16)
    difference = np.abs(a - b)
    if difference.ndim == 3:
        difference = difference.max(axis=2)
    return float(np.count_nonzero(difference > level)) / (width * height)


def preview(image: Image.Image, side: int = PREVIEW_SIDE) -> bytes:
    """A JPEG of ``image`` whose longest side is at most ``side`` (never enlarged)."""
    scale = min(1.0, side / max(image.width, image.height))
    small = image
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        small = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return encode_image(small, "jpeg", 82)


def fingerprint(image: Image.Image) -> str:
    """The SHA-256 of a crop's pixels, its mode and size: equal exactly when the pixels are."""
    digest = hashlib.sha256(f"{image.mode} {image.width}x{image.height}\n".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()
