"""Models imported from other tools' files: ``POST /models/import`` as multipart, the file
as part ``file`` and the picture it was drawn on as part ``image``.

The fixtures (tests/fixtures/imports/, written by hand from each tool's documented
format: see tests/unit/test_importers.py for the pages) all describe a 400 x 300
``invoice.png`` with a ``total`` and a ``signature`` box.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.conftest import RunningApi
from tests.api.factories import (
    assert_problem,
    create_model,
    encode,
    model_with_zones,
    picture_bytes,
    quadrant_picture,
)
from tests.helpers import pdf_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
EXPECTED = {
    "total": ("total", 40, 30, 120, 60),
    "signature": ("signature", 200, 150, 150, 90),
}
SKIPPED_ALWAYS = {
    "via": ["stamp"],
    "label-studio": ["date", "stamp"],
    "coco": ["stamp"],
    "cvat": ["date", "stamp"],
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def post_import(
    client: httpx.Client,
    file: bytes,
    image: bytes | None = None,
    *,
    file_name: str = "annotations.json",
    image_name: str = "invoice.png",
    **fields: str,
) -> httpx.Response:
    files: dict[str, tuple[str, bytes, str]] = {
        "file": (file_name, file, "application/octet-stream")
    }
    if image is not None:
        files["image"] = (image_name, image, "image/png")
    return client.post("/models/import", files=files, data=fields)


def zones_of(model: dict[str, Any]) -> list[tuple[str, str, int, int, int, int, int]]:
    return [
        (z["name"], z["folder"], z["page"], z["x"], z["y"], z["width"], z["height"])
        for z in model["zones"]
    ]


@pytest.mark.parametrize(
    ("name", "fmt", "model_name", "picture"),
    [
        ("via_project.json", "via", "Invoices", "invoice.png"),
        ("label_studio_export.json", "label-studio", "invoice", "5e7a1b2c-invoice.png"),
        ("coco.json", "coco", "Invoices", "invoice.png"),
        ("cvat_images.xml", "cvat", "Invoices", "scans/invoice.png"),
    ],
)
def test_each_format_becomes_a_model_whose_zones_are_its_boxes(
    api: RunningApi, name: str, fmt: str, model_name: str, picture: str
) -> None:
    response = post_import(api.client, fixture(name), picture_bytes(), file_name=name)
    assert response.status_code == 201, response.text
    model = response.json()
    assert response.headers["location"].endswith(model["id"])
    assert response.headers["etag"] == f'"{model["version"]}"'
    assert model["name"] == model_name
    assert name in model["description"]
    assert zones_of(model) == [
        ("total", "total", 1, 40, 30, 120, 60),
        ("signature", "signature", 1, 200, 150, 150, 90),
    ]
    report = model["import_report"]
    assert report["format"] == fmt and report["picture"] == picture
    assert [item["label"] for item in report["skipped"]] == SKIPPED_ALWAYS[fmt]
    assert report["renamed"] == [] and report["clipped"] == []
    # the model is a model like any other: read back, cut with
    assert zones_of(api.client.get(f"/models/{model['id']}").json()) == zones_of(model)
    cut = api.client.post(
        "/extract",
        data={"model": model["id"]},
        files={"image": ("scan.png", picture_bytes(), "image/png")},
    )
    assert cut.status_code == 201, cut.text
    assert sorted(crop["folder"] for crop in cut.json()["crops"]) == ["signature", "total"]


def test_a_tabula_template_lands_on_the_pages_of_its_pdf(api: RunningApi) -> None:
    pages = [quadrant_picture(), quadrant_picture().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    response = post_import(
        api.client,
        fixture("tabula_template.json"),
        pdf_of(pages),
        file_name="tabula-invoice.json",
        image_name="invoice.pdf",
        name="Tabula invoice",
    )
    assert response.status_code == 201, response.text
    model = response.json()
    assert model["name"] == "Tabula invoice"
    assert [(p["width"], p["height"]) for p in model["image"]["pages"]] == [(400, 300)] * 2
    assert zones_of(model) == [
        ("zone 1", "zone 1", 1, 40, 30, 120, 60),
        ("zone 2", "zone 2", 2, 200, 150, 150, 90),
    ]
    report = model["import_report"]
    assert report["format"] == "tabula" and report["picture"] is None
    assert [(r["field"], r["from"], r["to"]) for r in report["renamed"]] == [
        ("name", "", "zone 1"),
        ("name", "", "zone 2"),
    ]


def test_a_tabula_template_needs_the_pdf_not_a_picture(api: RunningApi) -> None:
    response = post_import(api.client, fixture("tabula_template.json"), picture_bytes())
    problem = assert_problem(response, 422, "PDF points", "send the PDF")
    assert problem["errors"][0]["field"] == "image"
    assert api.client.get("/models").json()["total"] == 0


# --- files describing several pictures -----------------------------------------------------


def coco_of_two() -> bytes:
    document = json.loads(fixture("coco.json"))
    document["images"].append(
        {"id": 2, "file_name": "receipts/receipt.png", "width": 200, "height": 150}
    )
    document["annotations"].append(
        {"id": 4, "image_id": 2, "category_id": 1, "bbox": [10, 10, 50, 20], "iscrowd": 0}
    )
    return json.dumps(document).encode()


def test_the_picture_named_like_the_image_part_is_read(api: RunningApi) -> None:
    response = post_import(
        api.client, coco_of_two(), picture_bytes(200, 150), image_name="RECEIPT.png"
    )
    assert response.status_code == 201, response.text
    model = response.json()
    assert model["import_report"]["picture"] == "receipt.png"
    assert zones_of(model) == [("total", "total", 1, 10, 10, 50, 20)]


def test_several_pictures_none_named_like_the_image_part_is_a_422_naming_them(
    api: RunningApi,
) -> None:
    response = post_import(api.client, coco_of_two(), picture_bytes(), image_name="scan-0001.png")
    problem = assert_problem(
        response, 422, "2 pictures", "'scan-0001.png'", "'invoice.png'", "'receipt.png'"
    )
    assert problem["type"].endswith("/ambiguous-import")
    assert api.client.get("/models").json()["total"] == 0


def test_the_only_picture_of_the_file_is_read_whatever_the_image_is_called(
    api: RunningApi,
) -> None:
    response = post_import(api.client, fixture("coco.json"), picture_bytes(), image_name="ref.png")
    assert response.status_code == 201, response.text
    report = response.json()["import_report"]
    assert report["picture"] == "invoice.png"
    assert any("'invoice.png', not 'ref.png'" in note for note in report["notes"])


def test_the_only_picture_with_shapes_is_read_among_empty_tasks(api: RunningApi) -> None:
    # the Label Studio fixture has a second task, not yet annotated
    response = post_import(
        api.client, fixture("label_studio_export.json"), picture_bytes(), image_name="scan.png"
    )
    assert response.status_code == 201, response.text
    assert response.json()["import_report"]["picture"] == "5e7a1b2c-invoice.png"


# --- what is renamed, clipped and skipped --------------------------------------------------


def via_region(label: str | None, x: float, y: float, w: float, h: float) -> dict[str, Any]:
    region: dict[str, Any] = {
        "shape_attributes": {"name": "rect", "x": x, "y": y, "width": w, "height": h}
    }
    if label is not None:
        region["region_attributes"] = {"name": label}
    return region


def test_labels_are_made_valid_names_and_folders_and_every_change_is_reported(
    api: RunningApi,
) -> None:
    project = {
        "_via_img_metadata": {
            "invoice.png1": {
                "filename": "invoice.png",
                "size": 1,
                "regions": [
                    via_region("amount", 10, 10, 50, 20),
                    via_region("Amount", 10, 40, 50, 20),
                    via_region("../secrets", 10, 70, 50, 20),
                    via_region(None, 10, 100, 50, 20),
                    via_region("edge", 380, 280, 50, 50),
                    via_region("away", 500, 10, 50, 20),
                    {
                        "shape_attributes": {"name": "circle", "cx": 5, "cy": 5, "r": 3},
                        "region_attributes": {"name": "dot"},
                    },
                ],
                "file_attributes": {},
            }
        }
    }
    response = post_import(api.client, json.dumps(project).encode(), picture_bytes())
    assert response.status_code == 201, response.text
    model = response.json()
    assert zones_of(model) == [
        ("amount", "amount", 1, 10, 10, 50, 20),
        ("Amount 2", "Amount", 1, 10, 40, 50, 20),
        ("../secrets", "secrets", 1, 10, 70, 50, 20),
        ("zone 4", "zone 4", 1, 10, 100, 50, 20),
        ("edge", "edge", 1, 380, 280, 20, 20),
    ]
    report = model["import_report"]
    assert report["label_source"] == "region attribute 'name'"
    assert [(r["field"], r["from"], r["to"]) for r in report["renamed"]] == [
        ("name", "Amount", "Amount 2"),
        ("folder", "../secrets", "secrets"),
        ("name", "", "zone 4"),
    ]
    assert all(r["reason"] for r in report["renamed"])
    assert report["clipped"] == [
        {
            "zone": "edge",
            "reason": "it reached past the picture's right and bottom edge; cut back to it",
        }
    ]
    assert [(s["label"], s["reason"].split(" (")[0].split(";")[0]) for s in report["skipped"]] == [
        ("dot", "a circle is not a rectangle"),
        ("away", "it lies outside the picture"),
    ]


def test_a_file_whose_shapes_all_fail_is_a_422_saying_why(api: RunningApi) -> None:
    document = json.loads(fixture("coco.json"))
    for annotation in document["annotations"]:
        annotation["bbox"] = [900, 900, 10, 10]
    response = post_import(api.client, json.dumps(document).encode(), picture_bytes())
    problem = assert_problem(response, 422, "outside the picture", "total", "signature")
    assert problem["type"].endswith("/nothing-to-import")
    assert api.client.get("/models").json()["total"] == 0
    assert not any(api.settings.references_dir.rglob("*.*"))


def test_a_picture_of_the_same_shape_at_another_size_scales_the_boxes(api: RunningApi) -> None:
    response = post_import(api.client, fixture("cvat_images.xml"), picture_bytes(800, 600))
    assert response.status_code == 201, response.text
    model = response.json()
    assert zones_of(model) == [
        ("total", "total", 1, 80, 60, 240, 120),
        ("signature", "signature", 1, 400, 300, 300, 180),
    ]
    assert any("400x300" in note and "800x600" in note for note in model["import_report"]["notes"])


def test_a_picture_of_another_shape_than_the_file_describes_is_refused(api: RunningApi) -> None:
    response = post_import(api.client, fixture("coco.json"), picture_bytes(300, 400))
    problem = assert_problem(response, 422, "400x300", "300x400", "another shape")
    assert problem["errors"][0]["field"] == "image"


# --- names ----------------------------------------------------------------------------------


def test_the_name_part_names_the_model_and_a_taken_default_gets_a_number(api: RunningApi) -> None:
    first = post_import(api.client, fixture("via_project.json"), picture_bytes())
    second = post_import(api.client, fixture("via_project.json"), picture_bytes())
    assert (first.json()["name"], second.json()["name"]) == ("Invoices", "Invoices (2)")
    assert any("'Invoices (2)'" in note for note in second.json()["import_report"]["notes"])
    named = post_import(api.client, fixture("via_project.json"), picture_bytes(), name=" ACME ")
    assert named.status_code == 201 and named.json()["name"] == "ACME"
    taken = post_import(api.client, fixture("via_project.json"), picture_bytes(), name="acme")
    assert_problem(taken, 409, "acme")


# --- the form itself ------------------------------------------------------------------------


def test_unknown_file_is_a_422_naming_the_formats_read(api: RunningApi) -> None:
    labelme = b'{"version": "5.0.1", "shapes": [{"label": "a", "shape_type": "rectangle"}]}'
    problem = assert_problem(
        post_import(api.client, labelme, picture_bytes()),
        422,
        "VIA",
        "Label Studio",
        "COCO",
        "CVAT for images 1.1 XML",
        "Tabula",
    )
    assert problem["type"].endswith("/unknown-import-format")
    assert not api.settings.references_dir.exists() or not any(
        api.settings.references_dir.rglob("*.*")
    )


def test_missing_and_unexpected_parts_are_named(api: RunningApi) -> None:
    problem = assert_problem(post_import(api.client, fixture("coco.json")), 422, "image")
    assert problem["errors"][0]["field"] == "image"
    response = api.client.post(
        "/models/import", files={"image": ("invoice.png", picture_bytes(), "image/png")}
    )
    assert assert_problem(response, 422)["errors"][0]["field"] == "file"
    response = api.client.post(
        "/models/import",
        files={
            "file": ("a.json", fixture("coco.json"), "application/json"),
            "picture": ("invoice.png", picture_bytes(), "image/png"),
        },
    )
    assert_problem(response, 422, "unexpected part `picture`")
    response = api.client.post(
        "/models/import", content=b"a=1", headers={"Content-Type": "text/plain"}
    )
    assert_problem(response, 422, "text/plain")


def test_a_zonecut_export_is_read_as_the_file_part_too(api: RunningApi) -> None:
    original = model_with_zones(api.client, name="Original")
    export = api.client.get(f"/models/{original['id']}/export").content
    response = post_import(api.client, export, file_name="Original.zonecut.json", name="Copy")
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["name"] == "Copy" and copy["import_report"]["format"] == "zonecut"
    assert zones_of(copy) == zones_of(original)
    with_picture = post_import(api.client, export, picture_bytes(), name="Copy 2")
    assert_problem(with_picture, 422, "holds its own picture")


def test_the_json_body_answers_with_an_empty_report(api: RunningApi) -> None:
    original = create_model(api.client, name="Original")
    document = api.client.get(f"/models/{original['id']}/export").json()
    document["name"] = "Copy"
    response = api.client.post("/models/import", json=document)
    assert response.status_code == 201, response.text
    assert response.json()["import_report"] == {
        "format": "zonecut",
        "picture": None,
        "label_source": None,
        "renamed": [],
        "clipped": [],
        "skipped": [],
        "notes": [],
    }


def test_a_broken_file_of_a_known_format_names_the_place(api: RunningApi) -> None:
    document = json.loads(fixture("coco.json"))
    document["annotations"][1]["bbox"] = [200, 150, "wide", 90]
    problem = assert_problem(
        post_import(api.client, json.dumps(document).encode(), picture_bytes()),
        422,
        "annotations[1].bbox[2]",
    )
    assert problem["errors"][0]["field"] == "file"


def test_an_undecodable_picture_is_refused_like_any_upload(api: RunningApi) -> None:
    assert_problem(post_import(api.client, fixture("coco.json"), b"not a picture"), 415)


def test_uploads_past_the_byte_limit_are_413(make_api: Any) -> None:
    small = make_api(max_upload_bytes=20_000)
    big = encode(quadrant_picture(400, 300), "BMP")  # 360 kB
    assert_problem(post_import(small.client, fixture("coco.json"), big), 413)


def test_too_many_parts_are_refused_before_they_are_read(api: RunningApi) -> None:
    response = api.client.post(
        "/models/import",
        files=[("file", (f"{n}.json", b"{}", "application/json")) for n in range(5)],
    )
    assert_problem(response, 422, "too many parts")


def test_only_editors_import_and_the_audit_names_the_format(api: RunningApi) -> None:
    operator = api.as_role("operator")
    assert_problem(post_import(operator, fixture("coco.json"), picture_bytes()), 403)
    editor = api.as_role("editor")
    response = post_import(editor, fixture("coco.json"), picture_bytes())
    assert response.status_code == 201, response.text
    events = api.client.get("/audit").json()["items"]
    imported = [e for e in events if e["action"] == "model.import"]
    assert imported and imported[0]["detail"] == {"name": "Invoices", "format": "coco"}
    stranger = api.new_client()
    assert_problem(post_import(stranger, fixture("coco.json"), picture_bytes()), 401)
