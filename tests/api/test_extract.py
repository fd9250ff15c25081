"""Extraction over HTTP: crops filed pixel-exact, never overwritten, all or nothing."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from api.imaging import encode as encode_module
from tests.api.conftest import RunningApi
from tests.api.factories import (
    assert_problem,
    create_model,
    encode,
    extract,
    model_with_zones,
    picture_bytes,
    quadrant_picture,
    zone,
)


def assert_same_pixels(actual: Image.Image, expected: Image.Image) -> None:
    assert actual.size == expected.size
    assert ImageChops.difference(actual.convert("RGB"), expected.convert("RGB")).getbbox() is None


def test_every_zone_is_filed_pixel_exact_in_its_folder(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    source = quadrant_picture(400, 300)
    response = extract(api.client, model["id"], encode(source), filename="scan-01.png")
    assert response.status_code == 201, response.text
    record = response.json()
    assert response.headers["location"] == f"/api/v1/extractions/{record['id']}"
    assert record["model_id"] == model["id"] and record["model_version"] == model["version"]
    assert record["source"]["filename"] == "scan-01.png"
    assert record["source"]["width"] == 400 and record["source"]["format"] == "png"
    assert record["transform"] == {
        "method": "scale",
        "matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        "local": None,
    }
    paths = [crop["path"] for crop in record["crops"]]
    assert paths == [
        "corners/top/scan-01_top_left.png",
        "corners/bottom/scan-01_bottom_right.png",
        "middle/scan-01_middle.png",
    ]
    expected_boxes = [(0, 0, 200, 150), (200, 150, 400, 300), (150, 100, 250, 200)]
    for crop, box in zip(record["crops"], expected_boxes, strict=True):
        on_disk = Image.open(api.outputs / crop["path"])
        assert_same_pixels(on_disk, source.crop(box))
        downloaded = api.fetch(crop["url"])
        assert (
            downloaded.status_code == 200
            and downloaded.content == (api.outputs / crop["path"]).read_bytes()
        )
        assert crop["bytes"] == len(downloaded.content)
    assert api.client.get(f"/extractions/{record['id']}").json() == record


def test_zones_scale_with_the_picture(api: RunningApi) -> None:
    model = model_with_zones(api.client, zones=[zone("half", "h", 200, 150, 200, 150)])
    source = quadrant_picture(800, 600)
    record = extract(api.client, model["id"], encode(source)).json()
    assert record["transform"]["matrix"] == [[2, 0, 0], [0, 2, 0], [0, 0, 1]]
    crop = record["crops"][0]
    assert (crop["width"], crop["height"]) == (400, 300)
    assert_same_pixels(Image.open(api.outputs / crop["path"]), source.crop((400, 300, 800, 600)))


def test_exif_orientation_is_applied_before_cutting(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    upright = quadrant_picture(400, 300)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a camera writes for tag 6
    exif = Image.Exif()
    exif[0x0112] = 6
    record = extract(api.client, model["id"], encode(stored, "PNG", exif=exif)).json()
    assert record["source"]["width"] == 400 and record["source"]["height"] == 300
    assert_same_pixels(
        Image.open(api.outputs / record["crops"][0]["path"]), upright.crop((0, 0, 200, 150))
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_crop_carries_the_colour_profile_of_its_picture(api: RunningApi, fmt: str) -> None:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    model = model_with_zones(api.client)
    stored = quadrant_picture(400, 300).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # turned upright while cut, the profile kept all the same
    record = extract(
        api.client, model["id"], encode(stored, fmt, icc_profile=profile, exif=exif)
    ).json()
    for crop in record["crops"]:
        assert Image.open(api.outputs / crop["path"]).info.get("icc_profile") == profile


def test_aspect_ratio_off_by_more_than_two_percent_is_refused_and_files_nothing(
    api: RunningApi,
) -> None:
    model = model_with_zones(api.client)
    response = extract(api.client, model["id"], picture_bytes(400, 310))
    assert_problem(response, 422, "aspect")
    assert api.output_files() == []
    assert api.client.get("/extractions").json()["total"] == 0


def test_within_two_percent_is_accepted(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    assert extract(api.client, model["id"], picture_bytes(400, 305)).status_code == 201


def test_second_run_never_overwrites(api: RunningApi) -> None:
    model = model_with_zones(api.client, zones=[zone("z", "out", 0, 0, 10, 10)])
    first = extract(api.client, model["id"], picture_bytes(), filename="same.png").json()
    second = extract(api.client, model["id"], picture_bytes(), filename="same.png").json()
    assert first["crops"][0]["path"] == "out/same_z.png"
    assert second["crops"][0]["path"] == "out/same_z-2.png"
    assert api.output_files() == ["out/same_z-2.png", "out/same_z.png"]


def test_uploaded_names_cannot_leave_the_folder(api: RunningApi) -> None:
    model = model_with_zones(api.client, zones=[zone("../../z", "out", 0, 0, 10, 10)])
    record = extract(
        api.client, model["id"], picture_bytes(), filename="../../etc/passwd.png"
    ).json()
    path = record["crops"][0]["path"]
    assert path.startswith("out/") and path.count("/") == 1 and ".." not in path
    assert (api.outputs / path).resolve().is_relative_to(api.outputs.resolve())


def test_model_can_be_named_instead_of_id(api: RunningApi) -> None:
    model_with_zones(api.client, name="Invoice A4")
    assert extract(api.client, "invoice a4", picture_bytes()).status_code == 201
    assert_problem(extract(api.client, "no such model", picture_bytes()), 404, "no such model")


def test_output_format_and_template_come_from_the_model_or_the_request(api: RunningApi) -> None:
    model = model_with_zones(api.client, zones=[zone("z", "out", 0, 0, 40, 40)])
    api.client.patch(
        f"/models/{model['id']}",
        json={
            "output_format": "jpeg",
            "output_quality": 80,
            "filename_template": "{model}-{zone}-{source}",
        },
    )
    record = extract(api.client, model["id"], picture_bytes(), filename="a.png").json()
    assert record["crops"][0]["path"] == "out/Form-z-a.jpg"
    assert Image.open(api.outputs / record["crops"][0]["path"]).format == "JPEG"
    webp = extract(api.client, model["id"], picture_bytes(), filename="a.png", format="webp").json()
    assert webp["crops"][0]["path"] == "out/Form-z-a.webp"


def test_zip_answer_holds_every_crop_and_a_manifest(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    response = extract(
        api.client, model["id"], picture_bytes(), headers={"Accept": "application/zip"}
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    names = sorted(archive.namelist())
    assert names == sorted([c["path"] for c in manifest["crops"]] + ["manifest.json"])
    for crop in manifest["crops"]:
        assert archive.read(crop["path"]) == (api.outputs / crop["path"]).read_bytes()


def test_store_false_answers_the_crops_but_files_nothing(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    response = extract(
        api.client,
        model["id"],
        picture_bytes(),
        headers={"Accept": "application/zip"},
        store="false",
    )
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert len(archive.namelist()) == 4
    assert api.output_files() == []
    assert api.client.get("/extractions").json()["total"] == 0


def test_idempotent_retry_returns_the_first_result_and_files_nothing_new(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    headers = {"Idempotency-Key": "upload-42"}
    first = extract(api.client, model["id"], picture_bytes(), headers=headers)
    files = api.output_files()
    again = extract(api.client, model["id"], picture_bytes(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert api.output_files() == files
    other = extract(api.client, model["id"], picture_bytes(420, 315), headers=headers)
    assert_problem(other, 422, "upload-42")
    assert api.output_files() == files
    # the same scan under another name, the model by name: the same request
    renamed = extract(api.client, model["name"], picture_bytes(), "scan-copy.png", headers)
    assert renamed.status_code == 201 and renamed.json()["id"] == first.json()["id"]
    assert api.output_files() == files


def test_concurrent_retries_with_one_key_file_once(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    barrier = threading.Barrier(5)
    answers: list[dict[str, object]] = []

    def post() -> None:
        barrier.wait()
        while True:
            response = extract(
                api.client, model["id"], picture_bytes(), headers={"Idempotency-Key": "k"}
            )
            if response.status_code != 409:
                break
            # the first is still being cut: a client retries after the time it is told
            assert response.json()["type"].endswith("/still-running"), response.text
            time.sleep(int(response.headers["retry-after"]) / 20)
        assert response.status_code == 201, response.text
        answers.append(response.json())

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({answer["id"] for answer in answers}) == 1  # type: ignore[misc]
    assert len(api.output_files()) == 3


def test_twenty_concurrent_extractions_give_twenty_distinct_files(api: RunningApi) -> None:
    model = model_with_zones(api.client, zones=[zone("z", "same", 0, 0, 50, 50)])
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def post() -> None:
        barrier.wait()
        statuses.append(
            extract(api.client, model["id"], picture_bytes(), filename="one.png").status_code
        )

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 20
    files = api.output_files()
    assert len(files) == 20 and len(set(files)) == 20
    assert api.client.get("/extractions").json()["total"] == 20
    assert api.client.get("/folders/same/files").json()["total"] == 20


def test_a_failure_between_two_crops_leaves_no_file_and_no_record(
    api: RunningApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_with_zones(api.client)
    real_encode = encode_module.encode_pixels
    calls = {"n": 0}

    def failing_second_encode(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk on fire")
        return real_encode(*args, **kwargs)

    monkeypatch.setattr("api.services.extraction.run.encode_pixels", failing_second_encode)
    response = extract(api.client, model["id"], picture_bytes())
    assert_problem(response, 500)
    assert api.output_files() == []
    assert api.client.get("/extractions").json()["total"] == 0


def test_a_failure_while_filing_removes_the_crops_already_filed(
    api: RunningApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_with_zones(api.client)
    storage = api.client  # noqa: F841 - the storage object lives in the server's app state
    from api.storage.local import LocalStorage

    real_put = LocalStorage.put_exact
    calls = {"n": 0}

    def failing_third_put(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("no space left on device")
        return real_put(self, *args, **kwargs)

    monkeypatch.setattr(LocalStorage, "put_exact", failing_third_put)
    assert_problem(extract(api.client, model["id"], picture_bytes()), 500)
    assert api.output_files() == []
    assert api.client.get("/extractions").json()["total"] == 0


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"", 422),
        (b"just some text", 415),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", 422),
        (encode(quadrant_picture(400, 300), "JPEG")[:900], 422),
    ],
    ids=["empty", "text", "broken-pdf", "truncated-jpeg"],
)
def test_bad_pictures_get_their_status_and_file_nothing(
    api: RunningApi, payload: bytes, status: int
) -> None:
    model = model_with_zones(api.client)
    assert_problem(extract(api.client, model["id"], payload), status)
    assert api.output_files() == []
    assert api.client.get("/health").json() == {"status": "ok"}


def test_pixel_limit_is_a_setting(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(max_image_pixels=500 * 500)
    model = model_with_zones(api.client)
    assert_problem(extract(api.client, model["id"], picture_bytes(800, 600)), 413, "pixels")


def test_model_without_zones_is_422(api: RunningApi) -> None:
    model = create_model(api.client)
    assert_problem(extract(api.client, model["id"], picture_bytes()), 422, "no zones")


def test_body_over_the_limit_is_413_by_content_length(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(max_upload_bytes=10_000)
    model = model_with_zones(api.client)
    assert_problem(extract(api.client, model["id"], b"\0" * 20_000), 413, "10000 bytes")
    assert api.client.get("/health").status_code == 200


def test_chunked_body_is_cut_off_at_the_limit_not_read_to_the_end(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(max_upload_bytes=100_000)
    model = model_with_zones(api.client)
    sent = {"bytes": 0}
    boundary = "zonecutboundary"

    def body():  # type: ignore[no-untyped-def]
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n{model["id"]}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        yield head
        for _ in range(10_000):  # 640 MB if it were all read
            sent["bytes"] += 65536
            yield b"\0" * 65536

    import httpx

    try:
        response = api.client.post(
            "/extract",
            content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    except httpx.HTTPError:
        response = None  # the server may close the connection while we still send
    if response is not None:
        assert_problem(response, 413)
    assert sent["bytes"] < 50_000_000
    assert api.output_files() == []
    assert api.client.get("/health").status_code == 200


def test_extractions_are_listed_newest_first(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    ids = [extract(api.client, model["id"], picture_bytes()).json()["id"] for _ in range(3)]
    page = api.client.get("/extractions", params={"limit": 2}).json()
    assert page["total"] == 3 and [item["id"] for item in page["items"]] == ids[::-1][:2]
    assert api.client.get("/extractions", params={"model_id": model["id"]}).json()["total"] == 3
    assert_problem(api.client.get("/extractions/00000000-0000-0000-0000-000000000000"), 404)


def test_extraction_records_outlive_their_model(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    record = extract(api.client, model["id"], picture_bytes()).json()
    api.client.delete(f"/models/{model['id']}")
    kept = api.client.get(f"/extractions/{record['id']}").json()
    assert kept["model_id"] is None and kept["model_name"] == "Form"
    assert Path(api.outputs / kept["crops"][0]["path"]).exists()


def test_an_extractions_archive_holds_its_crops_and_manifest(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    record = extract(api.client, model["id"], picture_bytes(), filename="scan.png").json()
    answer = api.client.get(f"/extractions/{record['id']}/archive")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    paths = [crop["path"] for crop in record["crops"]]
    assert sorted(archive.namelist()) == sorted([*paths, "manifest.json"])
    for crop in record["crops"]:
        assert archive.read(crop["path"]) == api.fetch(crop["url"]).content
    assert json.loads(archive.read("manifest.json"))["id"] == record["id"]

    api.client.delete(f"/files/{paths[0]}")
    later = zipfile.ZipFile(
        io.BytesIO(api.client.get(f"/extractions/{record['id']}/archive").content)
    )
    assert paths[0] not in later.namelist()
    assert json.loads(later.read("manifest.json"))["missing"] == [paths[0]]
    assert_problem(api.client.get(f"/extractions/{uuid.uuid4()}/archive"), 404)


def test_each_crop_records_where_it_was_cut_and_how_sure(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    record = extract(api.client, model["id"], picture_bytes(800, 600)).json()  # scale 2
    quads = [crop["quad"] for crop in record["crops"]]
    assert quads == [
        [[0, 0], [400, 0], [400, 300], [0, 300]],
        [[400, 300], [800, 300], [800, 600], [400, 600]],
        [[300, 200], [500, 200], [500, 400], [300, 400]],
    ]
    assert [crop["confidence"] for crop in record["crops"]] == [1, 1, 1]
    assert api.client.get(f"/extractions/{record['id']}").json()["crops"][0]["quad"] == quads[0]
