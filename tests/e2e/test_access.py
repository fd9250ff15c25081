"""Access control in a real browser: first-run setup, signing in and out, roles, users
and API keys, each new page also checked with axe-core for serious accessibility faults."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    VIEWPORT,
    Server,
    bearer,
    sign_in,
)
from tests.e2e.support import (
    assert_accessible,
    create_model,
    form_picture,
    open_editor,
    png_bytes,
    png_file,
)

pytestmark = pytest.mark.e2e

SETUP_LINK = re.compile(r"/setup#token=([A-Za-z0-9_-]+)")
ZONES: list[dict[str, Any]] = [
    {"name": "total", "folder": "totals", "x": 1040, "y": 930, "width": 480, "height": 110},
]


@pytest.fixture
def visitor(browser: Browser, server: Server) -> Iterator[Page]:
    """A page of a browser that nobody has signed in with yet."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, base_url=server.url)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"the page threw: {errors}"


def sign_in_on_page(page: Page, username: str, password: str = PASSWORD) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def user_id(server: Server, username: str) -> str:
    users: list[dict[str, Any]] = server.client.get("/api/v1/users").json()["items"]
    return str(next(u["id"] for u in users if u["username"] == username))


def account_menu(page: Page, username: str) -> None:
    page.get_by_role("banner").get_by_role("button", name=re.compile(username)).click()


# ----- (a) first run ------------------------------------------------------------------------


def test_first_run_setup_makes_the_admin_who_can_edit_a_model(
    visitor: Page, server: Server
) -> None:
    found = SETUP_LINK.search(server.log.read_text())
    assert found is not None, "the server printed no setup link"
    token = found.group(1)
    model = create_model(server, "Setup form", form_picture(), ZONES)

    visitor.goto("/setup")
    expect(visitor.get_by_role("alert")).to_contain_text("needs the setup link")

    # A wrong token: the link is not valid (403).
    visitor.goto("/setup#token=not-the-token")
    visitor.get_by_label("Username", exact=True).fill("ada")
    visitor.get_by_label("Password", exact=True).fill(PASSWORD)
    visitor.get_by_label("Repeat password", exact=True).fill(PASSWORD)
    visitor.get_by_role("button", name="Create admin").click()
    expect(visitor.get_by_role("alert")).to_contain_text("no longer valid")

    visitor.goto(f"/setup#token={token}")
    expect(visitor.get_by_role("heading", name="Create the admin account")).to_be_visible()
    # The token is read and taken out of the address bar.
    assert "token" not in visitor.url
    assert_accessible(visitor)
    visitor.get_by_label("Username", exact=True).fill("ada")
    visitor.get_by_label("Password", exact=True).fill(PASSWORD)
    visitor.get_by_label("Repeat password", exact=True).fill("something else")
    visitor.get_by_role("button", name="Create admin").click()
    expect(visitor.get_by_text("The two passwords differ.")).to_be_visible()
    visitor.get_by_label("Repeat password", exact=True).fill(PASSWORD)
    visitor.get_by_role("button", name="Create admin").click()

    visitor.wait_for_url(f"{server.url}/")
    expect(visitor.get_by_role("heading", name="Models")).to_be_visible()
    banner = visitor.get_by_role("banner")
    expect(banner.get_by_role("button", name=re.compile("ada"))).to_contain_text("admin")
    sections = visitor.get_by_role("navigation", name="Sections")
    for label in ("Models", "Extract", "Folders", "Users", "API keys", "Audit"):
        expect(sections.get_by_role("link", name=label, exact=True)).to_be_visible()
    me = visitor.context.request.get(server.api("/auth/me")).json()
    assert (me["kind"], me["name"], me["role"]) == ("user", "ada", "admin")

    # The new admin edits a model: rename its zone and save.
    open_editor(visitor, model["id"])
    visitor.get_by_role("button", name="Zone total in totals").click()
    visitor.get_by_label("Name", exact=True).fill("grand total")
    visitor.get_by_role("button", name="Save", exact=True).click()
    expect(visitor.get_by_text("All changes saved")).to_be_visible()
    saved = server.client.get(f"/api/v1/models/{model['id']}").json()
    assert [z["name"] for z in saved["zones"]] == ["grand total"]

    # The link dies with its use: setup is done (409), sign in instead.
    visitor.goto(f"/setup#token={token}")
    visitor.get_by_label("Username", exact=True).fill("eve")
    visitor.get_by_label("Password", exact=True).fill(PASSWORD)
    visitor.get_by_label("Repeat password", exact=True).fill(PASSWORD)
    visitor.get_by_role("button", name="Create admin").click()
    expect(visitor.get_by_role("status")).to_contain_text("Setup is already done")
    expect(visitor.get_by_role("link", name="Sign in").first).to_be_visible()


