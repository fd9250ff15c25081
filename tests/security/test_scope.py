"""A key limited to some models learns nothing of the others.

A model, extraction or review outside the caller's scope is answered exactly like one
that does not exist: 404, the same body, no id of anything the caller did not send. And a
key for no model (``models: []``) is a key for no model, never one for all of them.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import RunningApi, bearer
from tests.api.factories import encode, extract, model_with_zones, picture_bytes, quadrant_picture

WIDE = encode(quadrant_picture(400, 300).resize((800, 300)))  # another shape: refused, kept
CORNERS = {"corners": [[0, 0], [800, 0], [800, 300], [0, 300]]}


def same_as_missing(
    hidden: httpx.Response, missing: httpx.Response, sent: str, missing_sent: str, *secrets: str
) -> None:
    """``hidden`` (asked about something out of scope, named by ``sent``) is answered as
    ``missing`` (asked about nothing, named by ``missing_sent``): 404 and the same body but
    for the name sent and the path; none of ``secrets`` appears in it."""
    assert hidden.status_code == missing.status_code == 404, hidden.text
    assert hidden.headers["content-type"] == missing.headers["content-type"]
    body, expected = hidden.json(), missing.json()
    assert set(body) == set(expected), body
    for field in body:
        if field == "instance":
            continue
        wanted = expected[field]
        if isinstance(wanted, str):
            wanted = wanted.replace(missing_sent, sent)
        assert body[field] == wanted, (field, body)
    for secret in secrets:
        assert secret not in hidden.text


@pytest.fixture
def world(api: RunningApi) -> dict[str, Any]:
    """Two models; a key limited to the first; an extraction and a review of the second."""
    mine = model_with_zones(api.client, name="Mine")
    other = model_with_zones(api.client, name="Other")
    extraction = extract(api.client, other["id"], picture_bytes())
    review = extract(api.client, other["id"], WIDE)
    assert extraction.status_code == 201 and review.status_code == 422
    return {
        "mine": mine,
        "other": other,
        "extraction": extraction.json()["id"],
        "review": review.json()["review_id"],
        "scoped": api.as_role("editor", models=[mine["id"]]),
    }


def test_a_model_out_of_scope_is_answered_as_a_missing_one(
    api: RunningApi, world: dict[str, Any]
) -> None:
    scoped, other = world["scoped"], world["other"]
    nothing = str(uuid.uuid4())
    zone = other["zones"][0]["id"]
    for path in ("", "/image", "/zones", f"/zones/{zone}"):
        same_as_missing(
            scoped.get(f"/models/{other['id']}{path}"),
            scoped.get(f"/models/{nothing}{path}"),
            other["id"],
            nothing,
        )
    # posting by name must not give the model's id away, nor tell it exists
    same_as_missing(
        extract(scoped, "Other", picture_bytes()),
        extract(scoped, "Nothing", picture_bytes()),
        "Other",
        "Nothing",
        other["id"],
    )
    same_as_missing(
        extract(scoped, other["id"], picture_bytes()),
        extract(scoped, nothing, picture_bytes()),
        other["id"],
        nothing,
    )
    # several pictures at once, too
    several = {"files": [("image", ("a.png", picture_bytes())), ("image", ("b.png", WIDE))]}
    same_as_missing(
        scoped.post("/extract", data={"model": "Other"}, **several),  # type: ignore[arg-type]
        scoped.post("/extract", data={"model": "Nothing"}, **several),  # type: ignore[arg-type]
        "Other",
        "Nothing",
        other["id"],
    )


def test_an_extraction_out_of_scope_is_answered_as_a_missing_one(
    api: RunningApi, world: dict[str, Any]
) -> None:
    scoped, hidden = world["scoped"], world["extraction"]
    nothing = str(uuid.uuid4())
    for path in ("", "/archive", "/overlay"):
        same_as_missing(
            scoped.get(f"/extractions/{hidden}{path}"),
            scoped.get(f"/extractions/{nothing}{path}"),
            hidden,
            nothing,
            world["other"]["id"],
        )


def test_a_review_out_of_scope_is_answered_as_a_missing_one(
    api: RunningApi, world: dict[str, Any]
) -> None:
    scoped, hidden = world["scoped"], world["review"]
    nothing = str(uuid.uuid4())
    for path in ("", "/picture", "/overlay"):
        same_as_missing(
            scoped.get(f"/reviews/{hidden}{path}"),
            scoped.get(f"/reviews/{nothing}{path}"),
            hidden,
            nothing,
            world["other"]["id"],
        )
    same_as_missing(
        scoped.post(f"/reviews/{hidden}/resolve", json=CORNERS),
        scoped.post(f"/reviews/{nothing}/resolve", json=CORNERS),
        hidden,
        nothing,
        world["other"]["id"],
    )
    assert api.client.get(f"/reviews/{hidden}").json()["status"] == "open"  # untouched


def test_a_key_for_no_model_sees_no_model(api: RunningApi, world: dict[str, Any]) -> None:
    none = api.as_role("admin", models=[])
    assert none.get("/auth/me").json()["models"] == []
    for listing in ("/models", "/extractions", "/reviews"):
        answer = none.get(listing)
        assert answer.status_code == 200 and answer.json()["total"] == 0, (listing, answer.text)
    assert extract(none, "Mine", picture_bytes()).status_code == 404
    assert none.get(f"/models/{world['mine']['id']}").status_code == 404


def test_an_admin_key_for_no_model_does_not_read_the_metrics(api: RunningApi) -> None:
    proxied = {"X-Forwarded-For": "203.0.113.9"}  # not from this machine
    secret = api.create_key("admin", models=[])["secret"]
    answer = httpx.get(api.base_url + "/metrics", headers=proxied | bearer(secret))
    assert answer.status_code == 403, answer.text
    assert "zonecut_http_requests_total" not in answer.text
