"""Folders and files: listing, download, ZIP, delete, and paths that try to escape."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.api.conftest import RunningApi
from tests.api.factories import assert_problem, extract, model_with_zones, picture_bytes, zone

ZONES = [zone("a", "inbox", 0, 0, 10, 10), zone("b", "inbox/deep", 10, 10, 10, 10)]


def test_folders_list_counts_files_and_bytes(api: RunningApi) -> None:
    assert api.client.get("/folders").json() == {"items": [], "total": 0, "limit": 200, "offset": 0}
    model = model_with_zones(api.client, zones=ZONES)
    for name in ("one.png", "two.png"):
        extract(api.client, model["id"], picture_bytes(), filename=name)
    folders = {f["path"]: f for f in api.client.get("/folders").json()["items"]}
    assert set(folders) == {"inbox", "inbox/deep"}
    assert folders["inbox"]["file_count"] == 2
    assert folders["inbox"]["bytes"] == sum(
        p.stat().st_size for p in (api.outputs / "inbox").iterdir() if p.is_file()
    )
    assert folders["inbox/deep"]["url"] == "/api/v1/folders/inbox/deep/files"


def test_files_are_listed_newest_first_with_urls(api: RunningApi) -> None:
    model = model_with_zones(api.client, zones=ZONES)
    for name in ("first.png", "second.png", "third.png"):
        extract(api.client, model["id"], picture_bytes(), filename=name)
    files = api.client.get("/folders/inbox/files").json()
    assert files["total"] == 3
    assert [f["name"] for f in files["items"]] == ["third_a.png", "second_a.png", "first_a.png"]
    first = files["items"][0]
    assert first["folder"] == "inbox" and first["path"] == "inbox/third_a.png"
    assert api.fetch(first["url"]).status_code == 200


def test_folder_archive_is_a_zip_of_its_files(api: RunningApi) -> None:
    model = model_with_zones(api.client, zones=ZONES)
    extract(api.client, model["id"], picture_bytes(), filename="x.png")
    response = api.client.get("/folders/inbox/archive")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert any(name.endswith("x_a.png") for name in names)
    assert any(name.endswith("x_b.png") for name in names)


def test_deleting_a_file_removes_it(api: RunningApi) -> None:
    model = model_with_zones(api.client, zones=ZONES)
    record = extract(api.client, model["id"], picture_bytes(), filename="x.png").json()
    path = record["crops"][0]["path"]
    assert api.client.delete(f"/files/{path}").status_code == 204
    assert not (api.outputs / path).exists()
    assert_problem(api.client.get(f"/files/{path}"), 404)
    assert_problem(api.client.delete(f"/files/{path}"), 404)


def test_unknown_folder_is_404(api: RunningApi) -> None:
    assert_problem(api.client.get("/folders/nothing/files"), 404)
    assert_problem(api.client.get("/folders/nothing/archive"), 404)


@pytest.mark.parametrize(
    "path", ["..%2F..%2Fetc%2Fpasswd", "inbox%2F..%2F..%2Fsecret", "%2Fetc%2Fpasswd", "a%5Cb.png"]
)
def test_paths_that_try_to_escape_are_refused(api: RunningApi, path: str) -> None:
    (api.settings.data_dir / "secret").write_text("do not serve")
    response = api.client.get(f"/files/{path}")
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "do not serve" not in response.text
    assert api.client.delete(f"/files/{path}").status_code in (404, 422)
    assert (api.settings.data_dir / "secret").exists()


def test_outputs_filed_before_the_register_are_listed_after_an_upgrade(
    make_api: Callable[..., RunningApi], tmp_path: Path
) -> None:
    data_dir = tmp_path / "old-install"
    (data_dir / "outputs" / "old" / "forms").mkdir(parents=True)
    (data_dir / "outputs" / "old" / "forms" / "a.png").write_bytes(picture_bytes(20, 20))
    api = make_api(data_dir=data_dir)
    listed = api.client.get("/folders/old/forms/files").json()
    assert [f["name"] for f in listed["items"]] == ["a.png"]
    assert api.fetch(listed["items"][0]["url"]).content == picture_bytes(20, 20)