# ----- (b) signing in and out ----------------------------------------------------------------


def test_sign_in_returns_to_the_page_and_sign_out_ends_the_session(
    visitor: Page, server: Server, docs_dir: Path
) -> None:
    server.create_user("sam", "editor")

    visitor.goto("/folders")
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()
    assert visitor.url == f"{server.url}/folders"
    assert_accessible(visitor)
    visitor.screenshot(path=str(docs_dir / "sign-in.png"))

    sign_in_on_page(visitor, "sam", "not the password")
    expect(visitor.get_by_role("alert")).to_have_text("The username or password is wrong.")
    expect(visitor.get_by_label("Password", exact=True)).to_have_value("")
    assert_accessible(visitor)

    sign_in_on_page(visitor, "sam")
    expect(visitor.get_by_role("heading", name="Folders")).to_be_visible()
    assert visitor.url == f"{server.url}/folders"
    sections = visitor.get_by_role("navigation", name="Sections")
    expect(sections.get_by_role("link", name="Folders")).to_have_attribute("aria-current", "page")
    expect(sections.get_by_role("link", name="Users")).to_have_count(0)

    account_menu(visitor, "sam")
    expect(visitor.get_by_text("Signed in as sam")).to_be_visible()
    visitor.get_by_role("button", name="Sign out").click()
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()
    assert visitor.url == f"{server.url}/"
    assert visitor.context.request.get(server.api("/auth/me")).status == 401


def test_a_throttled_sign_in_says_how_long_to_wait(visitor: Page, server: Server) -> None:
    server.create_user("tess", "operator")
    for _ in range(5):
        failed = httpx.post(
            server.api("/auth/login"), json={"username": "tess", "password": "guess"}, timeout=30
        )
        assert failed.status_code == 401
    visitor.goto("/")
    sign_in_on_page(visitor, "tess")  # the right password, but the name is throttled
    alert = visitor.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed sign-ins")
    expect(alert).to_contain_text(re.compile(r"You can try again in 1[45] minutes \(at .+\)\."))
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_session_ended_elsewhere_brings_back_sign_in_and_keeps_the_work(
    visitor: Page, server: Server, tmp_path: Path
) -> None:
    model = create_model(server, "Expiry form", form_picture(), ZONES)
    sign_in(visitor.context, server, "sam", "editor")
    visitor.goto(f"/extract?model={model['id']}")
    expect(visitor.get_by_label("Model", exact=True)).to_have_value(model["id"])
    visitor.get_by_label("Picture", exact=True).set_input_files(
        png_file(form_picture(800, 600, "0077"), tmp_path / "scan-0077.png")
    )
    expect(visitor.get_by_text("1 picture ready")).to_be_visible()

    # An admin gives sam a new password: every session of sam's ends.
    new_password = "a brand new passphrase"
    response = server.client.patch(
        f"/api/v1/users/{user_id(server, 'sam')}", json={"password": new_password}
    )
    assert response.status_code == 200, response.text

    # The upload is answered 401, and the sign-in page takes the page's place.
    visitor.get_by_role("button", name="Extract", exact=True).click()
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(visitor.get_by_text("Your session has ended")).to_be_visible()
    expect(visitor.get_by_label("Username", exact=True)).to_have_value("sam")
    visitor.get_by_label("Password", exact=True).fill(new_password)
    visitor.get_by_role("button", name="Sign in", exact=True).click()

    # Back on the same page with the same picture, which can now be cut.
    expect(visitor.get_by_role("heading", name="Extract")).to_be_visible()
    item = visitor.locator(".picture-item").filter(has_text="scan-0077.png")
    expect(item.get_by_text("Not cut")).to_be_visible()
    visitor.get_by_role("button", name="Try the failed again").click()
    visitor.get_by_role("button", name="Extract", exact=True).click()
    expect(item.get_by_text("Done")).to_be_visible()


