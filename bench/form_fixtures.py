"""Synthetic forms with known fields, for the zone-suggestion tests and bench.

Five families are drawn from a seed, at any page size (A4 at 200 dpi is 1654 x 2339; the
drawing scales with the width):

- ``boxed``: labelled boxes of many widths and heights, some with a caption printed
  inside their top-left corner, under a header frame;
- ``table``: ruled tables: full grids with a header row, and rows ruled inside a frame;
- ``underline``: labels followed by rules to write on, small print above some of them, a
  signature and a date line;
- ``checkbox``: questions answered by ticking small square boxes, and a grid of them;
- ``mixed``: some of each, with what a real form has besides: a logo, a barcode, a
  paragraph of small print, section headings over full-width rules.

Each field is the rectangle a person would draw as a zone, in page pixels: the inside
of its printed frame (boxes, cells, checkboxes, the header frame), or for a rule to write
on, the space above the rule, as long as the rule and ``WRITING_SPACE`` high (less where
print comes nearer, ``WRITING_GAP`` short of it).

``scanned`` turns a form into a scanned-looking copy (skew up to 1 degree, a shift,
blur, uneven light, noise, specks, JPEG artefacts) and moves the fields along: a field of
a skewed page keeps its size and turns about the page's centre with it, which is what
an axis-aligned zone drawn on that page would best hold.

Importing this module has no side effects; everything is a function of its seed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Kind = Literal["box", "cell", "frame", "checkbox", "underline"]
Family = Literal["boxed", "table", "underline", "checkbox", "mixed"]

A4_200_DPI = (1654, 2339)
DESIGN_WIDTH = 1654  # the layouts below are in pixels of an A4 page at 200 dpi
WRITING_SPACE = 63  # design pixels (8 mm) of writing room above a rule
WRITING_GAP = 4  # design pixels left clear under print that comes nearer than that
PAPER = (252, 251, 248)
INKS = ((25, 25, 30), (20, 35, 90), (60, 60, 60))

_WORDS = (
    "name",
    "surname",
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
    "price",
    "tax",
    "item",
    "description",
    "service",
    "contract",
    "branch",
)


@dataclass(frozen=True)
class Field:
    """A rectangle a person would draw as a zone on the form, in page pixels."""

    x: int
    y: int
    width: int
    height: int
    kind: Kind

    def iou(self, x: float, y: float, width: float, height: float) -> float:
        """Intersection over union with another rectangle."""
        ix = max(0.0, min(self.x + self.width, x + width) - max(self.x, x))
        iy = max(0.0, min(self.y + self.height, y + height) - max(self.y, y))
        inter = ix * iy
        union = self.width * self.height + width * height - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Form:
    """A form's page and its fields."""

    family: str
    seed: int
    image: Image.Image
    fields: tuple[Field, ...]
    condition: str = "clean"


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, round(size)))


