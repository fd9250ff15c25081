"""Discarding a review item deletes its picture: it needs an editor, as deleting files
does; operators still resolve items, and every discard is in the audit log."""

from __future__ import annotations

from tests.api.conftest import RunningApi
from tests.api.factories import assert_problem, encode, extract, model_with_zones, quadrant_picture

WIDE = encode(quadrant_picture(400, 300).resize((800, 300)))  # another shape: refused, kept


def test_an_operator_cannot_discard_a_review_item(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    review = extract(api.client, model["id"], WIDE).json()["review_id"]
    operator = api.as_role("operator")
    assert_problem(operator.post(f"/reviews/{review}/discard"), 403, "editor")
    assert api.client.get(f"/reviews/{review}").json()["status"] == "open"
    assert api.client.get(f"/reviews/{review}/picture").status_code == 200

    editor = api.create_key("editor", name="reviewer")
    answer = api.new_client({"Authorization": f"Bearer {editor['secret']}"}).post(
        f"/reviews/{review}/discard"
    )
    assert answer.status_code == 204, answer.text
    events = api.client.get("/audit").json()["items"]
    assert {"actor": "key:reviewer", "action": "review.discard", "target": review} in [
        {name: event[name] for name in ("actor", "action", "target")} for event in events
    ]