# ----- (c) an operator ---------------------------------------------------------------------


def test_an_operator_extracts_and_browses_but_edits_nothing(
    visitor: Page, server: Server, tmp_path: Path
) -> None:
    model = create_model(server, "Operator form", form_picture(), ZONES)
    response = server.client.post(
        "/api/v1/extract",
        data={"model": model["id"]},
        files={"image": ("scan-0080.png", png_bytes(form_picture(800, 600, "0080")), "image/png")},
    )
    assert response.status_code == 201, response.text
    server.create_user("otto", "operator")

    visitor.goto("/")
    sign_in_on_page(visitor, "otto")
    expect(visitor.get_by_role("heading", name="Models")).to_be_visible()
    sections = visitor.get_by_role("navigation", name="Sections")
    for label in ("Models", "Extract", "Folders"):
        expect(sections.get_by_role("link", name=label, exact=True)).to_be_visible()
    for label in ("Users", "API keys", "Audit"):
        expect(sections.get_by_role("link", name=label)).to_have_count(0)
    expect(visitor.get_by_role("banner")).to_contain_text("operator")

    cards = visitor.get_by_role("list", name="Models")
    expect(cards.get_by_role("listitem")).to_have_count(1)
    expect(visitor.get_by_role("button", name="New model")).to_have_count(0)
    expect(visitor.get_by_role("button", name="Import…")).to_have_count(0)
    expect(visitor.get_by_label("Start from a picture")).to_have_count(0)
    expect(visitor.get_by_role("button", name="Rename Operator form")).to_have_count(0)
    expect(visitor.get_by_role("button", name="Delete Operator form")).to_have_count(0)
    expect(cards.get_by_role("link", name="Extract with it")).to_be_visible()

    # The editor opens read-only: zones to look at, nothing to change or save.
    visitor.get_by_role("link", name="Open Operator form").click()
    visitor.locator(".canvas-loading").wait_for(state="detached")
    expect(visitor.get_by_text("Read only")).to_be_visible()
    expect(visitor.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    expect(visitor.get_by_role("button", name="Undo")).to_have_count(0)
    expect(visitor.get_by_role("button", name="Select and draw")).to_have_count(0)
    visitor.get_by_role("button", name="Zone total in totals").click()
    expect(visitor.locator(".zone-facts")).to_contain_text("totals")
    expect(visitor.get_by_label("Name", exact=True)).to_have_count(0)
    expect(visitor.get_by_role("button", name="Delete zone")).to_have_count(0)
    visitor.locator(".canvas-host").focus()
    visitor.keyboard.press("Delete")
    visitor.keyboard.press("ArrowRight")
    expect(visitor.get_by_role("button", name="Zone total in totals")).to_be_visible()
    visitor.get_by_role("tab", name="Settings").click()
    expect(visitor.locator(".settings-summary")).to_contain_text("PNG")
    expect(visitor.get_by_role("button", name="Save settings")).to_have_count(0)
    zone = server.client.get(f"/api/v1/models/{model['id']}").json()["zones"][0]
    assert (zone["name"], zone["x"]) == ("total", 1040)

    # Folders: files to see and download, none to delete.
    sections.get_by_role("link", name="Folders").click()
    visitor.get_by_role("navigation", name="Folders").get_by_role("link", name="totals/").click()
    files = visitor.get_by_role("list", name="Files in totals")
    expect(files.get_by_role("listitem")).to_have_count(1)
    expect(files.get_by_role("link", name="Download")).to_be_visible()
    expect(files.get_by_role("button", name=re.compile("^Delete"))).to_have_count(0)

    # Extract works for an operator.
    sections.get_by_role("link", name="Extract").click()
    visitor.get_by_label("Picture", exact=True).set_input_files(
        png_file(form_picture(800, 600, "0081"), tmp_path / "scan-0081.png")
    )
    visitor.get_by_role("button", name="Extract", exact=True).click()
    expect(visitor.locator(".picture-item").get_by_text("Done")).to_be_visible()

    # The admin pages say they are for admins (and the server agrees).
    visitor.goto("/users")
    expect(visitor.get_by_role("alert")).to_contain_text("This page is for admins")
    assert visitor.context.request.get(server.api("/users")).status == 403


# ----- (d) API keys --------------------------------------------------------------------------


def test_an_admin_makes_a_key_sees_its_secret_once_and_revokes_it(
    visitor: Page, server: Server, tmp_path: Path
) -> None:
    model = create_model(server, "Scanner form", form_picture(), ZONES)
    create_model(server, "Other form", form_picture(), ZONES)
    visitor.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    sign_in(visitor.context, server, "root", "admin")

    visitor.goto("/")
    visitor.get_by_role("navigation", name="Sections").get_by_role("link", name="API keys").click()
    expect(visitor.get_by_role("heading", name="API keys")).to_be_visible()
    expect(visitor.get_by_text("No API keys yet")).to_be_visible()
    assert_accessible(visitor)

    visitor.get_by_role("button", name="New API key").click()
    dialog = visitor.get_by_role("dialog", name="New API key")
    dialog.get_by_label("Name", exact=True).fill("scanner-2")
    dialog.get_by_label("Role", exact=True).select_option("operator")
    dialog.get_by_label("Only some models").check()
    dialog.get_by_role("checkbox", name="Scanner form").check()
    expires = date.today() + timedelta(days=30)
    dialog.get_by_label("Expires (optional)").fill(expires.isoformat())
    assert_accessible(visitor)
    dialog.get_by_role("button", name="Create key").click()

    shown = visitor.get_by_role("dialog", name=re.compile("scanner-2.*created"))
    expect(shown).to_contain_text("This is shown only once")
    secret = shown.get_by_label("Secret", exact=True).input_value()
    assert secret.startswith("zc_")
    shown.get_by_role("button", name="Copy").click()
    expect(shown.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert visitor.evaluate("navigator.clipboard.readText()") == secret
    assert_accessible(visitor)
    visitor.screenshot(path=str(tmp_path / "api-key-secret.png"))

    # The secret works, with the role and the model it was given.
    me = httpx.get(server.api("/auth/me"), headers=bearer(secret), timeout=30)
    assert me.status_code == 200, me.text
    assert me.json() == {
        "kind": "api_key",
        "name": "scanner-2",
        "role": "operator",
        "models": [model["id"]],
    }

    shown.get_by_role("button", name="Done").click()
    expect(shown).to_be_hidden()
    visitor.reload()
    row = visitor.get_by_role("row", name=re.compile("scanner-2"))
    expect(row).to_contain_text("operator")
    expect(row).to_contain_text("Scanner form")
    expect(row).not_to_contain_text("Other form")
    expect(row).to_contain_text(secret[:8])
    expect(row).to_contain_text("active")
    expect(row.locator("td").nth(4)).to_contain_text("just now")  # last used
    expect(row.locator("td").nth(5)).not_to_have_text("never")  # expires
    # Shown once means once: the page never has the secret again.
    assert secret not in visitor.content()
    assert_accessible(visitor)

    row.get_by_role("button", name="Revoke scanner-2").click()
    confirm = visitor.get_by_role("dialog", name="Revoke scanner-2?")
    confirm.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("revoked")
    expect(row.get_by_role("button", name="Revoke scanner-2")).to_have_count(0)
    refused = httpx.get(server.api("/auth/me"), headers=bearer(secret), timeout=30)
    assert refused.status_code == 401


# ----- users -------------------------------------------------------------------------------


def test_an_admin_manages_users_and_the_last_admin_is_kept(visitor: Page, server: Server) -> None:
    sign_in(visitor.context, server, "root", "admin")
    visitor.goto("/users")
    expect(visitor.get_by_role("heading", name="Users")).to_be_visible()
    assert_accessible(visitor)

    visitor.get_by_role("button", name="New user").click()
    dialog = visitor.get_by_role("dialog", name="New user")
    dialog.get_by_label("Username", exact=True).fill("nina")
    dialog.get_by_label("Password", exact=True).fill(PASSWORD)
    dialog.get_by_label("Role", exact=True).select_option("operator")
    assert_accessible(visitor)
    dialog.get_by_role("button", name="Create user").click()
    row = visitor.get_by_role("row", name=re.compile("nina"))
    expect(row).to_contain_text("active")
    expect(row).to_contain_text("never")

    row.get_by_label("Role of nina").select_option("editor")
    expect(visitor.get_by_role("status").filter(has_text="nina is now an editor.")).to_be_visible()
    assert server.client.get(f"/api/v1/users/{user_id(server, 'nina')}").json()["role"] == "editor"

    row.get_by_role("button", name="Disable nina").click()
    visitor.get_by_role("dialog", name="Disable nina?").get_by_role(
        "button", name="Disable"
    ).click()
    expect(row).to_contain_text("disabled")
    row.get_by_role("button", name="Enable nina").click()
    expect(row).to_contain_text("active")

    row.get_by_role("button", name="Reset password of nina").click()
    reset = visitor.get_by_role("dialog", name="New password for nina")
    reset.get_by_label("New password", exact=True).fill("another passphrase")
    reset.get_by_label("Repeat the new password", exact=True).fill("another passphrase")
    reset.get_by_role("button", name="Set password").click()
    expect(visitor.get_by_text("nina has a new password")).to_be_visible()
    login = httpx.post(
        server.api("/auth/login"),
        json={"username": "nina", "password": "another passphrase"},
        timeout=30,
    )
    assert login.status_code == 200, login.text

    # root is the only admin: demoting or deleting them is refused, and said so.
    root = visitor.get_by_role("row", name=re.compile("root"))
    root.get_by_label("Role of root").select_option("editor")
    visitor.get_by_role("dialog", name="Change your own role?").get_by_role(
        "button", name="Make me an editor"
    ).click()
    expect(visitor.get_by_role("alert")).to_contain_text("it is the last enabled admin")
    expect(root.get_by_label("Role of root")).to_have_value("admin")
    root.get_by_role("button", name="Delete root").click()
    visitor.get_by_role("dialog", name="Delete root?").get_by_role("button", name="Delete").click()
    expect(visitor.get_by_role("alert")).to_contain_text("it is the last enabled admin")

    row.get_by_role("button", name="Delete nina").click()
    visitor.get_by_role("dialog", name="Delete nina?").get_by_role("button", name="Delete").click()
    expect(visitor.get_by_role("row", name=re.compile("nina"))).to_have_count(0)

    # Every change is in the audit log.
    visitor.get_by_role("navigation", name="Sections").get_by_role("link", name="Audit").click()
    expect(visitor.get_by_role("heading", name="Audit log")).to_be_visible()
    visitor.get_by_label("Action", exact=True).fill("user.*")
    visitor.get_by_role("button", name="Filter").click()
    table = visitor.get_by_role("table", name="Audit events")
    expect(table.get_by_role("row").filter(has_text="user.delete")).to_have_count(1)
    expect(table.get_by_role("row").filter(has_text="user.create").first).to_be_visible()
