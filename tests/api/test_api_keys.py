"""API keys: shown once, stored as hashes, scoped to models, revoked, expired, bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, update

from api.settings import Settings
from api.tables import ApiKey
from tests.api.conftest import RunningApi, bearer
from tests.api.factories import assert_problem, extract, model_with_zones, picture_bytes


def test_a_key_is_shown_once_and_then_only_by_its_prefix(api: RunningApi) -> None:
    created = api.create_key("operator", name="scanner")
    secret = created["secret"]
    assert secret.startswith("zc_") and len(secret) >= 3 + 43  # 32 random bytes
    assert created["prefix"] == secret[: len(created["prefix"])]
    listed = api.client.get("/api-keys").json()["items"]
    assert [k["name"] for k in listed] == ["scanner"]
    assert secret not in str(listed) and "secret" not in listed[0]
    assert listed[0]["last_used_at"] is None
    me = api.new_client(bearer(secret)).get("/auth/me").json()
    assert me == {"kind": "api_key", "name": "scanner", "role": "operator", "models": None}
    assert api.client.get("/api-keys").json()["items"][0]["last_used_at"] is not None


def test_a_revoked_key_stops_working_on_the_next_request(api: RunningApi) -> None:
    created = api.create_key("editor")
    client = api.new_client(bearer(created["secret"]))
    assert client.get("/models").status_code == 200
    assert api.client.delete(f"/api-keys/{created['id']}").status_code == 204
    assert_problem(client.get("/models"), 401, "revoked")
    listed = api.client.get("/api-keys").json()["items"][0]
    assert listed["revoked_at"] is not None
    assert api.client.delete(f"/api-keys/{created['id']}").status_code == 204


def test_an_expired_key_stops_working(api: RunningApi) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = api.client.post(
        "/api-keys", json={"name": "temp", "role": "operator", "expires_at": soon}
    )
    assert response.status_code == 201
    client = api.new_client(bearer(response.json()["secret"]))
    assert client.get("/models").status_code == 200
    engine = create_engine(api.settings.effective_database_url)
    with engine.begin() as connection:
        connection.execute(
            update(ApiKey).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    engine.dispose()
    assert_problem(client.get("/models"), 401)


def test_bad_key_requests_are_named(api: RunningApi) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert_problem(
        api.client.post("/api-keys", json={"name": "x", "expires_at": past}), 422, "future"
    )
    naive = datetime.now().replace(microsecond=0).isoformat()
    assert_problem(api.client.post("/api-keys", json={"name": "x", "expires_at": naive}), 422)
    assert_problem(api.client.post("/api-keys", json={"name": "x", "role": "root"}), 422)
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(api.client.post("/api-keys", json={"name": "x", "models": [missing]}), 422)
    assert_problem(api.client.post("/api-keys", json={"name": "bootstrap"}), 409)
    api.create_key(name="scanner")
    assert_problem(api.client.post("/api-keys", json={"name": "Scanner"}), 409, "revoke")


def test_a_revoked_keys_name_can_be_given_again(api: RunningApi) -> None:
    first = api.create_key(name="scanner")
    api.client.delete(f"/api-keys/{first['id']}")
    assert api.create_key(name="scanner")["id"] != first["id"]


def test_a_model_scoped_key_reads_and_cuts_its_models_only(api: RunningApi) -> None:
    mine = model_with_zones(api.client, name="Mine")
    other = model_with_zones(api.client, name="Other")
    extract(api.client, other["id"], picture_bytes())
    scanner = api.new_client(bearer(api.create_key("editor", [mine["id"]], "scanner")["secret"]))

    assert [m["name"] for m in scanner.get("/models").json()["items"]] == ["Mine"]
    # a search stays inside the key's models
    assert scanner.get("/models", params={"q": "other"}).json()["items"] == []
    assert [m["name"] for m in scanner.get("/models", params={"q": "mi"}).json()["items"]] == [
        "Mine"
    ]
    assert scanner.get(f"/models/{mine['id']}").status_code == 200
    assert scanner.get(f"/models/{mine['id']}/image").status_code == 200
    # a model outside the scope is one that does not exist
    assert_problem(scanner.get(f"/models/{other['id']}"), 404, "does not exist")
    assert_problem(scanner.get(f"/models/{other['id']}/image"), 404)

    cut = extract(scanner, "Mine", picture_bytes())
    assert cut.status_code == 201, cut.text
    assert cut.json()["created_by"] == "key:scanner"
    assert_problem(extract(scanner, "Other", picture_bytes()), 404)
    assert_problem(extract(scanner, other["id"], picture_bytes()), 404)

    listed = scanner.get("/extractions").json()
    assert listed["total"] == 1 and listed["items"][0]["model_id"] == mine["id"]
    others = api.client.get("/extractions", params={"model_id": other["id"]}).json()
    assert_problem(scanner.get(f"/extractions/{others['items'][0]['id']}"), 404)
    # even an editor key, once scoped, changes nothing and reads no folders
    assert_problem(scanner.patch(f"/models/{mine['id']}", json={"description": "x"}), 403)
    assert_problem(scanner.get("/folders"), 403, "limited")
    assert scanner.get("/auth/me").json()["models"] == [mine["id"]]


def test_extractions_record_who_asked(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    api.create_user("ada", "operator")
    record = extract(api.sign_in("ada"), model["id"], picture_bytes()).json()
    assert record["created_by"] == "ada"
    assert extract(api.client, model["id"], picture_bytes()).json()["created_by"] == "key:bootstrap"


def test_the_bootstrap_key_is_an_unlisted_admin(api: RunningApi) -> None:
    me = api.client.get("/auth/me").json()
    assert me == {"kind": "api_key", "name": "bootstrap", "role": "admin", "models": None}
    assert api.client.get("/api-keys").json()["total"] == 0


def test_a_short_bootstrap_key_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="32"):
        Settings(admin_api_key="too-short")


def test_without_the_setting_the_bootstrap_key_is_just_a_wrong_key(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(admin_api_key=None)
    assert_problem(api.client.get("/models"), 401)
