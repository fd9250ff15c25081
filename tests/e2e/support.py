"""Helpers for the end-to-end tests: pictures, API shortcuts, canvas geometry and axe-core."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import Server

AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
INK = (34, 40, 49)
PAPER = (251, 250, 246)
BLUE = (40, 90, 190)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()


def form_picture(width: int = 1600, height: int = 1200, number: str = "0042") -> Image.Image:
    """A synthetic invoice form: header, address, table, total box, signature."""
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    u = width / 1600
    line = max(1, round(2 * u))

    def box(x0: float, y0: float, x1: float, y1: float, **kw: Any) -> None:
        draw.rectangle([x0 * u, y0 * u, x1 * u, y1 * u], **kw)

    box(80, 70, 380, 170, fill=BLUE)
    draw.text((110 * u, 100 * u), "ACME", fill=PAPER, font=_font(round(48 * u)))
    draw.text((960 * u, 80 * u), f"INVOICE {number}", fill=INK, font=_font(round(44 * u)))
    draw.text((960 * u, 140 * u), "2024-05-17", fill=INK, font=_font(round(28 * u)))
    for i, text in enumerate(["Jane Example", "12 Harbour Road", "Portsmouth"]):
        draw.text((80 * u, (240 + i * 40) * u), text, fill=INK, font=_font(round(28 * u)))
    box(80, 420, 1520, 880, outline=INK, width=line)
    for i in range(1, 7):
        y = 420 + i * 65
        draw.line([80 * u, y * u, 1520 * u, y * u], fill=(190, 190, 190), width=line)
        draw.text((100 * u, (y - 48) * u), f"Item {i}", fill=INK, font=_font(round(26 * u)))
        draw.text((1340 * u, (y - 48) * u), f"{i * 12}.00", fill=INK, font=_font(round(26 * u)))
    box(1040, 930, 1520, 1040, outline=INK, width=line * 2)
    draw.text((1070 * u, 965 * u), "TOTAL  252.00", fill=INK, font=_font(round(36 * u)))
    signature = [
        (120 + t * 4, 1010 + 34 * math.sin(t / 5) + 16 * math.sin(t / 2.3)) for t in range(100)
    ]
    draw.line(
        [(x * u, y * u) for x, y in signature], fill=BLUE, width=max(2, round(4 * u)), joint="curve"
    )
    draw.line([100 * u, 1080 * u, 560 * u, 1080 * u], fill=INK, width=line)
    return image


def png_file(image: Image.Image, path: Path) -> Path:
    image.save(path, format="PNG")
    return path


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def create_model(
    server: Server, name: str, picture: Image.Image, zones: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A model made over the API (for tests whose subject is not the model page)."""
    response = server.client.post(
        "/api/v1/models",
        data={"name": name},
        files={"image": ("reference.png", png_bytes(picture), "image/png")},
    )
    assert response.status_code == 201, response.text
    model: dict[str, Any] = response.json()
    if zones:
        response = server.client.put(
            f"/api/v1/models/{model['id']}/zones",
            json={"zones": zones},
            headers={"If-Match": f'"{model["version"]}"'},
        )
        assert response.status_code == 200, response.text
        model = response.json()
    return model


@dataclass(frozen=True)
class CanvasView:
    """Where the picture is on the page: for turning image pixels into mouse positions."""

    left: float
    top: float
    zoom: float
    offset_x: float
    offset_y: float

    def to_page(self, x: float, y: float) -> tuple[float, float]:
        return self.left + self.offset_x + x * self.zoom, self.top + self.offset_y + y * self.zoom

    def to_image(self, px: float, py: float) -> tuple[float, float]:
        return (px - self.left - self.offset_x) / self.zoom, (
            py - self.top - self.offset_y
        ) / self.zoom


def open_editor(page: Page, model_id: str) -> CanvasView:
    page.goto(f"/models/{model_id}")
    return wait_for_picture(page)


def wait_for_picture(page: Page) -> CanvasView:
    host = page.locator(".canvas-host")
    host.wait_for()
    page.locator(".canvas-loading").wait_for(state="detached")
    # Functions, not expressions: Playwright evaluates an expression with eval(), which
    # the app's Content-Security-Policy refuses.
    page.wait_for_function(
        "() => document.querySelector('.canvas-host')?.dataset.zoom !== undefined"
    )
    return canvas_view(page)


def canvas_view(page: Page) -> CanvasView:
    host = page.locator(".canvas-host")
    box = host.bounding_box()
    assert box is not None
    data = host.evaluate("h => ({...h.dataset})")
    return CanvasView(
        left=box["x"],
        top=box["y"],
        zoom=float(data["zoom"]),
        offset_x=float(data["offsetX"]),
        offset_y=float(data["offsetY"]),
    )


def drag(page: Page, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    from tests.e2e.conftest import _unavailable

    if not AXE.is_file():
        _unavailable(f"axe-core is not installed at {AXE}: run `cd frontend && npm ci`")
    # Evaluated, not added as a <script>: the app's Content-Security-Policy allows no
    # inline script, and the test's own tool must not need it to.
    page.evaluate(AXE.read_text())
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.map((n) => n.target.join(" "))}))"""
    )
    assert violations == [], violations
