"""The review queue: a refused picture is kept, and a person's placement cuts it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.api.conftest import RunningApi
from tests.api.factories import (
    QUADRANTS,
    assert_problem,
    encode,
    extract,
    model_with_zones,
    picture_bytes,
    quadrant_picture,
)
from tests.helpers import close_colour

WIDE = encode(quadrant_picture(400, 300).resize((800, 300)))  # another shape: refused by scale
PAGE_CORNERS = [[0, 0], [800, 0], [800, 300], [0, 300]]  # where the reference is in WIDE


def refused(api: RunningApi, model: dict[str, Any], **headers: str) -> dict[str, Any]:
    problem = assert_problem(extract(api.client, model["id"], WIDE, "wide.png", headers), 422)
    return problem


def test_a_refused_picture_is_kept_as_a_review_item(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    problem = refused(api, model)
    assert problem["type"].endswith("/picture-does-not-match")
    review = api.client.get(problem["review_url"].removeprefix("/api/v1")).json()
    assert review["id"] == problem["review_id"]
    assert review["status"] == "open" and review["reason"] == "picture-does-not-match"
    assert review["model_id"] == model["id"] and review["model_version"] == model["version"]
    assert review["created_by"] == "key:bootstrap" and review["source"]["width"] == 800
    picture = api.client.get(f"/reviews/{review['id']}/picture")
    assert picture.content == WIDE and picture.headers["content-type"] == "image/png"
    listed = api.client.get("/reviews", params={"status": "open", "model_id": model["id"]})
    assert [r["id"] for r in listed.json()["items"]] == [review["id"]]
    assert api.output_files() == []  # nothing was cut


def test_a_photo_of_another_shape_is_refused_from_its_header_alone(
    api: RunningApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("a picture refused by its shape was decoded")

    model = model_with_zones(api.client)
    monkeypatch.setattr("api.services.uploads.decode_picture", no_decoding)
    wide_photo = encode(quadrant_picture(400, 300).resize((800, 300)), "JPEG")
    problem = assert_problem(extract(api.client, model["id"], wide_photo, "wide.jpg"), 422)
    assert problem["type"].endswith("/picture-does-not-match")
    review = api.client.get(problem["review_url"].removeprefix("/api/v1")).json()
    assert review["source"]["width"] == 800 and review["source"]["height"] == 300
    assert api.client.get(f"/reviews/{review['id']}/picture").content == wide_photo


def test_a_retry_with_the_same_key_keeps_one_item(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    first = refused(api, model, **{"Idempotency-Key": "scan-7"})
    second = refused(api, model, **{"Idempotency-Key": "scan-7"})
    assert first["review_id"] == second["review_id"]
    assert api.client.get("/reviews").json()["total"] == 1


def test_only_pictures_that_do_not_match_are_kept(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    assert_problem(extract(api.client, model["id"], b"just some text"), 415)
    assert_problem(extract(api.client, model["id"], encode(quadrant_picture(), "JPEG")[:900]), 422)
    assert_problem(extract(api.client, model["id"], WIDE, store="false"), 422)
    empty = api.client.post(
        "/models", data={"name": "empty"}, files={"image": ("r.png", picture_bytes())}
    ).json()
    assert_problem(extract(api.client, empty["id"], WIDE), 422)
    api.client.patch(f"/models/{model['id']}", json={"on_refusal": "reject"})
    assert "review_id" not in refused(api, model)
    assert api.client.get("/reviews").json()["total"] == 0


def test_resolving_with_the_page_corners_cuts_and_files_like_an_extraction(
    api: RunningApi,
) -> None:
    model = model_with_zones(api.client)
    review_id = refused(api, model)["review_id"]
    answer = api.client.post(f"/reviews/{review_id}/resolve", json={"corners": PAGE_CORNERS})
    assert answer.status_code == 201, answer.text
    record = answer.json()
    assert answer.headers["location"] == f"/api/v1/extractions/{record['id']}"
    assert record["transform"]["method"] == "manual"
    assert record["model_version"] == model["version"] and record["created_by"] == "key:bootstrap"
    assert record["crops"][0]["quad"] == [[0, 0], [400, 0], [400, 150], [0, 150]]
    top_left = Image.open(io.BytesIO(api.fetch(record["crops"][0]["url"]).content))
    bottom_right = Image.open(io.BytesIO(api.fetch(record["crops"][1]["url"]).content))
    assert close_colour(top_left.getpixel((5, 100))[:1], QUADRANTS["top_left"][:1])
    assert close_colour(bottom_right.getpixel((5, 5))[:1], QUADRANTS["bottom_right"][:1])
    assert len(api.output_files()) == 3

    review = api.client.get(f"/reviews/{review_id}").json()
    assert review["status"] == "resolved" and review["extraction_id"] == record["id"]
    assert review["decided_by"] == "key:bootstrap"
    again = api.client.post(f"/reviews/{review_id}/resolve", json={"corners": PAGE_CORNERS})
    assert_problem(again, 409, "resolved")
    assert_problem(api.client.post(f"/reviews/{review_id}/discard"), 409)
    assert len(api.output_files()) == 3
    actions = [e["action"] for e in api.client.get("/audit").json()["items"]]
    assert "review.resolve" in actions


def test_resolving_with_one_quad_per_zone_must_name_every_zone(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    review_id = refused(api, model)["review_id"]
    zones = model["zones"]
    quads = {
        z["id"]: [
            [z["x"] * 2, z["y"]],
            [(z["x"] + z["width"]) * 2, z["y"]],
            [(z["x"] + z["width"]) * 2, z["y"] + z["height"]],
            [z["x"] * 2, z["y"] + z["height"]],
        ]
        for z in zones
    }
    partial = {k: v for k, v in list(quads.items())[:2]}
    problem = assert_problem(
        api.client.post(f"/reviews/{review_id}/resolve", json={"quads": partial}), 422, "missing"
    )
    assert problem["errors"][0]["field"] == "quads"
    answer = api.client.post(f"/reviews/{review_id}/resolve", json={"quads": quads})
    assert answer.status_code == 201, answer.text
    assert [c["quad"] for c in answer.json()["crops"]] == list(quads.values())


def test_a_placement_that_is_not_a_quad_is_refused(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    review_id = refused(api, model)["review_id"]
    for corners in (
        [[0, 0], [0, 300], [800, 300], [800, 0]],  # counter-clockwise
        [[0, 0], [800, 300], [800, 0], [0, 300]],  # crossed
        [[0, 0], [400, 0], [800, 0], [0, 300]],  # three in a line
    ):
        answer = api.client.post(f"/reviews/{review_id}/resolve", json={"corners": corners})
        assert_problem(answer, 422, "corners")
    both = {"corners": PAGE_CORNERS, "quads": {}}
    assert_problem(api.client.post(f"/reviews/{review_id}/resolve", json=both), 422)
    assert api.client.get(f"/reviews/{review_id}").json()["status"] == "open"


def test_discarding_drops_the_item_and_its_picture(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    review_id = refused(api, model)["review_id"]
    assert api.client.post(f"/reviews/{review_id}/discard").status_code == 204
    assert api.client.get(f"/reviews/{review_id}").json()["status"] == "discarded"
    assert_problem(api.client.get(f"/reviews/{review_id}/picture"), 404)
    assert_problem(api.client.post(f"/reviews/{review_id}/discard"), 409, "discarded")


def test_a_review_whose_model_was_deleted_cannot_be_resolved(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    review_id = refused(api, model)["review_id"]
    api.client.delete(f"/models/{model['id']}")
    answer = api.client.post(f"/reviews/{review_id}/resolve", json={"corners": PAGE_CORNERS})
    assert_problem(answer, 409, "deleted")


def test_operators_review_and_scoped_keys_see_their_models_only(api: RunningApi) -> None:
    mine = model_with_zones(api.client, name="Mine")
    other = model_with_zones(api.client, name="Other")
    refused(api, mine)
    other_review = refused(api, other)["review_id"]
    operator = api.as_role("operator")
    assert operator.get("/reviews").json()["total"] == 2
    scoped = api.as_role("operator", models=[mine["id"]])
    assert [r["model_name"] for r in scoped.get("/reviews").json()["items"]] == ["Mine"]
    assert_problem(scoped.get(f"/reviews/{other_review}"), 404)  # as if it did not exist
    answer = operator.post(f"/reviews/{other_review}/resolve", json={"corners": PAGE_CORNERS})
    assert answer.status_code == 201 and answer.json()["created_by"].startswith("key:")


def test_the_true_corners_of_a_shifted_picture_give_the_reference_pixels_exactly(
    api: RunningApi,
) -> None:
    reference = quadrant_picture(400, 300)
    model = model_with_zones(api.client)
    canvas = Image.new("RGB", (640, 330), (128, 128, 128))  # another shape: refused
    canvas.paste(reference, (37, 21))
    review_id = refused_picture(api, model, encode(canvas))
    corners = [[37, 21], [437, 21], [437, 321], [37, 321]]  # a pure shift
    record = api.client.post(f"/reviews/{review_id}/resolve", json={"corners": corners}).json()
    for crop, zone in zip(record["crops"], model["zones"], strict=True):
        box = (zone["x"], zone["y"], zone["x"] + zone["width"], zone["y"] + zone["height"])
        filed = Image.open(io.BytesIO(api.fetch(crop["url"]).content)).convert("RGB")
        assert filed.tobytes() == reference.crop(box).tobytes(), crop["zone_name"]


def test_strangers_see_no_review_picture(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    review_id = refused(api, model)["review_id"]
    for path in (f"/reviews/{review_id}/picture", f"/reviews/{review_id}/overlay", "/reviews"):
        assert_problem(api.new_client().get(path), 401)


def refused_picture(api: RunningApi, model: dict[str, Any], picture: bytes) -> str:
    problem = assert_problem(extract(api.client, model["id"], picture, "shifted.png"), 422)
    review_id: str = problem["review_id"]
    return review_id
