"""Models: creation from a reference picture, listing, changes, versions, export."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from tests.api.conftest import RunningApi
from tests.api.factories import (
    QUADRANT_ZONES,
    assert_problem,
    create_model,
    encode,
    model_with_zones,
    picture_bytes,
    quadrant_picture,
    zone,
)


def test_create_answers_201_with_location_etag_and_the_model(api: RunningApi) -> None:
    response = api.client.post(
        "/models",
        data={"name": "Invoice", "description": "A4 invoices"},
        files={"image": ("ref.png", picture_bytes(400, 300), "image/png")},
    )
    assert response.status_code == 201
    model = response.json()
    assert response.headers["location"] == f"/api/v1/models/{model['id']}"
    assert response.headers["etag"] == '"1"'
    assert model["name"] == "Invoice"
    assert model["description"] == "A4 invoices"
    assert model["version"] == 1
    assert model["alignment"] == "scale"
    assert model["output_format"] == "png"
    assert model["filename_template"] == "{source}_{zone}"
    assert model["zones"] == []
    assert model["image"]["width"] == 400 and model["image"]["height"] == 300
    assert model["image"]["format"] == "png"
    assert model["created_at"].endswith("Z") or model["created_at"].endswith("+00:00")


def test_reference_picture_is_served_back_unchanged(api: RunningApi) -> None:
    original = picture_bytes(120, 80)
    model = create_model(api.client, image=original)
    response = api.fetch(model["image"]["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == original


def test_tiff_reference_is_kept_as_png_with_its_oriented_size(api: RunningApi) -> None:
    model = create_model(api.client, image=encode(quadrant_picture(64, 48), "TIFF"))
    assert model["image"]["format"] == "png"
    served = Image.open(io.BytesIO(api.fetch(model["image"]["url"]).content))
    assert served.size == (64, 48)


def test_model_names_are_unique_regardless_of_case(api: RunningApi) -> None:
    create_model(api.client, name="Invoice")
    response = api.client.post(
        "/models",
        data={"name": "  INVOICE "},
        files={"image": ("r.png", picture_bytes(), "image/png")},
    )
    assert_problem(response, 409, "invoice")


def test_missing_picture_is_a_422_naming_the_field(api: RunningApi) -> None:
    problem = assert_problem(api.client.post("/models", data={"name": "x"}), 422)
    assert any(error["field"] == "image" for error in problem["errors"])


def test_text_file_is_415_and_nothing_is_created(api: RunningApi) -> None:
    response = api.client.post(
        "/models", data={"name": "x"}, files={"image": ("notes.png", b"hello, world", "image/png")}
    )
    assert_problem(response, 415)
    assert api.client.get("/models").json()["total"] == 0
    assert (
        not list((api.settings.data_dir / "references").rglob("*.*"))
        if (api.settings.data_dir / "references").exists()
        else True
    )


def test_truncated_picture_is_422(api: RunningApi) -> None:
    data = encode(quadrant_picture(300, 200), "JPEG")
    response = api.client.post(
        "/models",
        data={"name": "x"},
        files={"image": ("cut.jpg", data[: len(data) // 2], "image/jpeg")},
    )
    assert_problem(response, 422)


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header announcing ``width`` x ``height`` grey pixels, with a tiny body."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_gigapixel_picture_is_413_before_decoding(api: RunningApi) -> None:
    bomb = png_bomb(40_000, 25_000)
    assert len(bomb) < 500_000
    response = api.client.post(
        "/models", data={"name": "bomb"}, files={"image": ("bomb.png", bomb, "image/png")}
    )
    assert_problem(response, 413, "pixels")
    assert api.client.get("/health").status_code == 200


def test_list_is_paginated_and_searchable(api: RunningApi) -> None:
    for name in ("Alpha form", "Beta form", "Gamma sheet"):
        create_model(api.client, name=name)
    page = api.client.get("/models", params={"limit": 2, "offset": 0}).json()
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 0
    assert len(page["items"]) == 2
    rest = api.client.get("/models", params={"limit": 2, "offset": 2}).json()
    assert len(rest["items"]) == 1
    names = {item["name"] for item in page["items"] + rest["items"]}
    assert names == {"Alpha form", "Beta form", "Gamma sheet"}
    found = api.client.get("/models", params={"q": "FORM"}).json()
    assert {item["name"] for item in found["items"]} == {"Alpha form", "Beta form"}
    assert all("zone_count" in item for item in found["items"])


def test_list_refuses_a_limit_out_of_range(api: RunningApi) -> None:
    problem = assert_problem(api.client.get("/models", params={"limit": 0}), 422)
    assert problem["errors"][0]["field"] == "limit"


def test_patch_changes_settings_and_grows_the_version(api: RunningApi) -> None:
    model = create_model(api.client)
    response = api.client.patch(
        f"/models/{model['id']}",
        json={
            "name": "Renamed",
            "output_format": "jpeg",
            "output_quality": 70,
            "filename_template": "{date}_{source}_{zone}",
            "alignment": "features",
        },
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["version"] == 2 and response.headers["etag"] == '"2"'
    assert changed["name"] == "Renamed" and changed["output_format"] == "jpeg"
    assert changed["output_quality"] == 70 and changed["alignment"] == "features"
    assert changed["updated_at"] >= model["updated_at"]


def test_stale_if_match_is_412_and_changes_nothing(api: RunningApi) -> None:
    model = create_model(api.client)
    api.client.patch(f"/models/{model['id']}", json={"description": "first"})
    response = api.client.patch(
        f"/models/{model['id']}", json={"description": "second"}, headers={"If-Match": '"1"'}
    )
    assert_problem(response, 412, "version 2")
    assert api.client.get(f"/models/{model['id']}").json()["description"] == "first"


def test_patch_refuses_unknown_fields_and_bad_templates(api: RunningApi) -> None:
    model = create_model(api.client)
    assert_problem(api.client.patch(f"/models/{model['id']}", json={"colour": "red"}), 422)
    problem = assert_problem(
        api.client.patch(f"/models/{model['id']}", json={"filename_template": "{source}/{nope}"}),
        422,
    )
    assert problem["errors"][0]["field"] == "filename_template"


def test_rename_to_a_taken_name_is_409(api: RunningApi) -> None:
    create_model(api.client, name="One")
    two = create_model(api.client, name="Two")
    assert_problem(api.client.patch(f"/models/{two['id']}", json={"name": "one"}), 409)


def test_delete_is_204_then_404(api: RunningApi) -> None:
    model = create_model(api.client)
    assert (
        api.client.delete(f"/models/{model['id']}", headers={"If-Match": '"1"'}).status_code == 204
    )
    assert_problem(api.client.get(f"/models/{model['id']}"), 404)
    assert_problem(api.client.delete(f"/models/{model['id']}"), 404)


def test_unknown_and_malformed_ids_are_problems(api: RunningApi) -> None:
    assert_problem(api.client.get("/models/00000000-0000-0000-0000-000000000000"), 404)
    assert_problem(api.client.get("/models/not-a-uuid"), 404)


def test_replacing_the_picture_keeps_zones_that_fit(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    response = api.client.put(
        f"/models/{model['id']}/image",
        files={"image": ("bigger.png", picture_bytes(500, 400), "image/png")},
        headers={"If-Match": f'"{model["version"]}"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["image"]["width"] == 500
    assert response.json()["version"] == model["version"] + 1


def test_replacing_the_picture_with_one_too_small_for_the_zones_is_422(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    response = api.client.put(
        f"/models/{model['id']}/image",
        files={"image": ("small.png", picture_bytes(100, 100), "image/png")},
    )
    assert_problem(response, 422, "past the picture")
    assert api.client.get(f"/models/{model['id']}").json()["image"]["width"] == 400


def test_export_then_import_gives_an_equal_model(api: RunningApi) -> None:
    model = model_with_zones(api.client, name="Original")
    document = api.client.get(f"/models/{model['id']}/export").json()
    assert document["zonecut_export"] == 1 and len(document["zones"]) == len(QUADRANT_ZONES)
    document["name"] = "Copy"
    response = api.client.post("/models/import", json=document)
    assert response.status_code == 201, response.text
    copy = response.json()
    assert response.headers["location"].endswith(copy["id"])
    strip = lambda zones: [{k: v for k, v in z.items() if k != "id"} for z in zones]  # noqa: E731
    assert strip(copy["zones"]) == strip(model["zones"])
    assert api.fetch(copy["image"]["url"]).content == api.fetch(model["image"]["url"]).content


def test_import_of_a_taken_name_or_bad_base64_is_refused(api: RunningApi) -> None:
    model = model_with_zones(api.client, name="Original")
    document = api.client.get(f"/models/{model['id']}/export").json()
    assert_problem(api.client.post("/models/import", json=document), 409)
    document["name"] = "Other"
    document["image"]["data_base64"] = "***"
    assert_problem(api.client.post("/models/import", json=document), 422, "base64")


def test_import_with_zones_outside_the_picture_is_422(api: RunningApi) -> None:
    model = create_model(api.client)
    document = api.client.get(f"/models/{model['id']}/export").json()
    document["name"] = "Broken"
    document["zones"] = [zone("z", "f", 390, 0, 50, 50)]
    assert_problem(api.client.post("/models/import", json=document), 422)
    assert api.client.get("/models").json()["total"] == 1
