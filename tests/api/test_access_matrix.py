"""Every route has an access rule, and every rule holds for every kind of caller.

The matrix is generated from the application's routes: a new route without a rule, or
missing from ``REQUIRED_ROLE``, fails here before it can ship open by mistake.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.edge.authentication import RouteRule
from api.edge.presenters import API_PREFIX
from api.main import create_app
from api.settings import Settings
from tests.api.conftest import RunningApi
from tests.api.factories import extract, model_with_zones, picture_bytes

OPEN = None
REQUIRED_ROLE: dict[tuple[str, str], str | None] = {
    ("GET", "/health"): OPEN,
    ("GET", "/ready"): OPEN,
    ("POST", "/auth/login"): OPEN,
    ("POST", "/auth/logout"): OPEN,
    ("POST", "/auth/setup"): OPEN,
    ("GET", "/auth/me"): "operator",
    ("GET", "/models"): "operator",
    ("POST", "/models"): "editor",
    ("POST", "/models/import"): "editor",
    ("GET", "/models/{model_id}"): "operator",
    ("PATCH", "/models/{model_id}"): "editor",
    ("DELETE", "/models/{model_id}"): "editor",
    ("GET", "/models/{model_id}/image"): "operator",
    ("PUT", "/models/{model_id}/image"): "editor",
    ("GET", "/models/{model_id}/export"): "editor",
    ("GET", "/models/{model_id}/suggestions"): "operator",
    ("GET", "/models/{model_id}/zones"): "operator",
    ("POST", "/models/{model_id}/zones"): "editor",
    ("PUT", "/models/{model_id}/zones"): "editor",
    ("GET", "/models/{model_id}/zones/{zone_id}"): "operator",
    ("PATCH", "/models/{model_id}/zones/{zone_id}"): "editor",
    ("DELETE", "/models/{model_id}/zones/{zone_id}"): "editor",
    ("GET", "/models/{model_id}/samples"): "editor",
    ("POST", "/models/{model_id}/samples"): "editor",
    ("POST", "/models/{model_id}/samples/check"): "editor",
    ("GET", "/models/{model_id}/samples/{sample_id}"): "editor",
    ("DELETE", "/models/{model_id}/samples/{sample_id}"): "editor",
    ("GET", "/models/{model_id}/samples/{sample_id}/thumbnail"): "editor",
    ("GET", "/models/{model_id}/samples/{sample_id}/preview"): "editor",
    ("POST", "/extract"): "operator",
    ("GET", "/extractions"): "operator",
    ("GET", "/extractions/{extraction_id}"): "operator",
    ("GET", "/extractions/{extraction_id}/archive"): "operator",
    ("GET", "/extractions/{extraction_id}/overlay"): "operator",
    # a caller's own jobs (an admin reads any): as for /extract
    ("GET", "/jobs"): "operator",
    ("GET", "/jobs/{job_id}"): "operator",
    ("GET", "/jobs/{job_id}/items"): "operator",
    ("DELETE", "/jobs/{job_id}"): "operator",
    ("GET", "/folders"): "operator",
    ("GET", "/folders/{folder}/files"): "operator",
    ("GET", "/folders/{folder}/archive"): "operator",
    ("GET", "/files/{path}"): "operator",
    ("DELETE", "/files/{path}"): "editor",
    ("GET", "/reviews"): "operator",
    ("GET", "/reviews/{review_id}"): "operator",
    ("GET", "/reviews/{review_id}/picture"): "operator",
    ("GET", "/reviews/{review_id}/overlay"): "operator",
    ("POST", "/reviews/{review_id}/resolve"): "operator",
    ("POST", "/reviews/{review_id}/discard"): "editor",  # it deletes the kept picture
    ("GET", "/users"): "admin",
    ("POST", "/users"): "admin",
    ("GET", "/users/{user_id}"): "admin",
    ("PATCH", "/users/{user_id}"): "admin",
    ("DELETE", "/users/{user_id}"): "admin",
    ("POST", "/users/{user_id}/unlock"): "admin",
    ("GET", "/api-keys"): "admin",
    ("POST", "/api-keys"): "admin",
    ("DELETE", "/api-keys/{key_id}"): "admin",
    ("GET", "/audit"): "admin",
    ("GET", "/webhooks"): "admin",
    ("POST", "/webhooks"): "admin",
    ("GET", "/webhooks/{webhook_id}"): "admin",
    ("DELETE", "/webhooks/{webhook_id}"): "admin",
    ("POST", "/webhooks/{webhook_id}/test"): "admin",
    ("GET", "/webhooks/{webhook_id}/deliveries"): "admin",
}
# What a key limited to some models may still call (with those models).
SCOPED_KEY_MAY = {
    ("GET", "/auth/me"),
    ("GET", "/models"),
    ("GET", "/models/{model_id}"),
    ("GET", "/models/{model_id}/image"),
    ("GET", "/models/{model_id}/suggestions"),
    ("GET", "/models/{model_id}/zones"),
    ("GET", "/models/{model_id}/zones/{zone_id}"),
    ("POST", "/extract"),
    ("GET", "/extractions"),
    ("GET", "/extractions/{extraction_id}"),
    ("GET", "/extractions/{extraction_id}/archive"),
    ("GET", "/extractions/{extraction_id}/overlay"),
    ("GET", "/jobs"),
    ("GET", "/jobs/{job_id}"),
    ("GET", "/jobs/{job_id}/items"),
    ("DELETE", "/jobs/{job_id}"),
    ("GET", "/reviews"),
    ("GET", "/reviews/{review_id}"),
    ("GET", "/reviews/{review_id}/picture"),
    ("GET", "/reviews/{review_id}/overlay"),
    ("POST", "/reviews/{review_id}/resolve"),
}
RANK = {"operator": 0, "editor": 1, "admin": 2}


def api_routes(tmp_path: Path) -> list[tuple[str, str, RouteRule]]:
    """Every API operation as the authentication middleware sees it."""
    app = create_app(Settings(data_dir=tmp_path, frontend_dir=tmp_path))
    app.state.engine.dispose()
    found = []
    for route in app.state.api_routes:
        path = re.sub(r":\w+}", "}", route.path.removeprefix(API_PREFIX))
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, path, route))
    return found


def test_every_route_has_a_rule_and_is_in_the_matrix(tmp_path: Path) -> None:
    routes = api_routes(tmp_path)
    assert len(routes) >= 30
    for method, path, route in routes:
        rule = route.rule
        assert rule is not None, f"{method} {path} has no access rule"
        assert (method, path) in REQUIRED_ROLE, f"{method} {path}: add it to REQUIRED_ROLE"
        assert rule.role == REQUIRED_ROLE[(method, path)], f"{method} {path}"
        assert rule.scoped_keys == ((method, path) in SCOPED_KEY_MAY), f"{method} {path}"
    assert {(m, p) for m, p, _ in routes} == set(REQUIRED_ROLE)


def _request(client: httpx.Client, method: str, path: str, ids: dict[str, str]) -> httpx.Response:
    """A request that is harmless when allowed: stale If-Match, unknown ids for deletes."""
    values = dict(ids)
    if method == "DELETE":
        values |= {
            "user_id": str(uuid.uuid4()),
            "key_id": str(uuid.uuid4()),
            "sample_id": str(uuid.uuid4()),
            "job_id": str(uuid.uuid4()),
            "webhook_id": str(uuid.uuid4()),
        }
        values["path"] = "nothing/here.png"
    url = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)
    headers = {"If-Match": '"0"'}
    if method in ("POST", "PUT", "PATCH"):
        return client.request(method, url, json={}, headers=headers)
    return client.request(method, url, headers=headers)


def _refused(client: httpx.Client, model_id: str) -> str:
    wide = picture_bytes(800, 300)  # another shape than the model's: kept for review
    review_id: str = extract(client, model_id, wide).json()["review_id"]
    return review_id


@pytest.fixture
def fixture_ids(api: RunningApi) -> dict[str, str]:
    model = model_with_zones(api.client)
    extraction = extract(api.client, model["id"], picture_bytes()).json()
    user = api.create_user("someone")
    sample = api.client.post(
        f"/models/{model['id']}/samples",
        files={"image": ("sample.png", picture_bytes(), "image/png")},
    ).json()
    return {
        "model_id": model["id"],
        "zone_id": model["zones"][0]["id"],
        "extraction_id": extraction["id"],
        "folder": extraction["crops"][0]["folder"],
        "path": extraction["crops"][0]["path"],
        "user_id": user["id"],
        "sample_id": sample["id"],
        "review_id": _refused(api.client, model["id"]),
        "job_id": str(uuid.uuid4()),  # a caller's own jobs: another's is 404 alike
        "webhook_id": _webhook(api.client),
    }


def _webhook(client: httpx.Client) -> str:
    body = {"url": "https://hooks.example/zonecut", "events": ["job.done"]}
    response = client.post("/webhooks", json=body)
    assert response.status_code == 201, response.text
    webhook_id: str = response.json()["id"]
    return webhook_id


def test_each_role_is_allowed_exactly_what_its_rule_says(
    api: RunningApi, fixture_ids: dict[str, Any], tmp_path: Path
) -> None:
    callers: dict[str, httpx.Client] = {
        "nobody": api.new_client(),
        "operator": api.as_role("operator"),
        "editor": api.as_role("editor"),
        "admin": api.as_role("admin"),
        "scoped": api.as_role("admin", models=[fixture_ids["model_id"]]),
        "session": api.sign_in(api.create_user("browser", "editor")["username"]),
    }
    seen = []
    for method, path, _route in api_routes(tmp_path):
        required = REQUIRED_ROLE[(method, path)]
        for caller, client in callers.items():
            if caller == "session" and path == "/auth/logout":
                client = api.sign_in("browser")  # signing out must not end the shared session
            status = _request(client, method, path, fixture_ids).status_code
            where = f"{caller}: {method} {path} -> {status}"
            if required is None:
                assert status not in (401, 403), where
            elif caller == "nobody":
                assert status == 401, where
            elif caller == "scoped":
                allowed = (method, path) in SCOPED_KEY_MAY
                assert (status != 403) if allowed else (status == 403), where
            else:
                role = "editor" if caller == "session" else caller
                allowed = RANK[role] >= RANK[required]
                assert (status not in (401, 403)) if allowed else (status == 403), where
            seen.append((method, path))
    assert len(set(seen)) == len(REQUIRED_ROLE)
