"""Synthetic references and pictures with known homographies, for alignment tests and bench.

Three kinds of reference are drawn from a seed, at any resolution:

- ``text_form``: a form rich in printed text, fields, a table and a signature box;
- ``blank_form``: a nearly blank page with a few boxes, some of them identical;
- ``photo``: a photo-like landscape full of texture.

``make_picture`` then photographs or scans one of them: it places the page in the picture
with a homography it knows (rotation, scale, perspective), over a background, with
filled-in fields, things lying on the page, uneven light, blur, noise and JPEG damage.
Matrices follow the product's convention: 3x3, reference pixel coordinates -> picture
pixel coordinates, with (0, 0) the top-left corner of the top-left pixel.

Importing this module has no side effects; everything is a function of its seed.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field, replace
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bench.align_bent import Bend, lens_picture, render_bent

Family = Literal["text_form", "blank_form", "photo"]
FAMILIES: tuple[Family, ...] = ("text_form", "blank_form", "photo")
Condition = Literal["photo", "scan"]

A4_ASPECT = math.sqrt(2.0)
MIN_SCAN_PAGE = 800  # pixels on the long side: a scan of at least about 70 dpi
PHOTO_ASPECT = 1.5

_WORDS = (
    "name",
    "address",
    "date",
    "signature",
    "total",
    "amount",
    "account",
    "number",
    "city",
    "country",
    "phone",
    "email",
    "reference",
    "invoice",
    "customer",
    "payment",
    "method",
    "period",
    "member",
    "office",
    "approved",
    "received",
    "department",
    "registration",
    "code",
    "notes",
    "declaration",
    "applicant",
    "employer",
    "insurance",
    "policy",
    "holder",
    "birth",
    "place",
    "nationality",
    "document",
    "issued",
    "valid",
    "until",
    "purpose",
    "remarks",
    "quantity",
    "unit",
    "price",
    "tax",
    "item",
    "description",
    "service",
    "contract",
    "branch",
    "manager",
    "witness",
    "official",
)


@dataclass(frozen=True)
class ZoneRect:
    """An axis-aligned zone in reference pixels (the same fields as the product's Box)."""

    x: int
    y: int
    width: int
    height: int

    def corners(self) -> np.ndarray:
        """The four corners, clockwise from top-left, as a (4, 2) float array."""
        x0, y0 = float(self.x), float(self.y)
        x1, y1 = x0 + self.width, y0 + self.height
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


@dataclass(frozen=True)
class Reference:
    """A reference picture with the zones an administrator would draw on it."""

    family: Family
    seed: int
    image: Image.Image
    zones: tuple[ZoneRect, ...]
    # Where a person would write on the form: rectangles (reference pixels).
    fields: tuple[ZoneRect, ...] = ()


@dataclass(frozen=True)
class Picture:
    """A synthetic picture of a reference, with the homography that made it."""

    image: Image.Image
    jpeg: bytes
    matrix: np.ndarray  # 3x3, reference pixels -> picture pixels
    condition: str
    params: dict[str, float] = field(default_factory=dict)
    bend: Bend | None = None  # the page is not flat: see bench/align_bent.py

    def true_points(self, points: np.ndarray) -> np.ndarray:
        """Where reference ``points`` (N, 2) truly are in this picture."""
        if self.bend is None:
            return apply_homography(self.matrix, points)
        return self.bend.project(self.matrix, points)


# ----------------------------------------------------------------------------- helpers


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, round(size)))


def _words(rng: np.random.Generator, n: int) -> str:
    return " ".join(str(rng.choice(_WORDS)) for _ in range(n))


def _fractal_noise(
    rng: np.random.Generator,
    height: int,
    width: int,
    octaves: int = 6,
    base: int = 4,
    persistence: float = 0.55,
) -> np.ndarray:
    """Smooth random texture in [0, 1], shape (height, width), float32."""
    out = np.zeros((height, width), np.float32)
    amplitude, total = 1.0, 0.0
    for octave in range(octaves):
        cells = base * 2**octave
        gh = max(2, round(cells * height / max(height, width)))
        gw = max(2, round(cells * width / max(height, width)))
        grid = rng.random((gh, gw)).astype(np.float32)
        out += amplitude * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
        total += amplitude
        amplitude *= persistence
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)


def _inset(box: ZoneRect, by: int) -> ZoneRect:
    return ZoneRect(box.x + by, box.y + by, max(1, box.width - 2 * by), max(1, box.height - 2 * by))


