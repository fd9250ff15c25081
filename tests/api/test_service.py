"""The service around the API: health, problems for unknown paths, offline docs, web app."""

from __future__ import annotations

import re

import httpx

from tests.api.conftest import RunningApi
from tests.api.factories import assert_problem


def test_health_and_readiness(api: RunningApi) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
    assert api.client.get("/ready").json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_unknown_api_paths_and_methods_are_problems(api: RunningApi) -> None:
    assert_problem(api.client.get("/nothing/here"), 404, "/api/v1/nothing/here")
    assert_problem(api.client.put("/health"), 405, "PUT")


def test_malformed_json_is_a_422_problem(api: RunningApi) -> None:
    response = api.client.post(
        "/models/import", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422)


def test_docs_and_redoc_load_every_asset_from_this_server(api: RunningApi) -> None:
    with httpx.Client(base_url=api.base_url) as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page).text
            urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(
                r"url: ?'([^']+)'", html
            )
            assert urls, page
            for url in urls:
                assert url.startswith("/"), f"{page} loads {url} from elsewhere"
                assert client.get(url).status_code == 200, url
        assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Zonecut"


def test_web_app_routes_fall_back_to_the_app(make_api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>app</title>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    api = make_api(frontend_dir=dist)
    with httpx.Client(base_url=api.base_url) as client:
        assert client.get("/").text.endswith("<title>app</title>")
        assert client.get("/models/123/edit").text.endswith("<title>app</title>")
        assert client.get("/assets/app.js").text == "console.log(1)"
        assert client.get("/../../etc/passwd").status_code in (200, 404)
        assert "root:" not in client.get("/..%2F..%2Fetc%2Fpasswd").text
        # a stranger learns nothing of the API's paths; a caller with a key gets the 404
        assert_problem(client.get("/api/v1/unknown"), 401)
        assert_problem(api.fetch("/api/v1/unknown"), 404)
        assert_problem(api.fetch("/api/else"), 404)


def test_every_answer_carries_a_request_id_the_callers_when_well_formed(
    api: RunningApi,
) -> None:
    made = api.client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    given = api.client.get("/models", headers={"X-Request-ID": "scan-station:42"})
    assert given.headers["x-request-id"] == "scan-station:42"
    for bad in (b"has space", b"x" * 129, "ünïcode".encode()):
        answer = api.client.get("/health", headers={b"X-Request-ID": bad})
        assert answer.headers["x-request-id"].encode() != bad
    assert api.new_client().get("/models").headers["x-request-id"]  # refusals too
