"""Samples in the editor: added, and cut again before Save to show what a change does."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.support import (
    PAPER,
    assert_accessible,
    create_model,
    drag,
    form_picture,
    open_editor,
    png_bytes,
    png_file,
)

pytestmark = pytest.mark.e2e

ZONES: list[dict[str, object]] = [
    {"name": "total", "folder": "totals", "x": 1040, "y": 930, "width": 480, "height": 110},
    {"name": "signature", "folder": "signatures", "x": 90, "y": 940, "width": 490, "height": 150},
]


def add_sample(server: Server, model_id: str, picture: Image.Image, name: str) -> None:
    response = server.client.post(
        f"/api/v1/models/{model_id}/samples",
        files={"image": (name, png_bytes(picture), "image/png")},
    )
    assert response.status_code == 201, response.text


def loaded(page: Page, selector: str) -> int:
    """How many of the pictures ``selector`` finds have loaded."""
    return int(
        page.locator(selector).evaluate_all(
            "imgs => imgs.filter((i) => i.complete && i.naturalWidth > 0).length"
        )
    )


def test_a_moved_zone_shows_on_the_samples_it_changes_before_save(
    page: Page, server: Server, tmp_path: Path, docs_dir: Path
) -> None:
    model = create_model(server, "Invoices", form_picture(), ZONES)
    add_sample(server, model["id"], Image.new("RGB", (1600, 1200), PAPER), "blank page.png")
    view = open_editor(page, model["id"])

    page.get_by_role("tab", name="Samples").click()
    expect(page.locator(".sample-row")).to_have_count(1)
    filled = png_file(form_picture(number="0042"), tmp_path / "invoice 0042.png")
    page.get_by_label("Add a sample", exact=True).set_input_files(filled)
    expect(page.locator(".sample-row")).to_have_count(2)
    expect(page.get_by_text("invoice 0042.png")).to_be_visible()
    expect(page.get_by_text("The zones are as saved")).to_be_visible()
    chip = page.locator(".check-chip")
    expect(chip).to_have_text("2 samples kept")

    # The total zone dragged 150 pixels down, onto paper: the filled invoice loses its
    # total there, the blank page shows paper before and after.
    drag(page, view.to_page(1280, 985), view.to_page(1280, 1135))
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    expect(chip).to_have_text("1 of 2 samples change")
    expect(chip).to_have_class("check-chip tone-warning")
    changed = page.locator(".sample-diff.is-changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("invoice 0042.png")
    expect(changed).to_contain_text("total moved")
    expect(page.locator(".sample-diff.is-unchanged")).to_have_count(1)
    expect(page.locator(".sample-diff.is-unchanged")).to_contain_text("nothing changes")
    before, after = (
        changed.get_by_role("img", name="total before"),
        changed.get_by_role("img", name="total after"),
    )
    expect(before).to_be_visible()
    expect(after).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.diff-crop img')]"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    assert loaded(page, ".diff-crop img") == 2

    # The chip leads to the rows; the panel is usable by keyboard and passes axe.
    chip.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab", name="Samples")).to_have_attribute("aria-selected", "true")
    assert_accessible(page)
    page.screenshot(path=str(docs_dir / "samples.png"))

    # Save stays one click; once saved there is nothing left to compare.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("All changes saved")).to_be_visible()
    expect(page.get_by_text("The zones are as saved")).to_be_visible()
    expect(chip).to_have_text("2 samples kept")
    saved = server.client.get(f"/api/v1/models/{model['id']}").json()
    assert saved["zones"][0]["y"] > 1000


def test_a_sample_that_no_longer_aligns_is_shown_refused(
    page: Page, server: Server, tmp_path: Path
) -> None:
    model = create_model(server, "Forms", form_picture(), ZONES)
    add_sample(server, model["id"], form_picture(number="0042"), "scan 0042.png")
    add_sample(server, model["id"], form_picture(1600, 1184, number="0043"), "cropped 0043.png")
    # a new reference a little shorter: the first sample is now of another shape
    response = server.client.put(
        f"/api/v1/models/{model['id']}/image",
        files={"image": ("reference.png", png_bytes(form_picture(1600, 1168)), "image/png")},
    )
    assert response.status_code == 200, response.text
    cut = server.client.post(
        "/api/v1/extract",
        data={"model": model["id"]},
        files={
            "image": ("scan 0044.png", png_bytes(form_picture(1600, 1168, "0044")), "image/png")
        },
    )
    assert cut.status_code == 201, cut.text
    open_editor(page, model["id"])
    page.get_by_role("tab", name="Samples").click()
    page.get_by_role("tab", name="Zones").click()
    page.get_by_role("button", name="Zone signature").click()
    page.get_by_label("X", exact=True).fill("100")
    chip = page.locator(".check-chip")
    expect(chip).to_have_text("1 of 2 samples refused")
    expect(chip).to_have_class("check-chip tone-danger")
    chip.click()
    refused = page.locator(".sample-diff.is-refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("scan 0042.png")
    expect(refused).to_contain_text("aspect")
    expect(page.locator(".sample-diff.is-changed")).to_contain_text("cropped 0043.png")
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / "samples-refused.png"))

    # a past extraction's kept picture becomes a sample too
    page.get_by_text("From a past extraction").click()
    page.get_by_role("button", name="Add scan 0044.png as a sample").click()
    expect(page.locator(".sample-row")).to_have_count(3)
    expect(page.locator(".sample-diff")).to_have_count(3)  # and the check runs again
    assert_accessible(page)
