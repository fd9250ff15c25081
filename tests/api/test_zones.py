"""Zones: checked against the picture and each other, replaced atomically, versioned."""

from __future__ import annotations

import threading

import pytest

from tests.api.conftest import RunningApi
from tests.api.factories import QUADRANT_ZONES, assert_problem, create_model, model_with_zones, zone


def test_put_replaces_all_zones_in_order_and_answers_the_model(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    assert [z["name"] for z in model["zones"]] == [z["name"] for z in QUADRANT_ZONES]
    assert model["version"] == 2
    replaced = api.client.put(
        f"/models/{model['id']}/zones",
        json={"zones": [zone("only", "one", 1, 2, 3, 4)]},
        headers={"If-Match": '"2"'},
    )
    assert replaced.status_code == 200
    assert [
        (z["name"], z["x"], z["y"], z["width"], z["height"]) for z in replaced.json()["zones"]
    ] == [("only", 1, 2, 3, 4)]


def test_put_keeps_the_ids_it_is_given(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    kept = {**model["zones"][1], "x": 190}
    response = api.client.put(f"/models/{model['id']}/zones", json={"zones": [kept]})
    assert response.json()["zones"][0]["id"] == kept["id"]
    assert response.json()["zones"][0]["x"] == 190


def test_put_with_an_id_of_another_model_is_422(api: RunningApi) -> None:
    first = model_with_zones(api.client, name="First")
    second = create_model(api.client, name="Second")
    foreign = first["zones"][0]
    problem = assert_problem(
        api.client.put(f"/models/{second['id']}/zones", json={"zones": [foreign]}), 422
    )
    assert problem["errors"][0]["field"] == "zones[0].id"


def test_a_zone_outside_the_picture_is_refused_with_its_field(api: RunningApi) -> None:
    model = create_model(api.client)
    problem = assert_problem(
        api.client.put(
            f"/models/{model['id']}/zones", json={"zones": [zone("wide", "f", 300, 0, 101, 10)]}
        ),
        422,
        "width 400",
    )
    assert problem["errors"] == [
        {"field": "zones[0].width", "message": "zone reaches x=401, past the picture's width 400"}
    ]


@pytest.mark.parametrize(
    "folder",
    [
        "../escape",
        "a/../../b",
        "/etc",
        "C:",
        "a\\b",
        "con",
        "a//b",
        "a/b/c/d/e/f",
        "x" * 256,
        "tab\there",
    ],
)
def test_unsafe_folders_are_422_never_rewritten(api: RunningApi, folder: str) -> None:
    model = create_model(api.client)
    problem = assert_problem(
        api.client.put(
            f"/models/{model['id']}/zones", json={"zones": [zone("z", folder, 0, 0, 5, 5)]}
        ),
        422,
    )
    assert problem["errors"][0]["field"] == "zones[0].folder"
    assert api.client.get(f"/models/{model['id']}").json()["zones"] == []


def test_zone_names_are_unique_in_a_model_regardless_of_case(api: RunningApi) -> None:
    model = create_model(api.client)
    zones = [zone("Total", "a", 0, 0, 5, 5), zone("total", "b", 5, 5, 5, 5)]
    problem = assert_problem(
        api.client.put(f"/models/{model['id']}/zones", json={"zones": zones}), 422
    )
    assert problem["errors"][0]["field"] == "zones[1].name"


def test_negative_or_empty_geometry_is_422(api: RunningApi) -> None:
    model = create_model(api.client)
    for bad in (
        zone("a", "f", -1, 0, 5, 5),
        zone("a", "f", 0, 0, 0, 5),
        {"name": "a", "folder": "f"},
    ):
        assert_problem(api.client.put(f"/models/{model['id']}/zones", json={"zones": [bad]}), 422)


def test_zone_limit_is_a_setting(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(max_zones_per_model=2)
    model = create_model(api.client)
    zones = [zone(f"z{i}", "f", i, 0, 1, 1) for i in range(3)]
    assert_problem(
        api.client.put(f"/models/{model['id']}/zones", json={"zones": zones}), 422, "limit of 2"
    )
    model_id = model["id"]
    assert api.client.put(f"/models/{model_id}/zones", json={"zones": zones[:2]}).status_code == 200
    assert_problem(api.client.post(f"/models/{model_id}/zones", json=zones[2]), 422, "limit of 2")


def test_coordinates_are_bounded_by_a_setting(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(max_coordinate=100)
    model = create_model(api.client)
    problem = assert_problem(
        api.client.put(
            f"/models/{model['id']}/zones", json={"zones": [zone("z", "f", 150, 0, 5, 5)]}
        ),
        422,
    )
    assert problem["errors"][0]["field"] == "zones[0].x"


def test_one_zone_can_be_added_read_changed_and_deleted(api: RunningApi) -> None:
    model = create_model(api.client)
    base = f"/models/{model['id']}/zones"
    created = api.client.post(
        base, json=zone("sig", "signatures", 10, 10, 50, 20), headers={"If-Match": '"1"'}
    )
    assert created.status_code == 201 and created.headers["etag"] == '"2"'
    zone_id = created.json()["id"]
    assert created.headers["location"] == f"/api/v1{base}/{zone_id}"
    assert api.client.get(f"{base}/{zone_id}").json()["folder"] == "signatures"
    changed = api.client.patch(f"{base}/{zone_id}", json={"folder": "sig/new", "width": 60})
    assert (
        changed.status_code == 200
        and changed.json()["width"] == 60
        and changed.json()["folder"] == "sig/new"
    )
    assert_problem(api.client.patch(f"{base}/{zone_id}", json={"x": 390}), 422)
    listed = api.client.get(base).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == zone_id
    assert api.client.delete(f"{base}/{zone_id}", headers={"If-Match": '"3"'}).status_code == 204
    assert_problem(api.client.get(f"{base}/{zone_id}"), 404)
    assert api.client.get(f"/models/{model['id']}").json()["version"] == 4


def test_concurrent_saves_with_the_same_version_let_exactly_one_win(api: RunningApi) -> None:
    model = create_model(api.client)
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def save(index: int) -> None:
        barrier.wait()
        response = api.client.put(
            f"/models/{model['id']}/zones",
            json={"zones": [zone(f"z{index}", "f", index, 0, 10, 10)]},
            headers={"If-Match": '"1"'},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [412] * 5
    final = api.client.get(f"/models/{model['id']}").json()
    assert final["version"] == 2 and len(final["zones"]) == 1
