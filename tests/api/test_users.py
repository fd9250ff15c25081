"""Users managed by admins; the last admin stays; the audit log says who did what."""

from __future__ import annotations

from tests.api.conftest import PASSWORD, RunningApi
from tests.api.factories import assert_problem, model_with_zones


def test_an_admin_creates_lists_changes_and_deletes_users(api: RunningApi) -> None:
    created = api.create_user("ada", "editor")
    assert set(created) == {"id", "username", "role", "disabled", "created_at", "last_login_at"}
    assert_problem(
        api.client.post("/users", json={"username": "ADA", "password": PASSWORD}), 409, "taken"
    )
    changed = api.client.patch(
        f"/users/{created['id']}", json={"username": "ada.l", "role": "operator"}
    )
    assert changed.json()["username"] == "ada.l" and changed.json()["role"] == "operator"
    assert api.client.get("/users").json()["total"] == 1
    assert api.client.delete(f"/users/{created['id']}").status_code == 204
    assert_problem(api.client.get(f"/users/{created['id']}"), 404)


def test_bad_user_input_is_named(api: RunningApi) -> None:
    for body, field in (
        ({"username": "ada", "password": "short"}, "password"),
        ({"username": "../ada", "password": PASSWORD}, "username"),
        ({"username": "key:ada", "password": PASSWORD}, "username"),
        ({"username": "ada", "password": PASSWORD, "role": "root"}, "role"),
    ):
        problem = assert_problem(api.client.post("/users", json=body), 422)
        assert problem["errors"][0]["field"] == field


def test_the_last_enabled_admin_cannot_be_disabled_demoted_or_deleted(api: RunningApi) -> None:
    first = api.create_user("root", "admin")
    for change in ({"disabled": True}, {"role": "editor"}):
        assert_problem(api.client.patch(f"/users/{first['id']}", json=change), 409, "last")
    assert_problem(api.client.delete(f"/users/{first['id']}"), 409, "last")
    second = api.create_user("root2", "admin")
    assert api.client.patch(f"/users/{first['id']}", json={"role": "editor"}).status_code == 200
    assert_problem(api.client.delete(f"/users/{second['id']}"), 409)
    # a disabled admin does not count as the one that remains
    assert api.client.patch(f"/users/{first['id']}", json={"role": "admin"}).status_code == 200
    api.client.patch(f"/users/{first['id']}", json={"disabled": True})
    assert_problem(api.client.patch(f"/users/{second['id']}", json={"disabled": True}), 409)


def test_an_admin_signed_in_may_demote_itself_only_if_another_admin_remains(
    api: RunningApi,
) -> None:
    me = api.create_user("root", "admin")
    browser = api.sign_in("root")
    assert_problem(browser.patch(f"/users/{me['id']}", json={"role": "operator"}), 409)


def test_the_audit_log_names_who_did_what_newest_first(api: RunningApi) -> None:
    api.create_user("ada", "editor")
    browser = api.sign_in("ada")
    model_with_zones(browser, name="Form")
    api.new_client().post("/auth/login", json={"username": "ada", "password": "wrong!!!"})
    key = api.create_key("operator", name="scanner")
    api.client.delete(f"/api-keys/{key['id']}")
    browser.post("/auth/logout")

    events = api.client.get("/audit").json()["items"]
    actions = [(e["actor"], e["action"]) for e in events]
    assert actions[:4] == [
        ("ada", "auth.logout"),
        ("key:bootstrap", "api_key.revoke"),
        ("key:bootstrap", "api_key.create"),
        ("ada", "auth.login_failed"),
    ]
    assert ("ada", "zones.replace") in actions and ("ada", "model.create") in actions
    assert ("ada", "auth.login") in actions and ("key:bootstrap", "user.create") in actions
    assert "wrong!!!" not in str(events)

    only_ada = api.client.get("/audit", params={"actor": "ada", "action": "model.*"}).json()
    assert [e["action"] for e in only_ada["items"]] == ["model.create"]
    assert_problem(browser.get("/audit"), 401)  # signed out
    assert_problem(api.as_role("editor").get("/audit"), 403, "admin")