# ----------------------------------------------------------------------------- references


def text_form(long_side: int = 1754, seed: int = 0) -> Reference:
    """An A4 portrait form, rich in printed text, drawn to ``long_side`` pixels high."""
    rng = np.random.default_rng(seed)
    height = long_side
    width = round(long_side / A4_ASPECT)
    u = width / 1000.0  # one design unit
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    ink = (20, 20, 30)
    line = max(1, round(2 * u))

    def box(x: float, y: float, w: float, h: float, width_: int = line) -> ZoneRect:
        rect = ZoneRect(round(x * u), round(y * u), round(w * u), round(h * u))
        draw.rectangle(
            [rect.x, rect.y, rect.x + rect.width, rect.y + rect.height], outline=ink, width=width_
        )
        return rect

    def text(x: float, y: float, s: str, size: float, fill: tuple[int, ...] = ink) -> None:
        draw.text((x * u, y * u), s, font=_font(size * u), fill=fill)

    zones: list[ZoneRect] = []
    fields: list[ZoneRect] = []
    margin = 60.0
    # Header: a logo, a title, an organisation and a form number.
    logo_left = bool(rng.integers(2))
    lx = margin if logo_left else 1000 - margin - 110
    draw.ellipse([lx * u, 50 * u, (lx + 110) * u, 160 * u], outline=ink, width=3 * line)
    draw.polygon(
        [((lx + 55) * u, 62 * u), ((lx + 100) * u, 140 * u), ((lx + 10) * u, 140 * u)],
        fill=(150, 30, 30),
    )
    tx = margin + 140 if logo_left else margin
    title = " ".join(str(rng.choice(_WORDS)).upper() for _ in range(2)) + " FORM"
    text(tx, 55, title, 44)
    text(tx, 110, _words(rng, 5).title(), 22, (90, 90, 90))
    text(tx, 140, f"Form {rng.integers(10, 99)}-{chr(65 + rng.integers(26))}", 18)

    y = 200.0
    photo_right = bool(rng.integers(2))
    photo_x = 1000 - margin - 220 if photo_right else margin
    zones.append(_inset(box(photo_x, y, 220, 270), line + 1))
    text(photo_x + 50, y + 120, "PHOTO", 30, (170, 170, 170))
    fx = margin if photo_right else margin + 250
    fw = 1000 - 2 * margin - 250
    # Section 1: labelled fields beside the photo box.
    for i in range(4):
        text(fx, y + i * 68, _words(rng, 2).title(), 18)
        field_box = box(fx, y + i * 68 + 24, fw, 38)
        fields.append(field_box)
        if i in (0, 2):
            zones.append(_inset(field_box, line + 1))
    y += 300
    # Section bars and two-column fields.
    for section in range(2):
        draw.rectangle([margin * u, y * u, (1000 - margin) * u, (y + 36) * u], fill=(60, 60, 80))
        text(margin + 10, y + 6, f"{section + 2}. {_words(rng, 3).upper()}", 20, (255, 255, 255))
        y += 50
        for _ in range(2):
            split = float(rng.uniform(0.35, 0.65))
            w1 = (1000 - 2 * margin - 20) * split
            w2 = (1000 - 2 * margin - 20) - w1
            text(margin, y, _words(rng, 2).title(), 16)
            text(margin + w1 + 20, y, _words(rng, 2).title(), 16)
            fields.append(box(margin, y + 22, w1, 36))
            fields.append(box(margin + w1 + 20, y + 22, w2, 36))
            y += 72
        zones.append(_inset(fields[-1 - int(rng.integers(4))], line + 1))
    # A paragraph of small print.
    para_top = y + 10
    for row in range(8):
        text(margin, para_top + row * 19, _words(rng, 14).capitalize() + ".", 14, (50, 50, 50))
    zones.append(
        ZoneRect(
            round(margin * u),
            round(para_top * u),
            round((1000 - 2 * margin) * u),
            round(8 * 19 * u),
        )
    )
    y = para_top + 8 * 19 + 20
    # A table.
    rows, cols = 5, 4
    tw, th = 1000 - 2 * margin, 34
    table = box(margin, y, tw, rows * th)
    for r in range(1, rows):
        draw.line(
            [margin * u, (y + r * th) * u, (1000 - margin) * u, (y + r * th) * u],
            fill=ink,
            width=line,
        )
    col_x = [margin + tw * c / cols for c in range(cols + 1)]
    for c in range(1, cols):
        draw.line([col_x[c] * u, y * u, col_x[c] * u, (y + rows * th) * u], fill=ink, width=line)
    for c in range(cols):
        text(col_x[c] + 8, y + 8, str(rng.choice(_WORDS)).title(), 16)
        for r in range(1, rows):
            if rng.random() < 0.5:
                text(
                    col_x[c] + 8,
                    y + r * th + 8,
                    f"{rng.integers(1, 999)}.{rng.integers(10, 99)}",
                    14,
                )
    zones.append(table)
    for r in range(1, rows):
        fields.append(
            ZoneRect(
                round(col_x[-2] * u), round((y + r * th) * u), round(tw / cols * u), round(th * u)
            )
        )
    y += rows * th + 30
    # Signature and date at the bottom.
    remaining = 1000 * A4_ASPECT - margin - y
    sig_h = min(170.0, remaining - 40)
    text(margin, y, "Signature", 18)
    sig = box(margin, y + 26, 520, sig_h)
    zones.append(_inset(sig, line + 1))
    fields.append(sig)
    text(margin + 560, y, "Date", 18)
    date = box(margin + 560, y + 26, 1000 - 2 * margin - 560, 44)
    zones.append(_inset(date, line + 1))
    fields.append(date)
    text(margin + 560, y + 90, _words(rng, 4), 13, (80, 80, 80))
    text(margin, 1000 * A4_ASPECT - 40, f"Page 1 of 1 - {_words(rng, 3)}", 12, (90, 90, 90))
    return Reference("text_form", seed, image, tuple(zones), tuple(fields))


