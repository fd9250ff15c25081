"""Browsing the output folders in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.support import assert_accessible, create_model, form_picture, png_bytes

pytestmark = pytest.mark.e2e


def test_browse_a_folder_download_and_delete_a_file(page: Page, server: Server) -> None:
    zones = [
        {
            "name": "total",
            "folder": "invoices/totals",
            "x": 1040,
            "y": 930,
            "width": 480,
            "height": 110,
        }
    ]
    model = create_model(server, "Folders", form_picture(), zones)
    for number in ("0050", "0051"):
        response = server.client.post(
            "/api/v1/extract",
            data={"model": model["id"]},
            files={
                "image": (
                    f"scan-{number}.png",
                    png_bytes(form_picture(800, 600, number)),
                    "image/png",
                )
            },
        )
        assert response.status_code == 201, response.text

    page.goto("/folders")
    folders = page.get_by_role("navigation", name="Folders")
    link = folders.get_by_role("link", name="invoices/totals/")
    expect(link).to_contain_text("2 files")
    link.click()
    files = page.get_by_role("list", name="Files in invoices/totals")
    expect(files.get_by_role("listitem")).to_have_count(2)
    thumbnail = files.get_by_role("img", name="scan-0050_total.png")
    expect(thumbnail).to_have_js_property("naturalWidth", 240)
    assert_accessible(page)  # a folder open with its files

    with page.expect_download() as download:
        page.get_by_role("link", name="Download folder as ZIP").click()
    assert download.value.suggested_filename == "invoices_totals.zip"

    page.get_by_role("button", name="Delete scan-0050_total.png").click()
    dialog = page.get_by_role("dialog", name="Delete file?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(files.get_by_role("listitem")).to_have_count(2)
    page.get_by_role("button", name="Delete scan-0050_total.png").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(files.get_by_role("listitem")).to_have_count(1)
    expect(link).to_contain_text("1 file")
    remaining = server.client.get("/api/v1/folders/invoices/totals/files").json()
    assert [f["name"] for f in remaining["items"]] == ["scan-0051_total.png"]
