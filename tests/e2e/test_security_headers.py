"""The web app, /docs and /redoc work in Chromium under their Content-Security-Policy, offline.

Every request the pages make to another origin is refused and recorded (the pages must
need none), and every policy violation is caught as the browser reports it: in the
console and as a ``securitypolicyviolation`` event.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import PASSWORD, VIEWPORT, Server
from tests.e2e.support import create_model, form_picture, png_file

pytestmark = pytest.mark.e2e

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


class Watched:
    """A page whose policy violations, console errors and outside requests are kept."""

    def __init__(self, page: Page, server: Server) -> None:
        self.page = page
        self.console: list[str] = []
        self.outside: list[str] = []
        page.on("console", self._console)
        page.context.route("**/*", self._route(server.url))
        page.context.add_init_script(RECORD_VIOLATIONS)

    def _console(self, message: object) -> None:
        if getattr(message, "type", "") == "error":
            self.console.append(str(getattr(message, "text", "")))

    def _route(self, origin: str):  # type: ignore[no-untyped-def]
        def route(route: Route) -> None:
            url = route.request.url
            if url.startswith((origin + "/", "blob:", "data:")):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        return route

    def assert_clean(self) -> None:
        violations = self.page.evaluate("window.__violations")
        policy_errors = [m for m in self.console if "Content Security Policy" in m]
        assert not violations, violations
        assert not policy_errors, policy_errors
        assert not self.outside, f"the page reached outside: {self.outside}"


@pytest.fixture
def watched(browser: Browser, server: Server) -> Iterator[Watched]:
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, base_url=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield Watched(page, server)
    finally:
        context.close()
    assert not errors, f"the page threw: {errors}"


def test_swagger_ui_lists_the_operations_under_its_policy(watched: Watched) -> None:
    response = watched.page.goto("/docs")
    assert response is not None and "script-src" not in response.headers.get(
        "content-security-policy", "unsafe-inline"
    )
    expect(watched.page.locator(".opblock").first).to_be_visible()
    assert watched.page.locator(".opblock").count() > 20
    watched.page.locator(".opblock-summary").first.click()  # an operation opens
    expect(watched.page.locator(".opblock-body").first).to_be_visible()
    watched.assert_clean()


def test_redoc_renders_under_its_policy(watched: Watched) -> None:
    watched.page.goto("/redoc")
    expect(watched.page.locator("h1").first).to_contain_text("Zonecut")
    expect(watched.page.locator("[data-section-id^='tag/']").first).to_be_attached()
    watched.assert_clean()


def test_the_app_signs_in_and_previews_pictures_under_its_policy(
    watched: Watched, server: Server, tmp_path: Path
) -> None:
    server.create_user("ada", "editor")
    model = create_model(server, "Invoice", form_picture())
    page = watched.page
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username", exact=True).fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in")).to_have_count(0)

    page.goto(f"/extract?model={model['id']}")
    page.get_by_label("Picture", exact=True).set_input_files(
        png_file(form_picture(800, 600), tmp_path / "scan.png")
    )
    preview = page.locator("img[src^='blob:']").first
    expect(preview).to_be_visible()
    preview.evaluate("img => img.complete || new Promise((r) => img.addEventListener('load', r))")
    assert preview.evaluate("img => img.naturalWidth") > 0
    watched.assert_clean()
