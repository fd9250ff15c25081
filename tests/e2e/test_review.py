"""The review queue in a real browser: a refused picture placed by hand and cut, another
discarded, the navigation's count following along."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.support import (
    assert_accessible,
    create_model,
    drag,
    form_picture,
    png_bytes,
    png_file,
)

pytestmark = pytest.mark.e2e

ZONES: list[dict[str, Any]] = [
    {"name": "logo", "folder": "logos", "x": 80, "y": 70, "width": 300, "height": 100},
    {"name": "number", "folder": "numbers", "x": 950, "y": 70, "width": 560, "height": 120},
    {"name": "total", "folder": "totals", "x": 1040, "y": 930, "width": 480, "height": 110},
]


def post_refused(server: Server, model_id: str, filename: str, number: str) -> str:
    """Posts the form stretched to twice its width: refused, and kept for review."""
    stretched = form_picture(number=number).resize((3200, 1200))
    response = server.client.post(
        "/api/v1/extract",
        data={"model": model_id},
        files={"image": (filename, png_bytes(stretched), "image/png")},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/picture-does-not-match"), problem
    assert problem["review_id"], problem
    return str(problem["review_id"])


def handle_center(page: Page, name: str) -> tuple[float, float]:
    box = page.get_by_role("button", name=f"{name} corner of the page").bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_refused_picture_is_placed_by_hand_and_cut_and_another_discarded(
    page: Page, server: Server, docs_dir: Path
) -> None:
    model = create_model(server, "ACME invoice", form_picture(), ZONES)
    second = post_refused(server, model["id"], "wide-0052.png", "0052")
    # The newest comes first.
    first = post_refused(server, model["id"], "wide-0051.png", "0051")

    page.goto("/review")
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Review 2 open")).to_be_visible()
    expect(page.get_by_text("Item 1 of 2")).to_be_visible()
    expect(page.get_by_role("heading", name="wide-0051.png")).to_be_visible()
    side = page.get_by_role("complementary", name="Item")
    expect(side).to_contain_text("ACME invoice")
    expect(side).to_contain_text("version")
    # The picture, with the model's zones placed on it (the full frame: right for a stretch).
    canvas = page.get_by_role("img", name="The picture with 3 zones placed on it")
    expect(canvas).to_be_visible()
    expect(canvas).to_have_attribute("aria-busy", "false")
    for corner in ("Top-left", "Top-right", "Bottom-right", "Bottom-left"):
        expect(page.get_by_role("button", name=f"{corner} corner of the page")).to_be_visible()
    expect(page.get_by_text("J next item")).to_be_visible()
    page.screenshot(path=str(docs_dir / "review.png"))
    assert_accessible(page)

    # J and K go through the queue.
    page.locator("body").press("j")
    expect(page.get_by_role("heading", name="wide-0052.png")).to_be_visible()
    expect(page.get_by_text("Item 2 of 2")).to_be_visible()
    page.locator("body").press("k")
    expect(page.get_by_role("heading", name="wide-0051.png")).to_be_visible()

    # A corner dragged in and back out (it stops at the picture's edge), then nudged by keys.
    top_left = page.get_by_role("button", name="Top-left corner of the page")
    start = handle_center(page, "Top-left")
    drag(page, start, (start[0] + 60, start[1] + 40))
    expect(top_left).not_to_have_attribute(
        "title", "Top-left corner: 0, 0. Drag it, or use the arrow keys."
    )
    expect(page.get_by_role("button", name="Reset corners")).to_be_enabled()
    drag(page, handle_center(page, "Top-left"), (start[0] - 30, start[1] - 30))
    expect(top_left).to_have_attribute(
        "title", "Top-left corner: 0, 0. Drag it, or use the arrow keys."
    )
    bottom_right = page.get_by_role("button", name="Bottom-right corner of the page")
    bottom_right.focus()
    page.keyboard.press("Shift+ArrowLeft")
    expect(bottom_right).not_to_have_attribute(
        "title", "Bottom-right corner: 3200, 1200. Drag it, or use the arrow keys."
    )
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    expect(bottom_right).to_have_attribute(
        "title", "Bottom-right corner: 3200, 1200. Drag it, or use the arrow keys."
    )

    page.get_by_role("button", name="Cut", exact=True).click()
    filed = page.get_by_role("region", name="Filed crops")
    expect(filed).to_contain_text("Cut wide-0051.png: 3 crops filed.")
    for folder in ("logos", "numbers", "totals"):
        expect(filed.get_by_role("region", name=f"Folder {folder}")).to_be_visible()
    expect(filed.get_by_role("img", name="total crop")).to_be_visible()
    expect(page.get_by_role("link", name="Review 1 open")).to_be_visible()
    # On to the next item.
    expect(page.get_by_role("heading", name="wide-0052.png")).to_be_visible()
    expect(page.get_by_text("Item 1 of 1")).to_be_visible()

    resolved = server.client.get(f"/api/v1/reviews/{first}").json()
    assert resolved["status"] == "resolved", resolved
    assert resolved["extraction_id"], resolved
    extraction = server.client.get(f"/api/v1/extractions/{resolved['extraction_id']}")
    assert extraction.status_code == 200, extraction.text
    assert len(extraction.json()["crops"]) == 3

    page.get_by_role("button", name="Discard", exact=True).click()
    dialog = page.get_by_role("dialog", name="Discard this picture?")
    dialog.get_by_role("button", name="Discard", exact=True).click()
    expect(page.get_by_text("Discarded wide-0052.png.")).to_be_visible()
    expect(page.get_by_role("heading", name="Nothing to review")).to_be_visible()
    expect(page.get_by_role("link", name="Review", exact=True)).to_be_visible()
    assert server.client.get(f"/api/v1/reviews/{second}").json()["status"] == "discarded"
    assert_accessible(page)

    # A decided item, opened by its address, cannot be cut again.
    page.goto(f"/review?item={first}")
    expect(page.get_by_role("heading", name="wide-0051.png")).to_be_visible()
    expect(page.get_by_role("button", name="Cut", exact=True)).to_be_disabled()


def test_the_extract_page_links_a_refusal_to_its_review_item(
    page: Page, server: Server, tmp_path: Path
) -> None:
    model = create_model(server, "ACME invoice", form_picture(), ZONES)
    pictures = [
        png_file(form_picture(number=n).resize((3200, 1200)), tmp_path / f"wide-{n}.png")
        for n in ("0061", "0062")
    ]
    page.goto(f"/extract?model={model['id']}")
    expect(page.get_by_label("Model", exact=True)).to_have_value(model["id"])
    page.get_by_label("Picture", exact=True).set_input_files(pictures)
    page.get_by_role("button", name="Extract", exact=True).click()
    items = page.locator(".picture-item")
    for n in ("0061", "0062"):
        expect(items.filter(has_text=f"wide-{n}.png").get_by_text("Not cut")).to_be_visible()
    # The refusals were kept: the count in the navigation follows at once.
    expect(page.get_by_role("link", name="Review 2 open")).to_be_visible()
    items.filter(has_text="wide-0061.png").get_by_role("link", name="Review wide-0061.png").click()
    expect(page).to_have_url(re.compile(r"/review\?item="))
    expect(page.get_by_role("heading", name="wide-0061.png")).to_be_visible()
    expect(page.get_by_role("img", name="The picture with 3 zones placed on it")).to_have_attribute(
        "aria-busy", "false"
    )

    # Enter cuts (focus is on no field or button).
    page.locator("body").press("Enter")
    expect(page.get_by_role("region", name="Filed crops")).to_contain_text(
        "Cut wide-0061.png: 3 crops filed."
    )
    expect(page.get_by_role("link", name="Review 1 open")).to_be_visible()
    expect(page.get_by_role("heading", name="wide-0062.png")).to_be_visible()

    # Decided elsewhere in the meantime: the server's 409, in its words.
    open_items = server.client.get("/api/v1/reviews", params={"status": "open"}).json()["items"]
    assert len(open_items) == 1
    other = open_items[0]["id"]
    assert server.client.post(f"/api/v1/reviews/{other}/discard").status_code == 204
    again = server.client.post(f"/api/v1/reviews/{other}/discard")
    assert again.status_code == 409
    page.get_by_role("button", name="Discard", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Discard", exact=True).click()
    alert = page.get_by_role("complementary", name="Item").get_by_role("alert")
    expect(alert).to_contain_text(again.json()["detail"].rstrip(".")[1:])
