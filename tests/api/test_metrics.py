"""`/metrics`: Prometheus text, open on this machine or to an admin, added up over workers."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import ADMIN_KEY, RunningApi, bearer
from tests.api.factories import assert_problem, extract, model_with_zones, picture_bytes
from tests.api.test_secrets import ServedProcess, served  # noqa: F401 - a fixture


def test_metrics_count_requests_extractions_refusals_and_stages(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    assert extract(api.client, model["id"], picture_bytes()).status_code == 201
    assert extract(api.client, model["id"], picture_bytes(100, 300)).status_code == 422
    text = httpx.get(api.base_url + "/metrics").text  # loopback, no credentials
    assert 'zonecut_http_requests_total{method="POST",route="/api/v1/extract",status="201"}' in text
    assert 'zonecut_extractions_total{method="scale",outcome="filed"}' in text
    assert 'zonecut_refusals_total{reason="picture-does-not-match"}' in text
    for stage in ("decode", "align", "encode", "store"):
        assert f'zonecut_extraction_stage_seconds_count{{stage="{stage}"}}' in text
    assert "zonecut_bytes_filed_total" in text


def test_metrics_through_a_proxy_need_an_admin(api: RunningApi) -> None:
    proxied = {"X-Forwarded-For": "203.0.113.9"}  # the test client is a trusted proxy
    assert_problem(httpx.get(api.base_url + "/metrics", headers=proxied), 401)
    operator = api.create_key("operator")["secret"]
    answer = httpx.get(api.base_url + "/metrics", headers=proxied | bearer(operator))
    assert_problem(answer, 403, "admin")
    answer = httpx.get(api.base_url + "/metrics", headers=proxied | bearer(ADMIN_KEY))
    assert answer.status_code == 200 and "zonecut_http_requests_total" in answer.text


def test_metrics_add_up_every_worker(served: ServedProcess) -> None:  # noqa: F811
    name, route = "zonecut_http_requests_total", "/api/v1/health"
    with httpx.Client(base_url=served.url, headers=bearer(ADMIN_KEY)) as client:
        before = _sample(client.get("/metrics").text, name, route=route)
        for _ in range(20):  # two workers: the requests land on both
            client.get("/api/v1/health")
        texts = [client.get("/metrics").text for _ in range(4)]
    for text in texts:  # whichever worker answers, the count is of both
        assert _sample(text, name, route=route) == before + 20


def _sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    raise AssertionError(f"no {name} {labels} in {text[:3000]}")
