"""Names: any folder, file or model name downloads; key and user names are printable;
settings errors never show a secret.

A download's name goes into ``Content-Disposition``, a header of Latin-1 bytes: a name in
another script must travel as RFC 6266 ``filename*=UTF-8''…`` beside a plain ASCII
``filename=`` for old clients, or the answer cannot be sent at all. Names people read in
lists and the audit log (keys, users) must show what they are: no control characters, no
text-direction overrides, nothing invisible.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import urllib.parse
import zipfile
from typing import Any

import httpx
import pytest

from tests.api.conftest import PASSWORD, REPOSITORY, RunningApi
from tests.api.factories import (
    assert_problem,
    encode,
    extract,
    model_with_zones,
    picture_bytes,
    quadrant_picture,
    zone,
)

ODD_NAMES = {
    "cjk": "日本の請求書",
    "right-to-left": "חשבוניות",
    "arabic": "فواتير",
    "emoji": "📄 scans",
    "spaces and quotes": "it's  done",
}


PARAMETER = re.compile(r';\s*([A-Za-z*]+)=("(?:[^"\\]|\\.)*"|[^;\s]*)')
EXT_VALUE = re.compile(r"UTF-8''((?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})+)")


def download_name(response: httpx.Response) -> str:
    """The file name a browser saves ``response`` under, checked to be sent as RFC 6266
    says: plain ASCII on the wire, ``filename*`` in UTF-8, an ASCII ``filename`` too."""
    value = dict(response.headers.raw)[b"content-disposition"].decode("ascii")
    kind, _, rest = value.partition(";")
    assert kind in ("attachment", "inline"), value
    parameters = dict(PARAMETER.findall(";" + rest))
    fallback = parameters["filename"]
    assert fallback.startswith('"') and fallback.endswith('"'), value
    assert fallback[1:-1] and fallback.isprintable(), value
    encoded = EXT_VALUE.fullmatch(parameters["filename*"])
    assert encoded is not None, value
    return urllib.parse.unquote(encoded.group(1), errors="strict")


@pytest.mark.parametrize("name", ODD_NAMES.values(), ids=ODD_NAMES.keys())
def test_folders_and_files_of_any_name_download(api: RunningApi, name: str) -> None:
    model = model_with_zones(api.client, zones=[zone("z", name, 0, 0, 50, 50)])
    record = extract(api.client, model["id"], picture_bytes(), f"{name}.png")
    assert record.status_code == 201, record.text
    path = record.json()["crops"][0]["path"]
    assert path.startswith(f"{name}/")

    archive = api.client.get(f"/folders/{name}/archive")
    assert archive.status_code == 200, archive.text
    assert download_name(archive) == f"{name}.zip"
    assert zipfile.ZipFile(io.BytesIO(archive.content)).namelist() == [path]

    crop = api.client.get(f"/files/{path}")
    assert crop.status_code == 200, crop.text
    assert download_name(crop) == path.rsplit("/", 1)[1]
    assert crop.headers["content-disposition"].startswith("inline;")


def test_a_nested_folder_downloads_under_one_name(api: RunningApi) -> None:
    model = model_with_zones(api.client, zones=[zone("z", "日本/東京", 0, 0, 50, 50)])
    assert extract(api.client, model["id"], picture_bytes()).status_code == 201
    archive = api.client.get("/folders/日本/東京/archive")
    assert archive.status_code == 200 and download_name(archive) == "日本_東京.zip"


def test_a_model_of_any_name_exports(api: RunningApi) -> None:
    name = 'Formulaire "été" 日本 📄 חשבון'
    model = model_with_zones(api.client, name=name)
    exported = api.client.get(f"/models/{model['id']}/export")
    assert exported.status_code == 200, exported.text
    assert download_name(exported) == f"{name}.zonecut.json"
    slashed = model_with_zones(api.client, name="in/out\\tray")
    exported = api.client.get(f"/models/{slashed['id']}/export")
    assert download_name(exported) == "in_out_tray.zonecut.json"  # one name, never a path


def test_every_other_download_names_itself_the_same_way(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    zipped = extract(
        api.client, model["id"], picture_bytes(), headers={"Accept": "application/zip"}
    )
    assert zipped.status_code == 201
    extraction = zipped.headers["location"].rsplit("/", 1)[1]
    assert download_name(zipped) == f"extraction-{extraction}.zip"
    archive = api.client.get(f"/extractions/{extraction}/archive")
    assert download_name(archive) == f"extraction-{extraction}.zip"
    several = api.client.post(
        "/extract",
        data={"model": model["id"]},
        files=[("image", ("a.png", picture_bytes())), ("image", ("b.png", picture_bytes()))],
        headers={"Accept": "application/zip"},
    )
    assert several.status_code == 201 and download_name(several) == "extractions.zip"
    wide = encode(quadrant_picture(400, 300).resize((800, 300)))
    review = extract(api.client, model["id"], wide).json()["review_id"]
    picture = api.client.get(f"/reviews/{review}/picture")
    assert download_name(picture) == f"review-{review}.png"


# --- names people read: printable, and not the bootstrap key's ------------------------

UNPRINTABLE = {
    "bell": "\x07",
    "next line": "\x85",
    "right-to-left override": "\u202e",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "byte-order mark": "\ufeff",
    "line separator": "\u2028",
    "combining grapheme joiner": "\u034f",
    "hangul filler": "\u3164",
}


def field_refused(response: httpx.Response, field: str) -> None:
    problem = assert_problem(response, 422)
    assert field in {error["field"] for error in problem.get("errors") or []}, problem


def test_key_and_user_names_are_printable(api: RunningApi) -> None:
    user = api.create_user("grace")
    for odd in UNPRINTABLE.values():
        field_refused(api.client.post("/api-keys", json={"name": f"scan{odd}ner"}), "name")
        body = {"username": f"ad{odd}a", "password": PASSWORD}
        field_refused(api.client.post("/users", json=body), "username")
        renamed = api.client.patch(f"/users/{user['id']}", json={"username": f"gr{odd}"})
        field_refused(renamed, "username")
    assert api.client.get("/api-keys").json()["total"] == 0
    assert [u["username"] for u in api.client.get("/users").json()["items"]] == ["grace"]
    # text in any script, marks, emoji and spaces (where a name may have them) are names
    for name in ("Zoë", "スキャナー 2", "ماسح", "scanner 🖨️"):
        assert api.create_key(name=name)["name"] == name
    for username in ("zoë", "ユーザー", "ماسح"):
        assert api.create_user(username)["username"] == username


def test_bootstrap_is_nobody_s_name(api: RunningApi) -> None:
    assert_problem(api.client.post("/api-keys", json={"name": "Bootstrap"}), 409, "bootstrap")
    body = {"username": "bootstrap", "password": PASSWORD}
    assert_problem(api.client.post("/users", json=body), 409, "bootstrap")
    user = api.create_user("grace")
    renamed = api.client.patch(f"/users/{user['id']}", json={"username": "BOOTSTRAP"})
    assert_problem(renamed, 409, "bootstrap")


# --- settings errors -----------------------------------------------------------------

SHORT_SECRET = "zc_short-but-secret-Qx7"  # 23 characters: too short to be accepted


def start(tmp_path: Any, *command: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ZONECUT_DATA_DIR": str(tmp_path / "data"),
        "ZONECUT_ADMIN_API_KEY": SHORT_SECRET,
    }
    return subprocess.run(
        [sys.executable, *command],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_short_admin_key_is_refused_without_being_printed(tmp_path: Any) -> None:
    served = start(tmp_path, "-m", "api.cli", "serve", "--port", "9", "--workers", "1")
    assert served.returncode == 2, served.stderr
    assert SHORT_SECRET not in served.stdout + served.stderr
    assert "ZONECUT_ADMIN_API_KEY" in served.stderr and "32" in served.stderr
    assert "Traceback" not in served.stderr  # one line that says what to fix
    # the app built by a server of its own (uvicorn api.main:app) says no more
    imported = start(tmp_path, "-c", "from api.main import app")
    assert imported.returncode != 0
    assert SHORT_SECRET not in imported.stdout + imported.stderr
    assert "admin_api_key" in imported.stderr


def test_no_settings_error_shows_what_was_given() -> None:
    from pydantic import ValidationError

    from api.settings import Settings

    with pytest.raises(ValidationError) as refused:
        Settings(admin_api_key=SHORT_SECRET, database_url=None)
    assert SHORT_SECRET not in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        Settings(storage_url="https://user:Qx7-password@store.example/bucket")
    assert "Qx7" not in str(refused.value)
