"""Every answer is ``nosniff`` with a same-origin referrer policy; each kind of page has the
Content-Security-Policy DESIGN gives it ("Limits before trust"): the web app, the docs,
and everything else (JSON, problems, files) a policy under which nothing runs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.api.conftest import RunningApi
from tests.api.factories import extract, model_with_zones, picture_bytes, zone
from tests.conftest import S3Server

APP_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; frame-ancestors 'none'"
)
NOTHING_RUNS = "default-src 'none'; frame-ancestors 'none'"


def assert_secured(response: httpx.Response, policy: str = NOTHING_RUNS) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "same-origin", where
    assert response.headers.get("content-security-policy") == policy, where


def test_api_answers_and_every_kind_of_problem_let_nothing_run(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(max_upload_bytes=1000)
    small = [zone("corner", "corners", 0, 0, 10, 10)]
    model = model_with_zones(api.client, small, image=picture_bytes(40, 30))
    crop = extract(api.client, model["id"], picture_bytes(40, 30)).json()["crops"][0]
    answers = [
        api.client.get("/health"),
        api.client.get("/models"),
        api.fetch(crop["url"]),  # a file download
        api.new_client().get("/models"),  # 401
        api.client.get("/nothing/here"),  # 404
        api.client.put("/health"),  # 405
        api.client.post("/models", data={"name": "x"}),  # 422
        api.client.post("/models", content=b"x" * 2000),  # 413
        api.client.options("/models", headers={"Origin": "https://elsewhere.example"}),
        httpx.get(api.base_url + "/metrics"),
        httpx.get(api.base_url + "/api/v1/openapi.json"),
    ]
    assert [a.status_code for a in answers] == [
        200, 200, 200, 401, 404, 405, 422, 413, 405, 200, 200
    ]  # fmt: skip
    for answer in answers:
        assert_secured(answer)


def test_the_web_app_loads_only_its_own_files_and_previews(
    make_api: Callable[..., RunningApi], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>app</title>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    api = make_api(frontend_dir=dist)
    with httpx.Client(base_url=api.base_url) as browser:
        for path in ("/", "/models/123/edit", "/assets/app.js"):
            assert_secured(browser.get(path), APP_POLICY)
    unbuilt = make_api()  # the page that says the app is not built
    assert_secured(httpx.get(unbuilt.base_url + "/"), APP_POLICY)


def test_with_presigned_downloads_the_app_may_show_pictures_from_the_store(
    make_api: Callable[..., RunningApi], s3_server: S3Server
) -> None:
    api = make_api(
        storage_url=f"s3://{s3_server.new_bucket()}",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_presigned_downloads=True,
    )
    model = model_with_zones(api.client)
    crop = extract(api.client, model["id"], picture_bytes()).json()["crops"][0]
    location = urlsplit(api.fetch(crop["url"]).headers["location"])
    store = f"{location.scheme}://{location.netloc}"
    policy = httpx.get(api.base_url + "/").headers["content-security-policy"]
    assert policy == APP_POLICY.replace("data:;", f"data: {store};")


def test_the_docs_run_no_inline_script(api: RunningApi) -> None:
    docs_policy = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "worker-src blob:; object-src 'none'; frame-ancestors 'none'"
    )
    with httpx.Client(base_url=api.base_url) as browser:
        for page in ("/docs", "/redoc"):
            answer = browser.get(page)
            assert_secured(answer, docs_policy)
            scripts = re.findall(r"<script([^>]*)>(.*?)</script>", answer.text, re.S)
            assert scripts, page
            for attributes, inline in scripts:
                assert "src=" in attributes and not inline.strip(), f"{page}: inline script"
                source = browser.get(re.findall(r'src="([^"]+)"', attributes)[0])
                assert source.status_code == 200
                assert re.match(r"(text|application)/javascript", source.headers["content-type"])
                assert source.headers["x-content-type-options"] == "nosniff"
