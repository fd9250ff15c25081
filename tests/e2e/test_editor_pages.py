"""The zone editor on a reference of several pages: a strip of pages, one page on the canvas.

The reference is a three-page PDF made in the test (Pillow writes it, the server renders it
with PDFium at 200 dpi): pages of 850x1100 pixels written at 100 dpi (8.5x11 in) become
reference pages of 1700x2200 pixels.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Server
from tests.e2e.support import (
    BLUE,
    assert_accessible,
    create_model,
    drag,
    form_picture,
    open_editor,
    wait_for_picture,
)

pytestmark = pytest.mark.e2e

PDF_DPI = 100  # the pages' pixels per inch in the PDF written here
RENDER_DPI = 200  # the server renders a PDF reference at 200 dpi
PAGE_PX = (850, 1100)
PAGE_ONE_ZONE: dict[str, Any] = {
    "name": "number",
    "folder": "numbers",
    "page": 1,
    "x": 1000,
    "y": 140,
    "width": 600,
    "height": 120,
}
# Page 3 is rendered at twice the size written: a box drawn at (120, 700)-(520, 900) in
# the PDF's pixels lands at twice those figures in the reference's.
SIGNATURE_BOX = (120, 700, 520, 900)


def numbered_page(number: int) -> Image.Image:
    """A form page that says which page it is, in a large label nobody can miss."""
    page = form_picture(*PAGE_PX, number=f"00{number}")
    draw = ImageDraw.Draw(page)
    draw.rectangle([560, 960, 820, 1080], fill=BLUE)
    draw.text((585, 985), f"PAGE {number}", fill=(255, 255, 255), font=ImageFont.load_default(44))
    if number == 3:
        x0, y0, x1, y1 = SIGNATURE_BOX
        draw.rectangle([x0, y0, x1, y1], outline=BLUE, width=3)
        draw.text((x0 + 14, y0 + 12), "Signature", fill=BLUE, font=ImageFont.load_default(26))
    return page


def three_page_pdf() -> bytes:
    first, *rest = [numbered_page(n) for n in (1, 2, 3)]
    buffer = io.BytesIO()
    first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=PDF_DPI)
    return buffer.getvalue()


def create_pdf_model(server: Server, name: str, zones: list[dict[str, Any]]) -> dict[str, Any]:
    response = server.client.post(
        "/api/v1/models",
        data={"name": name},
        files={"image": ("three-pages.pdf", three_page_pdf(), "application/pdf")},
    )
    assert response.status_code == 201, (
        "the server does not take a PDF as a model's reference yet: "
        f"{response.status_code} {response.text}"
    )
    model: dict[str, Any] = response.json()
    response = server.client.put(
        f"/api/v1/models/{model['id']}/zones",
        json={"zones": zones},
        headers={"If-Match": f'"{model["version"]}"'},
    )
    assert response.status_code == 200, (
        f"the server does not take zones with a page yet: {response.status_code} {response.text}"
    )
    saved: dict[str, Any] = response.json()
    return saved


def page_strip(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Pages")


def page_button(page: Page, number: int) -> Locator:
    return page_strip(page).get_by_role("button", name=f"Page {number}", exact=True)


def zone_rows(page: Page) -> Locator:
    return page.locator(".zone-list .zone-row")


def test_zones_are_drawn_and_saved_on_the_page_shown(
    page: Page, server: Server, tmp_path: Path
) -> None:
    model = create_pdf_model(server, "Three-page form", [PAGE_ONE_ZONE])
    assert [(p["page"], p["width"], p["height"]) for p in model["image"]["pages"]] == [
        (n, PAGE_PX[0] * RENDER_DPI // PDF_DPI, PAGE_PX[1] * RENDER_DPI // PDF_DPI)
        for n in (1, 2, 3)
    ]
    existing = model["zones"][0]
    open_editor(page, model["id"])

    # Three thumbnails, each with its number and how many zones it holds; page 1 shown.
    strip = page_strip(page)
    expect(strip.get_by_role("button")).to_have_count(3)
    expect(page_button(page, 1)).to_have_accessible_description("1 zone")
    expect(page_button(page, 2)).to_have_accessible_description("0 zones")
    expect(page_button(page, 1)).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Page 1 of 3 · 1700\u00d72200 px")).to_be_visible()
    expect(zone_rows(page)).to_have_count(1)

    # A click shows page 2: its own (empty) zone list, and the picture of page 2.
    page_button(page, 2).click()
    expect(page_button(page, 2)).to_have_attribute("aria-current", "page")
    expect(page_button(page, 1)).not_to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name=re.compile(r"^Zones on page 2"))).to_be_visible()
    expect(zone_rows(page)).to_have_count(0)
    wait_for_picture(page)

    # PageDown on the canvas shows page 3.
    page.locator(".canvas-host").focus()
    page.keyboard.press("PageDown")
    expect(page_button(page, 3)).to_have_attribute("aria-current", "page")
    view = wait_for_picture(page)

    x0, y0, x1, y1 = (v * RENDER_DPI // PDF_DPI for v in SIGNATURE_BOX)
    start, end = view.to_page(x0, y0), view.to_page(x1, y1)
    page.keyboard.down("Alt")  # no snapping: the zone is where the mouse went
    drag(page, start, end)
    page.keyboard.up("Alt")
    page.get_by_label("Name", exact=True).fill("signature")
    page.get_by_label("Folder", exact=True).fill("signatures")
    expect(page_button(page, 3)).to_have_accessible_description("1 zone")
    expect(page.get_by_text("Unsaved changes")).to_be_visible()

    # Undo from page 1 shows page 3, where the zone it takes away was; redo brings it back.
    page_button(page, 1).click()
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect(page_button(page, 3)).to_have_attribute("aria-current", "page")
    expect(page_button(page, 3)).to_have_accessible_description("0 zones")
    for _ in range(3):
        page.keyboard.press("Control+Shift+z")
    expect(page_button(page, 3)).to_have_accessible_description("1 zone")
    expect(page.get_by_role("button", name="Zone signature in signatures")).to_be_visible()

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("All changes saved")).to_be_visible()

    saved = server.client.get(f"/api/v1/models/{model['id']}").json()
    by_name = {z["name"]: z for z in saved["zones"]}
    assert set(by_name) == {"number", "signature"}
    assert by_name["number"] == existing  # the page-1 zone, untouched
    drawn = by_name["signature"]
    assert drawn["page"] == 3 and drawn["folder"] == "signatures"
    ax, ay = view.to_image(*start)
    bx, by = view.to_image(*end)
    tolerance = max(1.0, 1.0 / view.zoom)
    for key, expected in (("x", ax), ("y", ay), ("width", bx - ax), ("height", by - ay)):
        assert abs(drawn[key] - expected) <= tolerance, (key, drawn[key], expected, tolerance)

    page.get_by_role("button", name="Zone signature in signatures").click()
    assert_accessible(page)  # the editor with its strip of pages, a zone selected
    page.mouse.move(*view.to_page(1400, 1800))
    page.screenshot(path=str(tmp_path / "editor-pages.png"))


def test_a_pdf_chosen_in_the_new_model_dialog_makes_a_model_of_its_pages(
    page: Page, server: Server, tmp_path: Path
) -> None:
    pdf = tmp_path / "three-pages.pdf"
    pdf.write_bytes(three_page_pdf())
    page.goto("/")
    page.get_by_role("button", name="New model").click()
    reference = page.get_by_label("Reference image", exact=True)
    accept = reference.get_attribute("accept") or ""
    assert "application/pdf" in accept and ".pdf" in accept and ".tiff" in accept
    reference.set_input_files(pdf)
    # A browser shows no PDF as a picture: the dialog names what was chosen instead.
    expect(page.get_by_role("img", name="The chosen reference picture")).to_have_text("PDF")
    expect(page.get_by_label("Model name", exact=True)).to_have_value("three-pages")
    assert_accessible(page)
    page.get_by_role("button", name="Create model").click()
    page.wait_for_url(re.compile(r"/models/[0-9a-f-]{36}$"))
    wait_for_picture(page)
    expect(page_strip(page).get_by_role("button")).to_have_count(3)
    page.goto("/")
    expect(page.get_by_text(re.compile(r"0 zones · 3 pages · 1700\u00d72200"))).to_be_visible()


def test_a_one_page_model_has_no_strip_of_pages(page: Page, server: Server) -> None:
    model = create_model(server, "One page", form_picture(800, 600))
    open_editor(page, model["id"])
    expect(page.get_by_role("toolbar", name="Editor tools")).to_be_visible()
    expect(page_strip(page)).to_have_count(0)
    expect(page.get_by_role("heading", name=re.compile(r"^Zones"))).to_have_text("Zones 0")
    expect(page.get_by_text("800\u00d7600 px · version 1")).to_be_visible()
