"""Zonecut on an S3-compatible store: everything lives in the bucket, and a lost store is
a 503 that files nothing. The store is moto's S3 server on loopback, reached over HTTP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.conftest import RunningApi
from tests.api.factories import (
    assert_problem,
    create_model,
    extract,
    model_with_zones,
    picture_bytes,
    zone,
)
from tests.api.test_alignment import form, model_for, tilted_photo  # noqa: F401 - a fixture
from tests.conftest import S3Server
from tests.relay import Relay


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def s3_api(make_api: Callable[..., RunningApi], s3_server: S3Server, bucket: str) -> RunningApi:
    return make_api(storage_url=f"s3://{bucket}/zc", s3_endpoint_url=s3_server.endpoint_url)


def keys(s3_server: S3Server, bucket: str) -> list[str]:
    listed = s3_server.client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def local_files(api: RunningApi) -> list[str]:
    return sorted(
        str(p.relative_to(api.settings.data_dir))
        for p in api.settings.data_dir.rglob("*")
        if p.is_file() and not p.name.startswith("zonecut.db")
    )


def test_models_crops_and_folders_live_in_the_bucket(
    s3_api: RunningApi, s3_server: S3Server, bucket: str
) -> None:
    model = model_with_zones(s3_api.client)
    record = extract(s3_api.client, model["id"], picture_bytes(), filename="scan.png").json()
    stored = keys(s3_server, bucket)
    assert f"zc/references/{model['id']}/" in " ".join(stored)
    for crop in record["crops"]:
        assert f"zc/outputs/{crop['path']}" in stored
        body = s3_server.client().get_object(Bucket=bucket, Key=f"zc/outputs/{crop['path']}")
        assert s3_api.fetch(crop["url"]).content == body["Body"].read()
    assert local_files(s3_api) == []  # nothing on this instance's disk

    folders = {f["path"]: f["file_count"] for f in s3_api.client.get("/folders").json()["items"]}
    assert folders == {"corners/top": 1, "corners/bottom": 1, "middle": 1}
    archive = zipfile.ZipFile(io.BytesIO(s3_api.client.get("/folders/corners/archive").content))
    assert sorted(archive.namelist()) == [
        "corners/bottom/scan_bottom_right.png",
        "corners/top/scan_top_left.png",
    ]
    image = s3_api.client.get(f"/models/{model['id']}/image")
    assert image.status_code == 200 and Image.open(io.BytesIO(image.content)).size == (400, 300)

    again = extract(s3_api.client, model["id"], picture_bytes(), filename="scan.png").json()
    assert again["crops"][0]["path"] == "corners/top/scan_top_left-2.png"  # never overwritten
    assert s3_api.client.delete(f"/files/{again['crops'][0]['path']}").status_code == 204
    assert f"zc/outputs/{again['crops'][0]['path']}" not in keys(s3_server, bucket)
    assert s3_api.client.delete(f"/models/{model['id']}").status_code == 204
    assert not any(k.startswith("zc/references/") for k in keys(s3_server, bucket))


def test_feature_alignment_keeps_its_reference_features_in_the_bucket(
    s3_api: RunningApi,
    s3_server: S3Server,
    bucket: str,
    form: tuple[bytes, list[dict[str, object]]],  # noqa: F811 - the fixture
) -> None:
    model_id = model_for(s3_api, form, "features")
    picture, _truth = tilted_photo(form[0])
    response = extract(s3_api.client, model_id, picture, filename="photo.jpg")
    assert response.status_code == 201, response.text
    assert any(k.endswith(".features") for k in keys(s3_server, bucket))


@pytest.fixture
def relayed(
    make_api: Callable[..., RunningApi], s3_server: S3Server, bucket: str
) -> Iterator[tuple[RunningApi, Relay]]:
    host, port = s3_server.endpoint_url.removeprefix("http://").split(":")
    relay = Relay(host, int(port))
    api = make_api(
        storage_url=f"s3://{bucket}",
        s3_endpoint_url=f"http://127.0.0.1:{relay.port}",
        intent_timeout_seconds=1,
    )
    try:
        yield api, relay
    finally:
        relay.close()


def test_a_lost_store_is_503_files_nothing_and_recovers_intact(
    relayed: tuple[RunningApi, Relay], s3_server: S3Server, bucket: str
) -> None:
    api, relay = relayed
    model = model_with_zones(api.client, zones=[zone("z", "forms", 0, 0, 60, 60)])
    assert extract(api.client, model["id"], picture_bytes()).status_code == 201
    before = keys(s3_server, bucket)

    relay.cut()
    assert_problem(api.client.get("/ready"), 503, "storage")
    refused = extract(api.client, model["id"], picture_bytes())
    assert_problem(refused, 503, "storage")
    assert int(refused.headers["retry-after"]) > 0
    assert api.client.get("/extractions").json()["total"] == 1
    files: Any = api.client.get("/folders/forms/files").json()
    assert files["total"] == 1

    relay.restore()
    assert api.client.get("/ready").status_code == 200
    assert keys(s3_server, bucket) == before  # intact, and nothing half-filed
    assert extract(api.client, model["id"], picture_bytes()).status_code == 201
    assert api.client.get("/folders/forms/files").json()["total"] == 2


def test_a_bad_storage_url_stops_the_server_at_start(make_api: Callable[..., RunningApi]) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="storage_url"):
        make_api(storage_url="ftp://somewhere")


def test_create_model_reference_goes_to_the_bucket_once(
    s3_api: RunningApi, s3_server: S3Server, bucket: str
) -> None:
    create_model(s3_api.client, name="A")
    create_model(s3_api.client, name="B")
    assert len([k for k in keys(s3_server, bucket) if k.startswith("zc/references/")]) == 2


def test_presigned_downloads_redirect_to_the_store_when_asked(
    make_api: Callable[..., RunningApi], s3_server: S3Server, bucket: str
) -> None:
    api = make_api(
        storage_url=f"s3://{bucket}",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_presigned_downloads=True,
    )
    model = model_with_zones(api.client)
    crop = extract(api.client, model["id"], picture_bytes()).json()["crops"][0]
    answer = api.fetch(crop["url"])
    assert answer.status_code == 307
    location = answer.headers["location"]
    assert location.startswith(s3_server.endpoint_url) and "Signature" in location
    assert len(httpx.get(location).content) == crop["bytes"]
    assert_problem(api.new_client().get(crop["url"].removeprefix("/api/v1")), 401)
