"""Importing zones drawn in another tool, in a real browser: "Import…" on the models
page, a COCO file and its picture, the report, then the zones in the editor."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.support import assert_accessible, form_picture, png_file, wait_for_picture

pytestmark = pytest.mark.e2e

# Boxes of the synthetic invoice (tests/e2e/support.py), as COCO writes them:
# https://cocodataset.org/#format-data
COCO = {
    "info": {"description": "ACME invoices"},
    "images": [{"id": 1, "file_name": "acme-invoice.png", "width": 1600, "height": 1200}],
    "categories": [
        {"id": 1, "name": "total"},
        {"id": 2, "name": "signature"},
        {"id": 3, "name": "item"},
        {"id": 4, "name": "stamp"},
    ],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1040, 930, 480, 110]},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [90, 940, 490, 150]},
        {"id": 3, "image_id": 1, "category_id": 3, "bbox": [80, 420, 1440, 65]},
        {"id": 4, "image_id": 1, "category_id": 3, "bbox": [80, 485, 1440, 65]},
        {
            "id": 5,
            "image_id": 1,
            "category_id": 4,
            "segmentation": [[1300, 200, 1500, 200, 1400, 350]],
        },
    ],
}


def test_a_coco_file_and_its_picture_become_a_model_with_its_zones(
    page: Page, server: Server, tmp_path: Path
) -> None:
    annotations = tmp_path / "instances_default.json"
    annotations.write_text(json.dumps(COCO), encoding="utf-8")
    picture = png_file(form_picture(), tmp_path / "acme-invoice.png")

    page.goto("/")
    page.get_by_role("button", name="Import…").focus()
    page.keyboard.press("Enter")  # reachable and opened by keyboard
    dialog = page.get_by_role("dialog", name="Import a model")
    expect(dialog).to_be_visible()
    assert_accessible(page)  # the empty form
    import_button = dialog.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_disabled()
    dialog.get_by_label("Zones file", exact=True).set_input_files(annotations)
    expect(dialog.get_by_text("instances_default.json")).to_be_visible()
    # the drop zone gave way to the file: the focus stays where a keyboard user was
    expect(dialog.get_by_role("button", name="Choose another zones file")).to_be_focused()
    expect(import_button).to_be_disabled()  # the picture is still missing
    dialog.get_by_label("Reference picture", exact=True).set_input_files(picture)
    expect(dialog.get_by_role("img", name="The chosen reference picture")).to_be_visible()
    assert_accessible(page)  # both files chosen
    page.screenshot(path=str(tmp_path / "import-form.png"))
    import_button.click()

    report = page.get_by_role("dialog", name="Model imported")
    expect(report).to_be_visible()
    expect(
        report.get_by_text("“ACME invoices” was made with 4 zones from the COCO file")
    ).to_be_visible()
    renamed = report.get_by_role("region", name="Renamed")
    expect(renamed).to_contain_text("Name item → item 2: another zone is named 'item'")
    skipped = report.get_by_role("region", name="Skipped")
    expect(skipped).to_contain_text("stamp: it has no bbox, only a segmentation")
    assert_accessible(page)  # the report
    page.screenshot(path=str(tmp_path / "import-report.png"))
    expect(page.get_by_role("list", name="Models").get_by_text("ACME invoices")).to_be_visible()

    report.get_by_role("button", name="Open in the editor").click()
    page.wait_for_url(re.compile(r"/models/[0-9a-f-]{36}$"))
    wait_for_picture(page)
    rows = page.locator(".zone-list .zone-row")
    expect(rows).to_have_count(4)
    expect(page.locator(".zone-list .zone-row-name")).to_have_text(
        ["total", "signature", "item", "item 2"]
    )
    assert_accessible(page)  # the editor with the imported zones
    page.screenshot(path=str(tmp_path / "import-editor.png"))

    model_id = page.url.rsplit("/", 1)[1]
    saved = server.client.get(f"/api/v1/models/{model_id}").json()
    assert [
        (z["name"], z["folder"], z["x"], z["y"], z["width"], z["height"]) for z in saved["zones"]
    ] == [
        ("total", "total", 1040, 930, 480, 110),
        ("signature", "signature", 90, 940, 490, 150),
        ("item", "item", 80, 420, 1440, 65),
        ("item 2", "item", 80, 485, 1440, 65),
    ]


def test_an_unknown_file_is_explained_in_the_dialog(page: Page, tmp_path: Path) -> None:
    other = tmp_path / "labelme.json"
    other.write_text(json.dumps({"version": "5.0.1", "shapes": []}), encoding="utf-8")
    picture = png_file(form_picture(400, 300), tmp_path / "scan.png")
    page.goto("/")
    page.get_by_role("button", name="Import…").click()
    dialog = page.get_by_role("dialog", name="Import a model")
    dialog.get_by_label("Zones file", exact=True).set_input_files(other)
    dialog.get_by_label("Reference picture", exact=True).set_input_files(picture)
    dialog.get_by_role("button", name="Import", exact=True).click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("Zonecut does not know this kind of file.")
    expect(alert).to_contain_text("COCO JSON")
    assert_accessible(page)  # the error shown
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
