"""Jobs and webhooks in a real browser: a big document cut in the background with a
progress bar that survives a reload; an admin's webhook, tested from its page."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import VIEWPORT, Server, sign_in
from tests.e2e.support import assert_accessible, create_model, form_picture
from tests.helpers import pdf_of

pytestmark = pytest.mark.e2e

ZONES: list[dict[str, Any]] = [
    {"name": "number", "folder": "numbers", "x": 950, "y": 70, "width": 560, "height": 120},
    {"name": "total", "folder": "totals", "x": 1040, "y": 930, "width": 480, "height": 110},
]


def scanned_day(path: Path, pages: int) -> Path:
    """A scanner's PDF of ``pages`` invoices, one a page."""
    page = form_picture(800, 600, "0050")
    path.write_bytes(pdf_of([page] * pages, size=(288, 216)))
    return path


def test_a_big_document_is_cut_as_a_job_whose_progress_survives_a_reload(
    page: Page, server: Server, tmp_path: Path, docs_dir: Path
) -> None:
    model = create_model(server, "ACME invoice", form_picture(), ZONES)
    document = scanned_day(tmp_path / "day-2024-05-17.pdf", 150)
    page.goto(f"/extract?model={model['id']}")
    expect(page.get_by_label("Model", exact=True)).to_have_value(model["id"])
    page.get_by_label("Picture", exact=True).set_input_files(document)
    page.get_by_role("button", name="Extract", exact=True).click()

    item = page.locator(".picture-item").filter(has_text="day-2024-05-17.pdf")
    expect(item.get_by_text("Sent as a job")).to_be_visible()
    jobs = page.get_by_role("region", name="Jobs")
    bar = jobs.get_by_role("progressbar", name=re.compile("^Progress of day-2024-05-17.pdf"))
    expect(bar).to_be_visible()

    page.reload()  # the job is the server's: listed again, still moving
    jobs = page.get_by_role("region", name="Jobs")
    expect(jobs.get_by_text("day-2024-05-17.pdf")).to_be_visible()
    bar = jobs.get_by_role("progressbar", name=re.compile("^Progress of day-2024-05-17.pdf"))
    expect(bar).to_have_accessible_name(re.compile(r"\d+ of 150 pages"))
    assert_accessible(page)
    page.screenshot(path=str(docs_dir / "extract-job.png"), full_page=True)

    expect(jobs.get_by_text("Done")).to_be_visible(timeout=120_000)
    expect(jobs.get_by_text("150 of 150 pages · 150 filed · 0 refused")).to_be_visible()
    expect(jobs.get_by_role("button", name=re.compile("^Cancel"))).to_have_count(0)
    files = server.client.get("/api/v1/folders/totals/files", params={"limit": 500}).json()
    assert files["total"] == 150


def test_a_job_cancelled_from_its_bar_stops_and_keeps_what_it_filed(
    page: Page, server: Server, tmp_path: Path
) -> None:
    model = create_model(server, "ACME invoice", form_picture(), ZONES)
    document = scanned_day(tmp_path / "long-day.pdf", 300)
    page.goto(f"/extract?model={model['id']}")
    page.get_by_label("Run as a job").check()
    page.get_by_label("Picture", exact=True).set_input_files(document)
    page.get_by_role("button", name="Extract", exact=True).click()
    jobs = page.get_by_role("region", name="Jobs")
    bar = jobs.get_by_role("progressbar", name=re.compile("^Progress of long-day.pdf"))
    expect(bar).to_have_accessible_name(re.compile(r"[1-9]\d* of 300 pages"))

    jobs.get_by_role("button", name="Cancel the job of long-day.pdf").click()
    dialog = page.get_by_role("dialog", name="Cancel the job of long-day.pdf?")
    dialog.get_by_role("button", name="Cancel the job").click()
    expect(jobs.get_by_text("Cancelled")).to_be_visible()
    expect(jobs.get_by_role("button", name=re.compile("^Cancel"))).to_have_count(0)
    listed = server.client.get("/api/v1/extractions", params={"model_id": model["id"]}).json()
    assert 0 < listed["total"] < 300, "what was filed stays; the rest is not cut"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    """An HTTP receiver on loopback that answers 200 and keeps what it got."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers.get("content-length", 0))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/zonecut", received
    server.shutdown()
    server.server_close()


@pytest.mark.server_env(ZONECUT_WEBHOOK_ALLOW_PRIVATE="true")
def test_an_admin_adds_a_webhook_and_sends_it_a_test_event(
    browser: Browser,
    server: Server,
    receiver: tuple[str, list[bytes]],
    docs_dir: Path,
) -> None:
    url, received = receiver
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, base_url=server.url)
    context.set_default_timeout(15_000)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    sign_in(context, server, "root", "admin")
    admin = context.new_page()
    errors: list[str] = []
    admin.on("pageerror", lambda e: errors.append(str(e)))
    try:
        admin.goto("/")
        sections = admin.get_by_role("navigation", name="Sections")
        sections.get_by_role("link", name="Webhooks").click()
        expect(admin.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        expect(admin.get_by_text("No webhooks yet")).to_be_visible()

        admin.get_by_role("button", name="New webhook").click()
        dialog = admin.get_by_role("dialog", name="New webhook")
        dialog.get_by_label("URL", exact=True).fill(url)
        dialog.get_by_role("checkbox", name=re.compile("A job finished")).check()
        dialog.get_by_role("checkbox", name=re.compile("A picture was cut")).check()
        assert_accessible(admin)
        dialog.get_by_role("button", name="Create webhook").click()

        shown = admin.get_by_role("dialog", name="Webhook created")
        secret = shown.get_by_label("Signing secret", exact=True).input_value()
        assert secret.startswith("whsec_")
        shown.get_by_role("button", name="Done").click()

        card = admin.get_by_role("region", name=f"Webhook to {url}")
        expect(card.get_by_text("Nothing delivered yet")).to_be_visible()
        card.get_by_role("button", name=f"Send test event to {url}").focus()
        admin.keyboard.press("Enter")  # reachable and usable by keyboard
        row = card.get_by_role("row", name=re.compile("webhook.test"))
        expect(row).to_contain_text("delivered")
        expect(row).to_contain_text("answered 204")
        assert len(received) == 1 and b'"type":"webhook.test"' in received[0]
        assert_accessible(admin)
        admin.screenshot(path=str(docs_dir / "webhooks.png"), full_page=True)
    finally:
        context.close()
    assert not errors, f"the page threw: {errors}"
