"""Zones drawn for you, in a real browser: a model of twelve fields made by accepting the
editor's suggestions only (a click, the keyboard, a lasso), then used to cut a picture;
edges snapping to printed lines while drawing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect

from bench.form_fixtures import Field, mixed_form, twelve_boxes
from tests.e2e.conftest import Server
from tests.e2e.support import (
    assert_accessible,
    create_model,
    drag,
    open_editor,
    png_bytes,
)

pytestmark = pytest.mark.e2e

PAGE = (1240, 1754)  # A4 at 150 dpi
FORM = twelve_boxes(PAGE)


def zone_rows(page: Page) -> Locator:
    return page.locator(".zone-list .zone-row")


def suggestion_buttons(page: Page) -> Locator:
    return page.locator(".suggestion-layer button")


def centre(field: Field) -> tuple[float, float]:
    return field.x + field.width / 2, field.y + field.height / 2


def filled_in(form: Image.Image) -> bytes:
    """The form as someone filled it in: a scribble in every box."""
    picture = form.copy()
    draw = ImageDraw.Draw(picture)
    for field in FORM.fields:
        x, y = field.x + 20, field.y + field.height // 2
        draw.line([(x, y), (x + 60, y - 25), (x + 120, y + 20), (x + 200, y - 10)], "navy", 5)
    return png_bytes(picture)


def test_a_twelve_field_model_drawn_from_suggestions_alone_cuts_a_picture(
    page: Page, server: Server, docs_dir: Path
) -> None:
    model = create_model(server, "Application form", FORM.image)
    view = open_editor(page, model["id"])
    toggle = page.get_by_role("button", name="Suggest", exact=True)
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status").filter(has_text="12 suggested")).to_be_visible()
    expect(suggestion_buttons(page)).to_have_count(12)
    assert_accessible(page)  # the suggestions shown, as buttons the keyboard reaches

    # A click on a ghost adds it: a zone with a name and a folder to fill in.
    page.mouse.click(*view.to_page(*centre(FORM.fields[0])))
    expect(zone_rows(page)).to_have_count(1)
    page.get_by_label("Name", exact=True).fill("surname")
    page.get_by_label("Folder", exact=True).fill("applicants/surnames")
    expect(suggestion_buttons(page)).to_have_count(11)

    # The keyboard: Tab from the canvas to the first suggestion, Enter adds it, and the
    # focus moves on to the next, in reading order.
    page.locator(".canvas-host").focus()
    page.keyboard.press("Tab")
    first = suggestion_buttons(page).first
    expect(first).to_be_focused()
    expect(first).to_have_accessible_name(
        f"Add the suggested box at {FORM.fields[1].x}, {FORM.fields[1].y}, "
        f"{FORM.fields[1].width} by {FORM.fields[1].height} pixels"
    )
    page.keyboard.press("Enter")
    expect(zone_rows(page)).to_have_count(2)
    expect(suggestion_buttons(page).first).to_be_focused()
    page.keyboard.press("Enter")
    expect(zone_rows(page)).to_have_count(3)

    # A lasso (Shift-drag on empty picture) adds every suggestion inside it: one step.
    left, top = view.to_page(40, FORM.fields[3].y - 60)
    right, bottom = view.to_page(PAGE[0] - 40, PAGE[1] - 40)
    page.keyboard.down("Shift")
    page.mouse.move(left, top)
    page.mouse.down()
    page.mouse.move((left + right) / 2, (top + bottom) / 2, steps=8)
    page.screenshot(path=str(docs_dir / "suggest-2-lasso.png"))
    page.mouse.move(right, bottom, steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(zone_rows(page)).to_have_count(12)
    expect(page.get_by_role("status").filter(has_text="Nothing more to suggest")).to_be_visible()
    page.keyboard.press("Control+z")
    expect(zone_rows(page)).to_have_count(3)
    page.keyboard.press("Control+Shift+z")
    expect(zone_rows(page)).to_have_count(12)

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("All changes saved")).to_be_visible()
    page.mouse.move(*view.to_page(PAGE[0] / 2, 60))
    page.screenshot(path=str(docs_dir / "suggest-3-zones.png"))
    assert_accessible(page)

    saved = server.client.get(f"/api/v1/models/{model['id']}").json()
    rects = {(z["x"], z["y"], z["width"], z["height"]) for z in saved["zones"]}
    assert rects == {(f.x, f.y, f.width, f.height) for f in FORM.fields}
    surname = next(z for z in saved["zones"] if z["name"] == "surname")
    assert (surname["folder"], surname["x"], surname["y"]) == (
        "applicants/surnames",
        FORM.fields[0].x,
        FORM.fields[0].y,
    )

    # The model cuts a filled-in form: twelve crops, each the inside of its box.
    answer = server.client.post(
        "/api/v1/extract",
        data={"model": model["id"]},
        files={"image": ("filled.png", filled_in(FORM.image), "image/png")},
    )
    assert answer.status_code == 201, answer.text
    crops = answer.json()["crops"]
    assert len(crops) == 12
    by_zone = {z["id"]: z for z in saved["zones"]}
    for crop in crops:
        zone = by_zone[crop["zone_id"]]
        assert (crop["width"], crop["height"]) == (zone["width"], zone["height"])
    cut = server.client.get(surname_crop(crops, surname)["url"])
    assert cut.status_code == 200
    image = Image.open(io.BytesIO(cut.content)).convert("L")
    darkest, _ = image.getextrema()
    assert darkest < 100  # the scribble, inside the box
    assert image.getpixel((image.width - 3, image.height - 3)) > 200  # and no frame


def surname_crop(crops: list[dict[str, Any]], zone: dict[str, Any]) -> dict[str, Any]:
    return next(crop for crop in crops if crop["zone_id"] == zone["id"])


def test_a_rough_drag_snaps_to_the_printed_box_unless_alt_is_held(
    page: Page, server: Server
) -> None:
    model = create_model(server, "Snapping", FORM.image)
    view = open_editor(page, model["id"])
    field = FORM.fields[4]
    # Three screen pixels outside the inside of the box, at every corner.
    slack = 3 / view.zoom
    start = view.to_page(field.x - slack, field.y + slack)
    end = view.to_page(field.x + field.width + slack, field.y + field.height - slack)
    expect(page.get_by_text("Drag on the picture to draw the first zone.")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('.suggest-toggle .count')?.textContent === '12'"
    )
    drag(page, start, end)
    expect(zone_rows(page)).to_have_count(1)
    for label, value in (
        ("X", field.x),
        ("Y", field.y),
        ("Width", field.width),
        ("Height", field.height),
    ):
        expect(page.get_by_label(label, exact=True)).to_have_value(str(value))

    # Held Alt: placed where the pointer says, a few pixels off the print.
    other = FORM.fields[7]
    page.keyboard.down("Alt")
    drag(
        page,
        view.to_page(other.x - slack, other.y - slack),
        view.to_page(other.x + other.width + slack, other.y + other.height + slack),
    )
    page.keyboard.up("Alt")
    expect(zone_rows(page)).to_have_count(2)
    x = int(page.get_by_label("X", exact=True).input_value())
    assert x < other.x - 1


def test_a_form_of_every_kind_shows_its_boxes_cells_checkboxes_and_lines(
    page: Page, server: Server, docs_dir: Path
) -> None:
    form = mixed_form(3)
    model = create_model(server, "Claim form", form.image)
    view = open_editor(page, model["id"])
    page.get_by_role("button", name="Suggest", exact=True).click()
    buttons = suggestion_buttons(page)
    expect(buttons).to_have_count(len(form.fields))
    names = " | ".join(buttons.evaluate_all("all => all.map((b) => b.getAttribute('aria-label'))"))
    for kind in ("box", "table cell", "checkbox", "line to write on", "frame"):
        assert f"suggested {kind} at" in names, kind
    assert_accessible(page)
    cell = next(f for f in form.fields if f.kind == "cell")
    page.mouse.move(*view.to_page(*centre(cell)))
    page.screenshot(path=str(docs_dir / "suggest-1-shown.png"))