def _blank_layout(rng: np.random.Generator) -> list[tuple[float, float, float, float]]:
    """Boxes in design units (page 1000 x 1414), asymmetric under a half turn."""
    while True:
        boxes: list[tuple[float, float, float, float]] = []
        small_w, small_h = float(rng.uniform(150, 260)), float(rng.uniform(80, 140))
        kinds = [(small_w, small_h)] * int(rng.integers(2, 4))
        kinds.append((float(rng.uniform(600, 860)), float(rng.uniform(150, 320))))
        kinds.append((float(rng.uniform(400, 800)), float(rng.uniform(60, 90))))
        if rng.random() < 0.5:
            kinds.append((float(rng.uniform(180, 300)), float(rng.uniform(180, 300))))
        order = rng.permutation(len(kinds))
        ok = True
        for index in order:
            w, h = kinds[index]
            for _ in range(200):
                x = float(rng.uniform(70, 1000 - 70 - w))
                y = float(rng.uniform(70, 1414 - 70 - h))
                if all(
                    x > bx + bw + 40 or bx > x + w + 40 or y > by + bh + 40 or by > y + h + 40
                    for bx, by, bw, bh in boxes
                ):
                    boxes.append((x, y, w, h))
                    break
            else:
                ok = False
                break
        if not ok:
            continue
        # Refuse layouts that look alike after a half turn: they cannot be told apart.
        turned = [(1000 - x - w, 1414 - y - h, w, h) for x, y, w, h in boxes]
        overlap = sum(
            max(0.0, min(x + w, tx + tw) - max(x, tx)) * max(0.0, min(y + h, ty + th) - max(y, ty))
            for x, y, w, h in boxes
            for tx, ty, tw, th in turned
        )
        if overlap < 0.3 * sum(w * h for _, _, w, h in boxes):
            return boxes


def blank_form(long_side: int = 1754, seed: int = 0) -> Reference:
    """A nearly blank A4 page with a few boxes, some identical, and no text."""
    rng = np.random.default_rng(seed + 1000)
    height = long_side
    width = round(long_side / A4_ASPECT)
    u = width / 1000.0
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    line = max(1, round(3 * u))
    zones: list[ZoneRect] = []
    for x, y, w, h in _blank_layout(rng):
        rect = ZoneRect(round(x * u), round(y * u), round(w * u), round(h * u))
        draw.rectangle(
            [rect.x, rect.y, rect.x + rect.width, rect.y + rect.height],
            outline=(25, 25, 25),
            width=line,
        )
        zones.append(_inset(rect, line + 1))
    return Reference("blank_form", seed, image, tuple(zones), tuple(zones))


