"""The zone editor in a real browser: draw, name, save, reload, undo, conflicts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Server
from tests.e2e.support import (
    assert_accessible,
    canvas_view,
    create_model,
    drag,
    form_picture,
    open_editor,
    png_file,
    wait_for_picture,
)

pytestmark = pytest.mark.e2e

SIGNATURE = (90.0, 940.0, 580.0, 1090.0)
TOTAL = (1040.0, 930.0, 1520.0, 1040.0)
OLDER_ZONES: list[dict[str, object]] = [
    {"name": "signature", "folder": "signatures", "x": 45, "y": 470, "width": 245, "height": 75}
]
ZOOM_JS = "Number(document.querySelector('.canvas-host').dataset.zoom)"


def zone_rows(page: Page) -> Locator:
    return page.locator(".zone-list .zone-row")


def test_new_model_drawn_with_the_mouse_keeps_its_zones_after_reload(
    page: Page, server: Server, tmp_path: Path, docs_dir: Path
) -> None:
    reference = png_file(form_picture(), tmp_path / "acme-invoice.png")
    create_model(server, "Older form", form_picture(800, 600), OLDER_ZONES)
    page.goto("/")
    expect(page.get_by_text("Older form")).to_be_visible()
    assert_accessible(page)  # the list, with a model card
    page.get_by_role("button", name="New model").click()
    expect(page.get_by_label("Model name", exact=True)).to_be_visible()
    assert_accessible(page)  # the "New model" dialog
    page.get_by_label("Reference image", exact=True).set_input_files(reference)
    page.get_by_label("Model name", exact=True).fill("ACME invoice")
    page.get_by_role("button", name="Create model").click()
    page.wait_for_url(re.compile(r"/models/[0-9a-f-]{36}$"))
    model_id = page.url.rsplit("/", 1)[1]
    view = wait_for_picture(page)

    drawn: dict[str, tuple[float, float, float, float, str]] = {}
    for name, folder, (x0, y0, x1, y1) in [
        ("signature", "signatures", SIGNATURE),
        ("total", "invoices/totals", TOTAL),
    ]:
        start = view.to_page(x0, y0)
        end = view.to_page(x1, y1)
        # Alt held: the edges stay where the mouse put them, near printed lines or not
        # (snapping is tested in test_suggestions.py).
        page.keyboard.down("Alt")
        drag(page, start, end)
        page.keyboard.up("Alt")
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Folder", exact=True).fill(folder)
        ax, ay = view.to_image(*start)
        bx, by = view.to_image(*end)
        drawn[name] = (ax, ay, bx - ax, by - ay, folder)

    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("All changes saved")).to_be_visible()

    page.reload()
    view = wait_for_picture(page)
    expect(zone_rows(page)).to_have_count(2)
    saved = server.client.get(f"/api/v1/models/{model_id}").json()
    # The mouse lands on whole screen pixels: one of them is 1/zoom picture pixels.
    tolerance = max(1.0, 1.0 / view.zoom)
    by_name = {z["name"]: z for z in saved["zones"]}
    assert set(by_name) == {"signature", "total"}
    for name, (x, y, width, height, folder) in drawn.items():
        zone = by_name[name]
        assert zone["folder"] == folder
        for key, expected in (("x", x), ("y", y), ("width", width), ("height", height)):
            assert abs(zone[key] - expected) <= tolerance, (
                name,
                key,
                zone[key],
                expected,
                tolerance,
            )

    # The side panel shows the same numbers, and the canvas draws the saved zones.
    page.get_by_role("button", name="Zone signature in signatures").click()
    signature = by_name["signature"]
    for label in ("X", "Y", "Width", "Height"):
        expect(page.get_by_label(label, exact=True)).to_have_value(str(signature[label.lower()]))
    assert_accessible(page)  # the editor, a model with zones and one selected
    page.mouse.move(*view.to_page(800, 600))
    page.screenshot(path=str(docs_dir / "editor.png"))


def test_undo_and_redo_with_the_keyboard(page: Page, server: Server) -> None:
    model = create_model(server, "Undo", form_picture(800, 600))
    view = open_editor(page, model["id"])
    drag(page, view.to_page(100, 100), view.to_page(300, 200))
    expect(zone_rows(page)).to_have_count(1)
    x_field = page.get_by_label("X", exact=True)
    x_before = int(x_field.input_value())

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    expect(x_field).to_have_value(str(x_before + 12))
    page.keyboard.press("Control+z")  # the run of nudges is one step
    expect(x_field).to_have_value(str(x_before))

    page.keyboard.press("Control+d")
    expect(zone_rows(page)).to_have_count(2)
    page.keyboard.press("Delete")
    expect(zone_rows(page)).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(zone_rows(page)).to_have_count(2)
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect(zone_rows(page)).to_have_count(0)
    page.keyboard.press("Control+Shift+z")
    expect(zone_rows(page)).to_have_count(1)
    page.get_by_role("button", name="Redo").click()
    expect(zone_rows(page)).to_have_count(2)
    page.get_by_role("button", name="Undo").click()
    expect(zone_rows(page)).to_have_count(1)


def _change_elsewhere(server: Server, model_id: str, zones: list[dict[str, object]]) -> None:
    current = server.client.get(f"/api/v1/models/{model_id}")
    response = server.client.put(
        f"/api/v1/models/{model_id}/zones",
        json={"zones": zones},
        headers={"If-Match": current.headers["etag"]},
    )
    assert response.status_code == 200, response.text


def test_a_conflicting_save_offers_reload_theirs_or_overwrite(page: Page, server: Server) -> None:
    theirs = {"name": "theirs", "folder": "theirs", "x": 10, "y": 10, "width": 50, "height": 50}
    model = create_model(server, "Shared", form_picture(800, 600))
    view = open_editor(page, model["id"])
    _change_elsewhere(server, model["id"], [theirs])

    drag(page, view.to_page(100, 100), view.to_page(300, 200))
    page.get_by_label("Name", exact=True).fill("mine")
    page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="This model was changed elsewhere")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Reload theirs")).to_be_visible()
    dialog.get_by_role("button", name="Overwrite").click()
    expect(page.get_by_text("All changes saved")).to_be_visible()
    saved = server.client.get(f"/api/v1/models/{model['id']}").json()
    assert [z["name"] for z in saved["zones"]] == ["mine"]

    _change_elsewhere(server, model["id"], [theirs])
    page.get_by_label("Name", exact=True).fill("mine again")
    page.keyboard.press("Control+s")
    dialog.get_by_role("button", name="Reload theirs").click()
    expect(dialog).to_be_hidden()
    expect(zone_rows(page)).to_have_count(1)
    expect(page.get_by_role("button", name="Zone theirs in theirs")).to_be_visible()
    expect(page.get_by_text("Unsaved changes")).to_have_count(0)


def test_a_refused_folder_is_shown_next_to_its_field(page: Page, server: Server) -> None:
    model = create_model(server, "Refusals", form_picture(800, 600))
    view = open_editor(page, model["id"])
    drag(page, view.to_page(100, 100), view.to_page(300, 200))
    page.get_by_label("Folder", exact=True).fill("../outside")
    page.get_by_role("button", name="Save", exact=True).click()
    form = page.locator(".zone-form")
    expect(form.locator(".field-error")).to_contain_text("'..'")
    expect(page.get_by_label("Folder", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    page.get_by_label("Folder", exact=True).fill("inside")
    expect(form.locator(".field-error")).to_have_count(0)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("All changes saved")).to_be_visible()


def test_leaving_with_unsaved_changes_asks_first(page: Page, server: Server) -> None:
    model = create_model(server, "Careful", form_picture(800, 600))
    view = open_editor(page, model["id"])
    drag(page, view.to_page(100, 100), view.to_page(300, 200))
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Folders").click()
    dialog = page.get_by_role("dialog", name="Leave without saving?")
    dialog.get_by_role("button", name="Stay").click()
    assert f"/models/{model['id']}" in page.url
    expect(zone_rows(page)).to_have_count(1)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Folders").click()
    dialog.get_by_role("button", name="Leave without saving").click()
    page.wait_for_url(re.compile(r"/folders$"))


def test_zoom_keeps_the_point_under_the_pointer(page: Page, server: Server) -> None:
    model = create_model(server, "Zoom", form_picture(1600, 1200))
    view = open_editor(page, model["id"])
    anchor = view.to_page(400, 300)
    page.mouse.move(*anchor)
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"() => {ZOOM_JS} > {view.zoom}")
    after = canvas_view(page)
    x, y = after.to_image(*anchor)
    assert abs(x - 400) < 0.5 and abs(y - 300) < 0.5
    page.get_by_role("button", name="Fit to view").click()
    page.wait_for_function(f"() => Math.abs({ZOOM_JS} - {view.zoom}) < 1e-9")
