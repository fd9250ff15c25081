"""The server hands the web app to client-side routes, and JSON problems to /api."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "path", ["/", "/models/5e0b5a56-0000-4000-8000-000000000000", "/extract", "/folders/a/b"]
)
def test_client_side_routes_get_the_app(server: Server, path: str) -> None:
    response = server.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<div id="app">' in response.text


def test_unknown_api_paths_stay_json_problems(server: Server) -> None:
    response = server.client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404