def photo(long_side: int = 1800, seed: int = 0) -> Reference:
    """A photo-like landscape, 3:2, textured: sky, hills, houses, trees, a road."""
    rng = np.random.default_rng(seed + 2000)
    width = long_side
    height = round(long_side / PHOTO_ASPECT)
    work_w, work_h = 900, 600  # drawn at a fixed size, then resized: same at every resolution
    sky = _fractal_noise(rng, work_h, work_w, octaves=5, base=3)
    top = np.array(rng.uniform([40, 90, 160], [110, 160, 235]), np.float32)
    canvas = np.empty((work_h, work_w, 3), np.float32)
    canvas[:] = top
    canvas += sky[..., None] * 90 - 20
    img = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    sun = rng.uniform([80, 40], [820, 160])
    draw.ellipse([sun[0] - 35, sun[1] - 35, sun[0] + 35, sun[1] + 35], fill=(250, 230, 150))
    for layer in range(3):
        base_y = 230 + layer * 80 + rng.uniform(-20, 20)
        xs = np.linspace(0, work_w, 40)
        ys = base_y + np.cumsum(rng.normal(0, 9, xs.size))
        colour = tuple(int(c) for c in rng.uniform([30, 70, 20], [110, 150, 70]))
        draw.polygon(
            [(0, work_h)] + list(zip(xs.tolist(), ys.tolist(), strict=True)) + [(work_w, work_h)],
            fill=colour,
        )
    arr: np.ndarray = np.asarray(img).astype(np.float32)
    grain = _fractal_noise(rng, work_h, work_w, octaves=7, base=8, persistence=0.7)
    arr[260:] *= 0.75 + 0.5 * grain[260:, :, None]
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    road = rng.uniform(300, 600)
    draw.polygon(
        [(road - 20, 330), (road + 20, 330), (road + 160, work_h), (road - 160, work_h)],
        fill=(95, 90, 85),
    )
    for _ in range(int(rng.integers(4, 8))):
        hx, hy = rng.uniform([30, 300], [820, 480])
        hw, hh = rng.uniform([40, 30], [110, 70])
        wall = tuple(int(c) for c in rng.uniform(120, 240, 3))
        draw.rectangle([hx, hy, hx + hw, hy + hh], fill=wall, outline=(40, 30, 30))
        draw.polygon(
            [(hx - 8, hy), (hx + hw + 8, hy), (hx + hw / 2, hy - hh * 0.6)],
            fill=tuple(int(c) for c in rng.uniform([100, 20, 20], [180, 70, 60])),
        )
        for wx in np.arange(hx + 8, hx + hw - 12, 22):
            draw.rectangle([wx, hy + 10, wx + 10, hy + 22], fill=(40, 60, 90))
    for _ in range(int(rng.integers(10, 20))):
        tx, ty = rng.uniform([0, 280], [900, 560])
        r = rng.uniform(10, 30)
        draw.rectangle([tx - 3, ty, tx + 3, ty + r * 1.5], fill=(70, 45, 25))
        draw.ellipse(
            [tx - r, ty - r * 1.6, tx + r, ty + r * 0.3],
            fill=tuple(int(c) for c in rng.uniform([20, 70, 15], [70, 140, 50])),
        )
    image = img.resize((width, height), Image.Resampling.BICUBIC)
    # Fine texture at the final resolution: a photo has detail at every scale.
    fine = _fractal_noise(rng, height, width, octaves=3, base=max(8, width // 24), persistence=0.6)
    arr = np.asarray(image).astype(np.float32) + (fine[..., None] - 0.5) * 24
    image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    zones = []
    for _ in range(5):
        zw, zh = rng.uniform(0.12, 0.35) * width, rng.uniform(0.12, 0.35) * height
        zx, zy = rng.uniform(0, width - zw), rng.uniform(0, height - zh)
        zones.append(ZoneRect(round(zx), round(zy), round(zw), round(zh)))
    return Reference("photo", seed, image, tuple(zones))


def make_reference(family: Family, long_side: int, seed: int = 0) -> Reference:
    """One reference of ``family``; the same ``seed`` gives the same design at any size."""
    if family == "text_form":
        return text_form(long_side, seed)
    if family == "blank_form":
        return blank_form(long_side, seed)
    return photo(long_side, seed)


# ----------------------------------------------------------------------------- pictures


def _background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A busy desk: textured surface, shapes, other papers with text. RGB uint8."""
    small_w, small_h = 800, round(800 * height / width)
    tex = _fractal_noise(rng, small_h, small_w, octaves=6, base=3)
    c0 = rng.uniform(30, 200, 3)
    c1 = rng.uniform(30, 200, 3)
    arr = (c0 + tex[..., None] * (c1 - c0)).astype(np.float32)
    streaks = _fractal_noise(rng, small_h, 8, octaves=3, base=2)
    arr *= 0.85 + 0.3 * cv2.resize(streaks, (small_w, small_h))[..., None]
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(5, 25))):
        kind = int(rng.integers(3))
        x, y = rng.uniform(0, small_w), rng.uniform(0, small_h)
        s = rng.uniform(10, 160)
        colour = tuple(int(c) for c in rng.uniform(0, 255, 3))
        if kind == 0:
            draw.rectangle([x, y, x + s, y + s * rng.uniform(0.3, 2)], fill=colour)
        elif kind == 1:
            draw.ellipse([x, y, x + s, y + s], fill=colour)
        else:
            draw.line(
                [x, y, x + rng.uniform(-300, 300), y + rng.uniform(-300, 300)],
                fill=colour,
                width=int(rng.integers(1, 8)),
            )
    big = img.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(big)
    # Other papers with text, at full resolution: features that must not fool anyone.
    for _ in range(int(rng.integers(0, 4))):
        pw, ph = rng.uniform(0.15, 0.4) * width, rng.uniform(0.15, 0.4) * height
        px, py = rng.uniform(-0.1 * width, width), rng.uniform(-0.1 * height, height)
        draw.rectangle([px, py, px + pw, py + ph], fill=(235, 235, 228))
        size = rng.uniform(0.008, 0.02) * width
        for row in range(int(ph / (size * 1.6))):
            draw.text(
                (px + size, py + size + row * size * 1.6),
                _words(rng, 8),
                font=_font(size),
                fill=(40, 40, 40),
            )
    return np.asarray(big).copy()


def _fill_in(reference: Reference, rng: np.random.Generator) -> Image.Image:
    """The reference as a person filled it in: handwriting in fields, ticks, a stamp."""
    image = reference.image.copy()
    draw = ImageDraw.Draw(image)
    u = image.width / 1000.0
    ink = tuple(int(c) for c in rng.choice([(20, 40, 140), (15, 15, 15), (30, 30, 110)]))
    for fld in reference.fields:
        if rng.random() < 0.3:
            continue
        # Handwriting-like strokes across part of the field.
        x = fld.x + 0.05 * fld.width
        y_mid = fld.y + fld.height / 2
        amp = min(fld.height * 0.3, 14 * u)
        length = fld.width * rng.uniform(0.3, 0.85)
        xs = np.linspace(x, x + length, max(8, int(length / (4 * u))))
        ys = y_mid + amp * np.sin(xs / (5 * u) + rng.uniform(0, 6)) * rng.uniform(0.4, 1, xs.size)
        draw.line(
            list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=ink, width=max(1, round(2.5 * u))
        )
    if reference.family != "photo" and rng.random() < 0.5:
        cx, cy = rng.uniform(0.2, 0.8) * image.width, rng.uniform(0.2, 0.8) * image.height
        r = 70 * u
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(170, 30, 40), width=round(5 * u))
        draw.text((cx - r * 0.7, cy - 12 * u), "PAID", font=_font(28 * u), fill=(170, 30, 40))
    return image


def _camera_homography(
    rng: np.random.Generator, width: int, height: int, rotation: float, tilt: float
) -> np.ndarray:
    """A pinhole camera looking at the page: rotation in-plane, tilted by up to ``tilt`` deg."""
    pitch = math.radians(rng.uniform(-tilt, tilt))
    yaw = math.radians(rng.uniform(-tilt, tilt))
    roll = math.radians(rotation)
    rx = np.array(
        [[1, 0, 0], [0, math.cos(pitch), -math.sin(pitch)], [0, math.sin(pitch), math.cos(pitch)]]
    )
    ry = np.array(
        [[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]]
    )
    rz = np.array(
        [[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]]
    )
    rot = rx @ ry @ rz
    size = max(width, height)
    focal = size * rng.uniform(0.9, 1.6)
    distance = focal * rng.uniform(1.05, 1.3)
    # Plane point (x, y, 0), centred, seen from (0, 0, -distance).
    centre = np.array([[1, 0, -width / 2], [0, 1, -height / 2], [0, 0, 1]])
    plane_to_cam = np.column_stack([rot[:, 0], rot[:, 1], np.array([0, 0, distance])])
    intrinsics = np.array([[focal, 0, 0], [0, focal, 0], [0, 0, 1]])
    h = intrinsics @ plane_to_cam @ centre
    return np.asarray(h / h[2, 2], np.float64)


def apply_homography(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (N, 2) points by a 3x3 homography."""
    pts = np.column_stack([points, np.ones(len(points))]) @ np.asarray(matrix).T
    return np.asarray(pts[:, :2] / pts[:, 2:3], np.float64)


def _shift(dx: float) -> np.ndarray:
    return np.array([[1, 0, dx], [0, 1, dx], [0, 0, 1]], np.float64)


def render_warp(
    source: np.ndarray,
    matrix: np.ndarray,
    size: tuple[int, int],
    border_value: float | tuple[float, ...] = 0,
) -> np.ndarray:
    """Warp ``source`` by ``matrix`` (corner convention) into ``size`` = (width, height),
    shrinking it first with area averaging where the warp makes it smaller, so that small
    text is not aliased."""
    h, w = source.shape[:2]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    mapped = apply_homography(matrix, corners)
    edges = np.linalg.norm(np.roll(mapped, -1, axis=0) - mapped, axis=1)
    original = np.array([w, h, w, h], np.float64)
    local = float(np.min(edges / original))
    if local < 0.8:
        factor = max(local * 1.25, 1e-3)
        sw, sh = max(1, round(w * factor)), max(1, round(h * factor))
        source = cv2.resize(source, (sw, sh), interpolation=cv2.INTER_AREA)
        matrix = matrix @ np.diag([w / sw, h / sh, 1.0])
    centred = _shift(-0.5) @ matrix @ _shift(0.5)
    return cv2.warpPerspective(
        source,
        centred,
        size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border_value,
    )


def _illumination(rng: np.random.Generator, width: int, height: int, strength: float) -> np.ndarray:
    small = np.ones((60, 80), np.float32)
    gy, gx = np.mgrid[0:60, 0:80].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = np.cos(angle) * gx / 80 + np.sin(angle) * gy / 60
    small -= strength * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6) * 0.6
    # A soft shadow, like a hand or a phone over the page.
    cx, cy, r = rng.uniform(0, 80), rng.uniform(0, 60), rng.uniform(10, 35)
    shadow = np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * r * r))
    small -= strength * 0.45 * shadow.astype(np.float32)
    return cv2.resize(np.clip(small, 0.15, 1.2), (width, height), interpolation=cv2.INTER_LINEAR)


