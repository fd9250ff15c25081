"""Extraction in a real browser: pictures in, crops out under their folders."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Download, Page, expect

from tests.e2e.conftest import Server
from tests.e2e.support import assert_accessible, create_model, form_picture, png_file

pytestmark = pytest.mark.e2e

ZONES: list[dict[str, Any]] = [
    {"name": "logo", "folder": "logos", "x": 80, "y": 70, "width": 300, "height": 100},
    {"name": "number", "folder": "numbers", "x": 950, "y": 70, "width": 560, "height": 120},
    {"name": "signature", "folder": "signatures", "x": 90, "y": 940, "width": 490, "height": 150},
    {
        "name": "total",
        "folder": "invoices/totals",
        "x": 1040,
        "y": 930,
        "width": 480,
        "height": 110,
    },
]


def test_extracted_crops_appear_under_their_folders(
    page: Page, server: Server, tmp_path: Path, docs_dir: Path
) -> None:
    model = create_model(server, "ACME invoice", form_picture(), ZONES)
    pictures = [
        png_file(form_picture(800, 600, "0043"), tmp_path / "scan-0043.png"),
        png_file(form_picture(1200, 900, "0044"), tmp_path / "scan-0044.png"),
        png_file(form_picture(1200, 600, "0045"), tmp_path / "photo-wide.png"),
    ]
    page.goto(f"/extract?model={model['id']}")
    expect(page.get_by_label("Model", exact=True)).to_have_value(model["id"])
    page.get_by_label("Picture", exact=True).set_input_files(pictures)
    expect(page.get_by_text("3 pictures ready")).to_be_visible()
    page.get_by_role("button", name="Extract", exact=True).click()

    items = page.locator(".picture-item")
    expect(items.filter(has_text="scan-0043.png").get_by_text("Done")).to_be_visible()
    expect(items.filter(has_text="scan-0044.png").get_by_text("Done")).to_be_visible()
    # How each picture was aligned: the 800x600 scan is the 1600x1200 reference at half size.
    expect(items.filter(has_text="scan-0043.png").locator(".picture-alignment")).to_have_text(
        "scaled \u00d70.50"
    )
    refused = items.filter(has_text="photo-wide.png")
    expect(refused.get_by_text("Not cut")).to_be_visible()
    # The aspect-ratio refusal, in words a person understands.
    expect(refused.get_by_role("alert")).to_contain_text(
        "different shape from the model's reference picture"
    )

    for zone in ZONES:
        group = page.get_by_role("region", name=f"Folder {zone['folder']}")
        expect(group.locator("img")).to_have_count(2)
        expect(group.get_by_role("link", name=f"{zone['folder']}/")).to_have_attribute(
            "href", "/folders/" + zone["folder"]
        )
    signature_crop = page.get_by_role("region", name="Folder signatures").locator("img").first
    expect(signature_crop).to_have_js_property("naturalWidth", 245)  # 490 px scaled by 1/2
    # Where the zones were cut: the server's overlay of each stored picture, as its thumbnail.
    overlay = items.filter(has_text="scan-0043.png").get_by_role(
        "img", name="Where the zones were cut in scan-0043.png"
    )
    expect(overlay).to_have_attribute(
        "src", re.compile(r"/api/v1/extractions/[0-9a-f-]{36}/overlay$")
    )
    overlay.evaluate("img => img.complete || new Promise((r) => img.addEventListener('load', r))")
    assert overlay.evaluate("img => img.naturalWidth") > 0
    expect(refused.get_by_role("img", name=re.compile("Where the zones"))).to_have_count(0)
    assert_accessible(page)  # results, one picture refused
    files = server.client.get("/api/v1/folders/signatures/files").json()
    assert sorted(f["name"] for f in files["items"]) == [
        "scan-0043_signature.png",
        "scan-0044_signature.png",
    ]

    # One picture's crops, zipped by the server: <folder>/<file> entries and the manifest.
    scan = items.filter(has_text="scan-0043.png")
    with page.expect_download() as download:
        scan.get_by_role("link", name="Download ZIP", exact=True).click()
    assert download.value.failure() is None
    name = download.value.suggested_filename
    assert re.fullmatch(r"extraction-[0-9a-f-]{36}\.zip", name), name
    with zipfile.ZipFile(download.value.path()) as archive:
        entries = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        assert archive.testzip() is None
    crops = sorted(f"{zone['folder']}/scan-0043_{zone['name']}.png" for zone in ZONES)
    assert sorted(entries) == sorted([*crops, "manifest.json"])
    assert name == f"extraction-{manifest['id']}.zip"
    assert sorted(crop["path"] for crop in manifest["crops"]) == crops

    # "All" offers one server ZIP per cut picture.
    downloads: list[Download] = []
    page.on("download", lambda d: downloads.append(d))
    page.get_by_role("button", name="Download all as 2 ZIPs").click()
    for _ in range(50):
        if len(downloads) == 2:
            break
        page.wait_for_timeout(100)
    assert len(downloads) == 2
    names = {d.suggested_filename for d in downloads}
    assert len(names) == 2 and name in names
    for each in downloads:
        assert each.failure() is None
        with zipfile.ZipFile(each.path()) as archive:
            assert "manifest.json" in archive.namelist()
            assert len(archive.namelist()) == len(ZONES) + 1
    page.screenshot(path=str(docs_dir / "extract.png"), full_page=True)