class _Page:
    """A page being drawn: text, boxes, grids and rules, with the fields they make."""

    def __init__(self, width: int, height: int, rng: np.random.Generator) -> None:
        self.width, self.height = width, height
        self.rng = rng
        self.u = width / DESIGN_WIDTH
        self.image = Image.new("RGB", (width, height), PAPER)
        self.draw = ImageDraw.Draw(self.image)
        self.fields: list[Field] = []
        self.rules: list[tuple[int, int, int, int]] = []  # x0, x1, top, thickness
        self.ink = INKS[int(rng.integers(len(INKS)))]
        self.stroke = int(rng.integers(1, 4))
        self.left = self.px(120)
        self.right = width - self.px(120)

    def px(self, design: float) -> int:
        return round(design * self.u)

    def words(self, n: int) -> str:
        return " ".join(str(self.rng.choice(_WORDS)) for _ in range(n))

    def label(self, n: int = 2) -> str:
        return self.words(n).capitalize()

    def text(
        self, x: int, y: int, s: str, size: float, fill: tuple[int, int, int] | None = None
    ) -> int:
        """Draws ``s`` with its top-left at (x, y); answers its right end."""
        font = _font(size * self.u)
        self.draw.text((x, y), s, font=font, fill=fill or self.ink)
        return x + round(self.draw.textlength(s, font=font))

    def block(self, x0: int, y0: int, x1: int, y1: int, fill: tuple[int, int, int]) -> None:
        """A filled rectangle covering columns x0..x1-1 and rows y0..y1-1."""
        if x1 > x0 and y1 > y0:
            self.draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=fill)

    def box(
        self,
        x: int,
        y: int,
        width: int,
        height: int,
        kind: Kind = "box",
        stroke: int | None = None,
        ink: tuple[int, int, int] | None = None,
    ) -> Field:
        """A frame of ``stroke`` pixels whose outer edge is (x, y, width, height)."""
        t = stroke or self.stroke
        colour = ink or self.ink
        self.block(x, y, x + width, y + t, colour)
        self.block(x, y + height - t, x + width, y + height, colour)
        self.block(x, y, x + t, y + height, colour)
        self.block(x + width - t, y, x + width, y + height, colour)
        field = Field(x + t, y + t, width - 2 * t, height - 2 * t, kind)
        self.fields.append(field)
        return field

    def rounded_box(self, x: int, y: int, width: int, height: int) -> Field:
        """A frame with round corners; its field is the inside of its straight sides."""
        t = self.stroke
        radius = self.px(int(self.rng.integers(8, 18)))
        self.draw.rounded_rectangle(
            [x, y, x + width - 1, y + height - 1], radius=radius, outline=self.ink, width=t
        )
        field = Field(x + t, y + t, width - 2 * t, height - 2 * t, "box")
        self.fields.append(field)
        return field

    def scribble(self, field: Field) -> None:
        """Handwriting inside a field, as on a form filled in for an example."""
        margin = self.px(8)
        if field.width < 4 * margin or field.height < 3 * margin:
            return
        end = field.x + min(field.width - margin, self.px(420))
        xs = np.arange(field.x + margin, end, 2.0)
        # Letters a few millimetres high, whatever the size of the field.
        middle = field.y + field.height / 2
        reach = min((field.height / 2 - margin) * 0.8, float(self.px(18)))
        phases = self.rng.uniform(0, 2 * math.pi, 3)
        periods = self.rng.uniform(12, 40, 3) * self.u
        ys = middle + reach * sum(
            np.sin(2 * math.pi * xs / period + phase) / 3
            for period, phase in zip(periods, phases, strict=True)
        )
        points = [(float(a), float(b)) for a, b in zip(xs, ys, strict=True)]
        self.draw.line(points, fill=(30, 45, 150), width=max(2, self.px(3)), joint="curve")

    def grid(
        self,
        x: int,
        y: int,
        columns: list[int],
        rows: list[int],
        outer: int,
        inner: int,
        inner_ink: tuple[int, int, int] | None = None,
        vertical: bool = True,
    ) -> list[list[Field]]:
        """A table: ``columns`` and ``rows`` are the insides of its cells, ruled by lines
        ``inner`` thick inside and ``outer`` around. Without ``vertical`` rules, each row
        is one cell as wide as the table."""
        if not vertical:
            columns = [sum(columns) + inner * (len(columns) - 1)]
        width = sum(columns) + inner * (len(columns) - 1) + 2 * outer
        height = sum(rows) + inner * (len(rows) - 1) + 2 * outer
        ink_in = inner_ink or self.ink
        cells: list[list[Field]] = []
        top = y + outer
        for r, row in enumerate(rows):
            if r > 0:
                self.block(x + outer, top - inner, x + width - outer, top, ink_in)
            left = x + outer
            line = []
            for c, column in enumerate(columns):
                if c > 0 and vertical:
                    self.block(left - inner, y + outer, left, y + height - outer, ink_in)
                field = Field(left, top, column, row, "cell")
                self.fields.append(field)
                line.append(field)
                left += column + inner
            cells.append(line)
            top += row + inner
        self.block(x, y, x + width, y + outer, self.ink)
        self.block(x, y + height - outer, x + width, y + height, self.ink)
        self.block(x, y, x + outer, y + height, self.ink)
        self.block(x + width - outer, y, x + width, y + height, self.ink)
        return cells

    def rule(self, x0: int, x1: int, y: int, stroke: int | None = None) -> None:
        """A rule to write on, its top at ``y``; its field is worked out at the end."""
        t = stroke or self.stroke
        self.block(x0, y, x1, y + t, self.ink)
        self.rules.append((x0, x1, y, t))

    def separator(self, y: int, stroke: int = 2) -> None:
        """A rule that is no field: under a heading, across the page."""
        self.block(self.left, y, self.right, y + stroke, self.ink)

    def columns(self, count: int, total: int, gap: int = 0) -> list[int]:
        """``count`` widths adding up to ``total`` (less the gaps), none too narrow."""
        shares = self.rng.uniform(0.6, 1.6, count)
        room = total - gap * (count - 1)
        widths = [int(room * s / shares.sum()) for s in shares]
        widths[-1] += room - sum(widths)
        return widths

    def finish(self, family: str, seed: int) -> Form:
        """The form, with the fields of its rules measured on the page as drawn."""
        ink = np.asarray(self.image.convert("L")) < 160
        fields = list(self.fields)
        space, gap = self.px(WRITING_SPACE), self.px(WRITING_GAP)
        for x0, x1, top, _t in self.rules:
            above = ink[max(0, top - space - gap) : top, x0:x1].any(axis=1)
            rows = np.flatnonzero(above)
            start = max(0, top - space)
            if len(rows):
                start = max(start, max(0, top - space - gap) + int(rows[-1]) + 1 + gap)
            fields.append(Field(x0, start, x1 - x0, top - start, "underline"))
        return Form(family, seed, self.image, tuple(fields))


