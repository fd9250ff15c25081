"""Zone suggestions over HTTP: the printed boxes of a reference found, page by page,
computed once and kept beside the picture, for every role that may read the model."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from bench.form_fixtures import Form, checkbox_form, twelve_boxes
from tests.api.conftest import RunningApi
from tests.api.factories import assert_problem, encode
from tests.helpers import tiff_of

PAGE = (1240, 1754)  # A4 at 150 dpi


def new_model(api: RunningApi, data: bytes, filename: str = "form.png") -> dict[str, Any]:
    response = api.client.post(
        "/models",
        data={"name": f"form-{uuid.uuid4().hex[:8]}"},
        files={"image": (filename, data, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    model: dict[str, Any] = response.json()
    return model


def rect(item: dict[str, Any]) -> tuple[int, int, int, int]:
    return item["x"], item["y"], item["width"], item["height"]


def matched(form: Form, items: list[dict[str, Any]], iou: float = 0.95) -> int:
    """How many of the form's fields a suggestion covers with at least ``iou``."""
    return sum(any(f.iou(*rect(item)) >= iou for item in items) for f in form.fields)


@pytest.fixture(scope="module")
def form() -> Form:
    return twelve_boxes(PAGE)


@pytest.fixture
def model(api: RunningApi, form: Form) -> dict[str, Any]:
    return new_model(api, encode(form.image))


def sidecars(api: RunningApi, model: dict[str, Any]) -> list[Path]:
    return sorted((api.settings.references_dir / model["id"]).glob("*.suggestions"))


def test_the_printed_boxes_of_a_form_are_suggested(
    api: RunningApi, form: Form, model: dict[str, Any]
) -> None:
    answer = api.client.get(f"/models/{model['id']}/suggestions")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"items", "lines"}
    items = body["items"]
    assert len(items) == 12
    assert matched(form, items) == 12
    assert {item["kind"] for item in items} == {"box"}
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    # Every box has four printed sides to snap to, each inside the page.
    assert len(body["lines"]) >= 12 * 4
    for line in body["lines"]:
        assert 0 <= line["x1"] <= PAGE[0] and 0 <= line["x2"] <= PAGE[0]
        assert 0 <= line["y1"] <= PAGE[1] and 0 <= line["y2"] <= PAGE[1]
        assert line["thickness"] > 0


def test_zones_already_drawn_leave_no_suggestion_out(
    api: RunningApi, form: Form, model: dict[str, Any]
) -> None:
    first = form.fields[0]
    zone = {"name": "a", "folder": "a", "x": first.x, "y": first.y}
    zone |= {"width": first.width, "height": first.height}
    response = api.client.put(f"/models/{model['id']}/zones", json={"zones": [zone]})
    assert response.status_code == 200, response.text
    items = api.client.get(f"/models/{model['id']}/suggestions").json()["items"]
    assert len(items) == 12  # leaving covered ones out is the editor's choice


def test_found_once_then_kept_beside_the_reference_until_it_goes(
    api: RunningApi, form: Form
) -> None:
    model = new_model(api, encode(form.image))
    assert sidecars(api, model) == []
    first = api.client.get(f"/models/{model['id']}/suggestions").json()
    [kept] = sidecars(api, model)
    [picture] = (api.settings.references_dir / model["id"]).glob("*.png")
    assert kept.stem == picture.stem  # named after the picture's content
    assert api.client.get(f"/models/{model['id']}/suggestions").json() == first
    # A new reference picture has suggestions of its own; the old ones go with it.
    other = checkbox_form(3, PAGE)
    response = api.client.put(
        f"/models/{model['id']}/image",
        files={"image": ("other.png", encode(other.image), "image/png")},
    )
    assert response.status_code == 200, response.text
    items = api.client.get(f"/models/{model['id']}/suggestions").json()["items"]
    assert matched(other, items, 0.85) >= 0.9 * len(other.fields)
    assert sidecars(api, model) != [kept] and len(sidecars(api, model)) == 1
    assert api.client.delete(f"/models/{model['id']}").status_code == 204
    assert sidecars(api, model) == []


def test_each_page_of_a_document_has_its_own(api: RunningApi) -> None:
    small = (827, 1170)
    boxes, checks = twelve_boxes(small), checkbox_form(5, small)
    model = new_model(api, tiff_of([boxes.image, checks.image]), "form.tif")
    base = f"/models/{model['id']}/suggestions"
    page_1 = api.client.get(base).json()["items"]
    assert api.client.get(base, params={"page": 1}).json()["items"] == page_1
    page_2 = api.client.get(base, params={"page": 2}).json()["items"]
    assert matched(boxes, page_1) == 12
    assert {item["kind"] for item in page_2} == {"checkbox"}
    assert matched(checks, page_2, 0.85) >= 0.9 * len(checks.fields)
    assert_problem(api.client.get(base, params={"page": 3}), 404, "2 reference pages", "page 3")
    assert_problem(api.client.get(base, params={"page": 0}), 422)
    assert_problem(api.client.get(base, params={"page": "two"}), 422)


def test_an_unknown_model_is_not_found(api: RunningApi) -> None:
    assert_problem(api.client.get(f"/models/{uuid.uuid4()}/suggestions"), 404)


def test_every_role_may_read_them_a_key_only_for_its_models(
    api: RunningApi, model: dict[str, Any]
) -> None:
    path = f"/models/{model['id']}/suggestions"
    for role in ("operator", "editor", "admin"):
        assert api.as_role(role).get(path).status_code == 200, role
    assert api.as_role("operator", models=[model["id"]]).get(path).status_code == 200
    other = new_model(api, encode(twelve_boxes((400, 566)).image))
    assert_problem(api.as_role("operator", models=[other["id"]]).get(path), 404)
    assert api.new_client().get(path).status_code == 401