def _occluders(
    rng: np.random.Generator, draw: ImageDraw.ImageDraw, quad: np.ndarray, count: int
) -> None:
    """Things lying on the page: a pen, a sticky note, a coin, a phone."""
    centre = quad.mean(axis=0)
    size = float(np.sqrt(cv2.contourArea(quad.astype(np.float32))))
    for _ in range(count):
        # Somewhere on the page, biased to the edges where things get put down.
        a, b = rng.random(), rng.random()
        p = (1 - a) * ((1 - b) * quad[0] + b * quad[1]) + a * ((1 - b) * quad[3] + b * quad[2])
        p = p + (p - centre) * rng.uniform(-0.2, 0.2)
        kind = int(rng.integers(4))
        angle = rng.uniform(0, math.pi)
        if kind == 0:  # pen
            length, thick = size * rng.uniform(0.3, 0.6), size * 0.015
            d = np.array([math.cos(angle), math.sin(angle)]) * length / 2
            draw.line([tuple(p - d), tuple(p + d)], fill=(20, 20, 90), width=max(2, int(thick)))
        elif kind == 1:  # sticky note
            s = size * rng.uniform(0.1, 0.18)
            rot = np.array(
                [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
            )
            sq = (np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * s / 2) @ rot.T + p
            draw.polygon([tuple(q) for q in sq], fill=(250, 230, 90))
        elif kind == 2:  # coin
            r = size * rng.uniform(0.025, 0.05)
            draw.ellipse(
                [p[0] - r, p[1] - r, p[0] + r, p[1] + r],
                fill=(180, 150, 80),
                outline=(90, 70, 30),
                width=3,
            )
        else:  # phone
            w, h = size * 0.12, size * 0.24
            rot = np.array(
                [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
            )
            rect = (np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2) @ rot.T + p
            draw.polygon([tuple(q) for q in rect], fill=(25, 25, 30))


def _dark_across(rng: np.random.Generator, draw: ImageDraw.ImageDraw, zone: np.ndarray) -> None:
    """A dark bar (a phone's edge, a pen, a shadow) lying across one side of the zone seen
    as ``zone`` (its four corners in the picture): partly inside it, partly outside, at
    any angle, so its edges cross the zone's printed frame."""
    side = int(rng.integers(4))
    a, b = zone[side], zone[(side + 1) % 4]
    length = float(np.linalg.norm(b - a))
    centre = a + (b - a) * rng.uniform(0.2, 0.8)
    across = float(np.linalg.norm(zone[(side + 2) % 4] - b))
    angle = float(np.arctan2(*(b - a)[::-1])) + rng.uniform(-0.9, 0.9)
    long_half = max(length * rng.uniform(0.15, 0.35), 12.0)
    short_half = max(min(across, length) * rng.uniform(0.08, 0.2), 6.0)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    box = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [long_half, short_half]
    shade = int(rng.integers(15, 60))
    draw.polygon([tuple(q) for q in box @ rot.T + centre], fill=(shade, shade, shade + 5))


def _degrade(rng: np.random.Generator, arr: np.ndarray, blur: float, noise: float) -> np.ndarray:
    out: np.ndarray = arr.astype(np.float32)  # float32 throughout: 12-megapixel arrays
    if blur > 0.3:
        if rng.random() < 0.7:
            out = cv2.GaussianBlur(out, (0, 0), blur)
        else:  # motion blur
            length = max(3, int(blur * 4)) | 1
            kernel: np.ndarray = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1.0 / length
            rot = cv2.getRotationMatrix2D(
                (length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1.0
            )
            kernel = cv2.warpAffine(kernel, rot, (length, length))
            kernel = (kernel / max(float(kernel.sum()), 1e-6)).astype(np.float32)
            out = cv2.filter2D(out, -1, kernel)
    if noise > 0:
        small = rng.normal(0, noise, (out.shape[0] // 2 + 1, out.shape[1] // 2 + 1))
        out += cv2.resize(
            small.astype(np.float32), (out.shape[1], out.shape[0]), interpolation=cv2.INTER_NEAREST
        )[..., None]
    return np.clip(out, 0, 255, out=out).astype(np.uint8)


def _encode(rng: np.random.Generator, arr: np.ndarray, quality: int) -> tuple[Image.Image, bytes]:
    buffer = io.BytesIO()
    Image.fromarray(arr).save(buffer, "JPEG", quality=quality)
    data = buffer.getvalue()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, data


def make_picture(
    reference: Reference,
    rng: np.random.Generator,
    condition: Condition,
    scale: float,
    canvas: tuple[int, int] = (4000, 3000),
    rotation: float | None = None,
    tilt: float = 35.0,
    damage: float = 1.0,
    fill_in: bool = True,
    bend: Bend | None = None,
    dark_over: ZoneRect | None = None,
) -> Picture | None:
    """Photograph (``photo``) or scan (``scan``) ``reference``.

    ``scale`` is picture pixels per reference pixel (the square root of the area ratio).
    A photo is ``canvas`` pixels with the page anywhere on a busy desk, any rotation and up
    to ``tilt`` degrees of camera tilt; a scan is the page at ``scale`` on a scanner lid,
    shifted and skewed a little, sometimes upside down, at least ``MIN_SCAN_PAGE`` pixels
    long. ``damage`` in [0, 1] scales blur,
    noise, light and JPEG damage. ``bend`` makes the page and the lens not flat (its picture
    size is filled in here). ``dark_over`` lays a dark thing across that zone's frame.
    Returns None when the page cannot fit the canvas.
    """
    ref = np.asarray(reference.image.convert("RGB"))
    rh, rw = ref.shape[:2]
    corners = np.array([[0, 0], [rw, 0], [rw, rh], [0, rh]], np.float64)
    params: dict[str, float] = {"scale": scale}
    if condition == "photo":
        if rotation is None:
            rotation = float(rng.uniform(0, 360))
        homography = _camera_homography(rng, rw, rh, rotation, tilt)
    else:
        if rotation is None:
            rotation = float(rng.choice([0, 0, 0, 180, 90, 270])) + float(rng.uniform(-4, 4))
        rot = cv2.getRotationMatrix2D((0, 0), -rotation, 1.0)
        homography = np.vstack([rot, [0, 0, 1]]) @ np.array(
            [[1, 0, -rw / 2], [0, 1, -rh / 2], [0, 0, 1]], np.float64
        )
    quad = apply_homography(homography, corners)
    area = abs(cv2.contourArea(quad.astype(np.float32)))
    k = scale * math.sqrt(rw * rh / area)
    homography = np.diag([k, k, 1.0]) @ homography
    quad = apply_homography(homography, corners)
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    bw, bh = hi - lo
    if condition == "photo":
        width, height = (max(canvas), min(canvas)) if bw >= bh else (min(canvas), max(canvas))
        if bw > 0.98 * width or bh > 0.98 * height or max(bw / width, bh / height) < 0.3:
            return None
        left = rng.uniform(0.01 * width, 0.99 * width - bw)
        top = rng.uniform(0.01 * height, 0.99 * height - bh)
        background = _background(rng, width, height)
    else:
        if max(bw, bh) < MIN_SCAN_PAGE:
            return None
        margins = rng.uniform(0.0, 0.04, 4) * np.array([bw, bh, bw, bh])
        width = round(bw + margins[0] + margins[2])
        height = round(bh + margins[1] + margins[3])
        left, top = margins[0], margins[1]
        lid = rng.uniform(225, 250)
        background = np.full((height, width, 3), lid, np.uint8)
    homography = np.array([[1, 0, left - lo[0]], [0, 1, top - lo[1]], [0, 0, 1]]) @ homography
    homography /= homography[2, 2]
    quad = apply_homography(homography, corners)

    page = np.asarray(_fill_in(reference, rng) if fill_in else reference.image.convert("RGB"))
    paper = (rng.uniform([225, 222, 210], [255, 255, 250]) / 255.0).astype(np.float32)
    if bend is None:
        warped = render_warp(page, homography, (width, height))
        mask = np.zeros((height, width), np.uint8)
        cv2.fillConvexPoly(
            mask, np.round((quad - 0.5) * 16).astype(np.int32), 255, lineType=cv2.LINE_AA, shift=4
        )
    else:
        bend = replace(bend, picture_size=(float(width), float(height)))
        warped = render_bent(page, homography, bend, (width, height))
        sheet = np.full(page.shape[:2], 255, np.uint8)
        mask = render_bent(sheet, homography, bend, (width, height))
    # float32 throughout: these are 12-megapixel arrays.
    out = cv2.blendLinear(
        background.astype(np.float32),
        warped.astype(np.float32),
        (255 - mask).astype(np.float32),
        mask.astype(np.float32),
    )
    light = damage * float(rng.uniform(0.0, 0.9))
    shade = _illumination(rng, width, height, light)
    cast = (rng.uniform(0.85, 1.1, 3)).astype(np.float32)
    inside = mask.astype(np.float32) / 255.0
    for c in range(3):
        channel = out[..., c]
        channel *= shade
        channel *= cast[c] * (1.0 + inside * (paper[c] - 1.0))
    image = Image.fromarray(np.clip(out, 0, 255, out=out).astype(np.uint8))
    occluders = int(rng.integers(0, 4)) if condition == "photo" else int(rng.integers(0, 2))
    _occluders(rng, ImageDraw.Draw(image), quad, occluders)
    if dark_over is not None:
        on_page = dark_over.corners() if bend is None else bend.page(dark_over.corners())
        _dark_across(rng, ImageDraw.Draw(image), apply_homography(homography, on_page))
    blur = damage * float(rng.uniform(0.0, 2.5))
    noise = damage * float(rng.uniform(0.0, 10.0))
    quality = round(95 - damage * float(rng.uniform(0, 65)))
    arr = np.asarray(image) if bend is None else lens_picture(np.asarray(image), bend)
    arr = _degrade(rng, arr, blur, noise)
    picture, data = _encode(rng, arr, quality)
    params.update(
        rotation=float(rotation) % 360,
        blur=blur,
        noise=noise,
        quality=quality,
        light=light,
        occluders=occluders,
    )
    return Picture(picture, data, homography, condition, params, bend)


def unrelated_picture(rng: np.random.Generator, canvas: tuple[int, int] = (4000, 3000)) -> Picture:
    """A busy picture with no page in it at all."""
    arr = _degrade(
        rng, _background(rng, *canvas), float(rng.uniform(0, 2)), float(rng.uniform(0, 8))
    )
    picture, data = _encode(rng, arr, int(rng.integers(40, 95)))
    return Picture(picture, data, np.eye(3), "unrelated")