def _header(page: _Page, y: int) -> int:
    """A header frame holding a title, an issuer and a form number; answers the y below."""
    height = page.px(int(page.rng.integers(170, 230)))
    frame = page.box(page.left, y, page.right - page.left, height, "frame", stroke=3)
    page.text(frame.x + page.px(30), frame.y + page.px(28), page.words(2).upper() + " FORM", 46)
    page.text(frame.x + page.px(30), frame.y + page.px(95), page.label(4), 24, (90, 90, 90))
    right = frame.x + frame.width - page.px(330)
    page.text(
        right,
        frame.y + page.px(24),
        f"Form {page.rng.integers(10, 99)}-{chr(65 + int(page.rng.integers(26)))}",
        24,
    )
    # For office use: a box inside the header's frame.
    page.text(right, frame.y + page.px(66), "Reference", 18, (90, 90, 90))
    page.box(right, frame.y + page.px(92), page.px(300), page.px(56), stroke=2)
    return y + height + page.px(50)


def _boxed_rows(page: _Page, y: int, bottom: int) -> int:
    """Rows of labelled boxes until ``bottom``; answers the y below the last."""
    gap = page.px(36)
    while True:
        count = int(page.rng.integers(1, 4))
        height = page.px(int(page.rng.choice([46, 52, 60, 60, 120, 180])))
        if y + page.px(34) + height > bottom:
            return y
        widths = page.columns(count, page.right - page.left, gap)
        x = page.left
        inside = bool(page.rng.random() < 0.3)
        for width in widths:
            if inside:  # the caption printed in the box's top-left corner, as on tax forms
                field = page.box(x, y, width, height + page.px(24))
                page.text(field.x + page.px(6), field.y + page.px(3), page.label(2), 17)
            else:
                page.text(x, y, page.label(2), 22)
                if page.rng.random() < 0.3:
                    field = page.rounded_box(x, y + page.px(30), width, height)
                else:
                    field = page.box(x, y + page.px(30), width, height)
                if page.rng.random() < 0.25 and field.height > page.px(40):
                    page.text(field.x + page.px(10), field.y + page.px(10), page.label(2), 22)
                elif page.rng.random() < 0.25:
                    page.scribble(field)
            x += width + gap
        y += height + page.px(30) + page.px(int(page.rng.integers(40, 70)))


def _table(page: _Page, y: int, bottom: int, vertical: bool = True) -> int:
    """A titled table (a full grid, or rows ruled in a frame); answers the y below."""
    page.text(page.left, y, page.words(2).upper(), 28)
    y += page.px(50)
    count = int(page.rng.integers(3, 7))
    columns = page.columns(count, page.right - page.left - page.px(8))
    header = page.px(int(page.rng.integers(50, 64)))
    body = page.px(int(page.rng.integers(42, 58)))
    room = (bottom - y - header) // (body + page.px(2))
    rows = [header] + [body] * max(2, min(int(page.rng.integers(5, 13)), room))
    outer = int(page.rng.integers(2, 4))
    inner = int(page.rng.integers(1, 3))
    light = (150, 150, 150) if page.rng.random() < 0.3 else None
    cells = page.grid(page.left, y, columns, rows, outer, inner, light, vertical)
    shaded = page.rng.random() < 0.4
    for cell in cells[0]:
        if shaded:  # a grey header row, as many tables have
            page.block(cell.x, cell.y, cell.x + cell.width, cell.y + cell.height, (226, 226, 226))
        page.text(cell.x + page.px(8), cell.y + page.px(14), page.label(1), 22)
        if not vertical:
            break
    for line in cells[1:]:
        for cell in line:
            chance = page.rng.random()
            if chance < 0.35:
                text = f"{page.rng.integers(1, 999)}.{page.rng.integers(10, 99)}"
                page.text(cell.x + page.px(8), cell.y + page.px(10), text, 20)
            elif chance < 0.45:
                page.scribble(cell)
    return y + sum(rows) + page.px(80)


def _underlines(page: _Page, y: int, bottom: int) -> int:
    """Rows of labels and rules to write on; answers the y below the last."""
    while y + page.px(110) < bottom:
        y += page.px(int(page.rng.integers(95, 125)))
        pairs = int(page.rng.integers(1, 3))
        span = (page.right - page.left - page.px(40) * (pairs - 1)) // pairs
        x = page.left
        for _ in range(pairs):
            label = page.label(int(page.rng.integers(1, 3))) + ":"
            end = page.text(x, y - page.px(30), label, 24)
            rule_start = end + page.px(14)
            rule_end = x + span
            if rule_end - rule_start > page.px(150):
                if page.rng.random() < 0.2:  # a hint in small print above the rule
                    page.text(
                        rule_start + page.px(10), y - page.px(70), "(" + page.words(2) + ")", 16
                    )
                page.rule(rule_start, rule_end, y)
            x += span + page.px(40)
    return y + page.px(60)


def _signature(page: _Page, y: int) -> int:
    """A signature and a date line with captions under them; answers the y below."""
    y += page.px(90)
    width = page.px(int(page.rng.integers(420, 560)))
    page.rule(page.left, page.left + width, y)
    page.text(page.left, y + page.px(12), "Signature", 20)
    date_x = page.right - page.px(360)
    page.rule(date_x, page.right, y)
    page.text(date_x, y + page.px(12), "Date", 20)
    return y + page.px(70)


def _checkboxes(page: _Page, y: int, bottom: int) -> int:
    """Questions with boxes to tick, then a grid of them; answers the y below."""
    side = page.px(int(page.rng.integers(26, 42)))
    stroke = max(1, min(page.stroke, 2))
    while y + page.px(120) < bottom - page.px(400):
        page.text(page.left, y, page.label(4) + "?", 24)
        y += page.px(44)
        x = page.left
        for _ in range(int(page.rng.integers(2, 5))):
            page.box(x, y, side, side, "checkbox", stroke=stroke)
            x = page.text(x + side + page.px(14), y + (side - page.px(24)) // 2, page.label(1), 22)
            x += page.px(60)
        y += side + page.px(int(page.rng.integers(40, 60)))
    # A grid of boxes: options down, columns across, each box alone.
    names = [page.label(1) for _ in range(int(page.rng.integers(3, 6)))]
    for c, name in enumerate(names):
        page.text(page.left + page.px(420 + 190 * c), y, name, 20)
    y += page.px(44)
    for _ in range(int(page.rng.integers(3, 6))):
        if y + side > bottom:
            break
        page.text(page.left, y + (side - page.px(22)) // 2, page.label(3), 22)
        for c in range(len(names)):
            page.box(page.left + page.px(430 + 190 * c), y, side, side, "checkbox", stroke=stroke)
        y += side + page.px(26)
    return y + page.px(40)


def _nuisances(page: _Page, y: int) -> int:
    """A heading over a full-width rule, or in white on a dark bar, and a paragraph of
    small print: no fields."""
    if page.rng.random() < 0.5:
        page.text(page.left, y, page.words(3).upper(), 30)
        page.separator(y + page.px(44))
    else:
        page.block(page.left, y, page.right, y + page.px(48), (55, 60, 80))
        page.text(page.left + page.px(14), y + page.px(10), page.words(3).upper(), 28, PAPER)
    y += page.px(66)
    for _ in range(int(page.rng.integers(3, 6))):
        page.text(page.left, y, page.words(14).capitalize() + ".", 18, (70, 70, 70))
        y += page.px(28)
    return y + page.px(40)


def _logo_and_barcode(page: _Page) -> None:
    """A solid logo and a barcode in the bottom margin: print, not fields."""
    y = page.height - page.px(150)
    page.block(page.left, y, page.left + page.px(120), y + page.px(90), (150, 30, 30))
    x = page.right - page.px(360)
    while x < page.right:
        width = page.px(int(page.rng.integers(2, 8)))
        page.block(x, y, x + width, y + page.px(90), page.ink)
        x += width + page.px(int(page.rng.integers(3, 9)))


def boxed_form(seed: int, size: tuple[int, int] = A4_200_DPI) -> Form:
    """Labelled boxes under a header frame."""
    page = _Page(*size, np.random.default_rng([1, seed]))
    y = _header(page, page.px(110))
    _boxed_rows(page, y, page.height - page.px(200))
    _logo_and_barcode(page)
    return page.finish("boxed", seed)


def table_form(seed: int, size: tuple[int, int] = A4_200_DPI) -> Form:
    """A grid table, then rows ruled in a frame."""
    page = _Page(*size, np.random.default_rng([2, seed]))
    y = page.px(110)
    page.text(page.left, y, page.words(2).upper(), 44)
    y += page.px(100)
    y = _table(page, y, page.height // 2 + page.px(200))
    _table(page, y, page.height - page.px(220), vertical=bool(page.rng.random() < 0.5))
    return page.finish("table", seed)


def underline_form(seed: int, size: tuple[int, int] = A4_200_DPI) -> Form:
    """Labels and rules to write on, a signature and a date."""
    page = _Page(*size, np.random.default_rng([3, seed]))
    y = page.px(110)
    page.text(page.left, y, page.words(2).upper() + " FORM", 44)
    y = _underlines(page, y + page.px(80), page.height - page.px(420))
    _signature(page, y)
    return page.finish("underline", seed)


def checkbox_form(seed: int, size: tuple[int, int] = A4_200_DPI) -> Form:
    """Questions with boxes to tick and a grid of them."""
    page = _Page(*size, np.random.default_rng([4, seed]))
    y = page.px(110)
    page.text(page.left, y, page.words(2).upper(), 44)
    _checkboxes(page, y + page.px(110), page.height - page.px(150))
    return page.finish("checkbox", seed)


def mixed_form(seed: int, size: tuple[int, int] = A4_200_DPI) -> Form:
    """A bit of everything, as a real form has it, with print that is no field."""
    page = _Page(*size, np.random.default_rng([5, seed]))
    h = page.height
    y = _header(page, page.px(110))
    y = _boxed_rows(page, y, y + page.px(420))
    y = _nuisances(page, y)
    y = _table(page, y, y + page.px(520))
    side = page.px(34)
    page.text(page.left, y, page.label(4) + "?", 24)
    x = page.left
    for _ in range(3):
        page.box(x, y + page.px(44), side, side, "checkbox", stroke=2)
        x = page.text(x + side + page.px(14), y + page.px(48), page.label(1), 22) + page.px(60)
    y = _underlines(page, y + page.px(100), min(h - page.px(420), y + page.px(500)))
    _signature(page, y)
    _logo_and_barcode(page)
    return page.finish("mixed", seed)


FAMILIES: dict[str, Callable[[int, tuple[int, int]], Form]] = {
    "boxed": boxed_form,
    "table": table_form,
    "underline": underline_form,
    "checkbox": checkbox_form,
    "mixed": mixed_form,
}


def twelve_boxes(size: tuple[int, int] = (1240, 1754)) -> Form:
    """A plain form of twelve labelled boxes, three across and four down, under a title:
    the form the API and browser tests draw a model from."""
    page = _Page(*size, np.random.default_rng(12))
    page.stroke = 3
    page.ink = INKS[0]
    page.text(page.left, page.px(110), "APPLICATION FORM", 48)
    gap = page.px(60)
    width = (page.right - page.left - 2 * gap) // 3
    height = page.px(170)
    for row in range(4):
        for column in range(3):
            x = page.left + column * (width + gap)
            y = page.px(280) + row * (height + page.px(150))
            page.text(x, y, f"Field {row * 3 + column + 1}", 26)
            page.box(x, y + page.px(40), width, height)
    return page.finish("twelve", 0)


def scanned(form: Form, seed: int) -> Form:
    """A scanned-looking copy of ``form``: turned by up to 1 degree and shifted a little,
    blurred, unevenly lit, noisy, flecked and saved as JPEG; its fields moved along."""
    rng = np.random.default_rng([99, seed])
    width, height = form.image.size
    angle = float(rng.uniform(-1.0, 1.0))
    shift = rng.uniform(-8, 8, 2) * width / DESIGN_WIDTH
    paper = int(rng.integers(232, 250))
    grey = form.image.convert("L")
    turned = grey.rotate(
        angle,
        resample=Image.Resampling.BICUBIC,
        translate=(float(shift[0]), float(shift[1])),
        fillcolor=paper,
    )
    turned = turned.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 1.0))))
    pixels = np.asarray(turned, np.float32) * (paper / 252.0)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = (
        1.0
        - float(rng.uniform(0.0, 0.08)) * (xs / width)
        - float(rng.uniform(0, 0.06)) * (ys / height)
    )
    pixels = pixels * light + rng.normal(0, float(rng.uniform(4, 9)), pixels.shape)
    for _ in range(int(rng.integers(200, 600))):  # specks of dust
        x, y = int(rng.integers(width)), int(rng.integers(height))
        r = int(rng.integers(1, 3))
        pixels[y : y + r, x : x + r] = float(rng.uniform(40, 140))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=int(rng.integers(50, 80)))
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    # PIL turns counter-clockwise on screen by `angle` about the centre, then shifts.
    theta = math.radians(angle)
    cx, cy = width / 2, height / 2
    cos, sin = math.cos(theta), math.sin(theta)
    moved = []
    for field in form.fields:
        fx = field.x + field.width / 2 - cx
        fy = field.y + field.height / 2 - cy
        nx = cx + fx * cos + fy * sin + shift[0]
        ny = cy - fx * sin + fy * cos + shift[1]
        moved.append(replace(field, x=round(nx - field.width / 2), y=round(ny - field.height / 2)))
    return Form(form.family, form.seed, image, tuple(moved), condition="scanned")
