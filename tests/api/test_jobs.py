"""Jobs over HTTP: `Prefer: respond-async` on POST /extract, on the embedded runner.

Small pages keep a 300-page document fast on two cores; its pages are cut by the runner
of the test server itself (the embedded default), as `make run` does.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image

from tests.api.conftest import RunningApi
from tests.api.factories import assert_problem, encode, model_with_zones, quadrant_picture
from tests.helpers import pdf_of

ASYNC = {"Prefer": "respond-async"}
SMALL = (80, 60)  # the reference and every page: tiny, so a page costs milliseconds
ZONES = [
    {"name": "left", "folder": "left", "x": 0, "y": 0, "width": 40, "height": 60},
    {"name": "right", "folder": "right", "x": 40, "y": 0, "width": 40, "height": 60},
]


def small_model(client: httpx.Client, name: str = "Form") -> dict[str, Any]:
    return model_with_zones(client, ZONES, image=encode(quadrant_picture(*SMALL)), name=name)


def document(pages: int, impostors: frozenset[int] = frozenset()) -> bytes:
    """A PDF of ``pages`` pages of the small picture; the pages in ``impostors`` (from 1)
    are of another shape, which scale alignment refuses."""
    page = quadrant_picture(*SMALL)
    other = Image.new("RGB", (SMALL[0] * 2, SMALL[1]), (90, 90, 90))
    return pdf_of([other if number in impostors else page for number in range(1, pages + 1)])


def start(
    client: httpx.Client,
    model_id: str,
    data: bytes,
    *,
    headers: dict[str, str] | None = None,
    **fields: str,
) -> httpx.Response:
    return client.post(
        "/extract",
        data={"model": model_id, "pages": "each", **fields},
        files={"image": ("scan.pdf", data, "application/pdf")},
        headers=ASYNC | (headers or {}),
    )


def wait_for(
    client: httpx.Client, location: str, until: Callable[[dict[str, Any]], bool]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll the job until ``until`` holds; the last answer and every answer seen."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 240
    while True:
        job = client.get(location.removeprefix("/api/v1")).json()
        seen.append(job)
        if until(job):
            return job, seen
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def all_items(client: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = client.get(f"/jobs/{job_id}/items", params={"offset": len(items), "limit": 200})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if len(items) >= page.json()["total"]:
            return items


def extractions_per_page(client: httpx.Client, model_id: str) -> Counter[int]:
    pages: Counter[int] = Counter()
    offset = 0
    while True:
        answer = client.get(
            "/extractions", params={"model_id": model_id, "limit": 200, "offset": offset}
        ).json()
        for record in answer["items"]:
            pages[record["source"]["page"]] += 1
        offset += len(answer["items"])
        if offset >= answer["total"]:
            return pages


def test_a_300_page_document_is_cut_as_a_job_every_page_once(api: RunningApi) -> None:
    model = small_model(api.client)
    impostors = frozenset({7, 150, 299})
    answer = start(api.client, model["id"], document(300, impostors))
    assert answer.status_code == 202, answer.text
    location = answer.headers["Location"]
    job = answer.json()
    assert location == f"/api/v1/jobs/{job['id']}"
    assert answer.headers["Preference-Applied"] == "respond-async"
    assert job["status"] in ("queued", "running")
    assert job["items_url"] == f"{location}/items"

    job, seen = wait_for(api.client, location, lambda job: job["status"] == "done")
    done = [state["progress"]["done"] for state in seen]
    assert done == sorted(done), "progress never goes back"
    assert any(0 < value < 300 for value in done), "progress was seen growing"
    assert job["progress"] == {"done": 300, "total": 300}
    assert (job["filed"], job["refused"]) == (297, 3)
    assert job["finished_at"] is not None

    items = all_items(api.client, job["id"])
    assert [item["page"] for item in items] == list(range(1, 301))
    refused = [item for item in items if item["status"] == "refused"]
    assert [item["page"] for item in refused] == sorted(impostors)
    for item in refused:  # kept for review, as a refused picture of a request is
        assert item["refusal"]["review_id"]
        review = api.client.get(f"/reviews/{item['refusal']['review_id']}")
        assert review.status_code == 200
    filed = [item["extraction"] for item in items if item["status"] == "filed"]
    assert all(len(extraction["crops"]) == 2 for extraction in filed)
    per_page = extractions_per_page(api.client, model["id"])
    assert set(per_page.values()) == {1}, "no page cut twice"
    assert sorted(per_page) == sorted(set(range(1, 301)) - impostors)
    assert len(api.output_files()) == 2 * 297


def test_a_retry_with_the_same_key_answers_the_same_job(api: RunningApi) -> None:
    model = small_model(api.client)
    data = document(3)
    key = {"Idempotency-Key": "scanner-batch-17"}
    first = start(api.client, model["id"], data, headers=key)
    again = start(api.client, model["id"], data, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = start(api.client, model["id"], document(4), headers=key)
    assert_problem(other, 422, "scanner-batch-17")
    wait_for(api.client, first.headers["Location"], lambda job: job["status"] == "done")
    assert len(api.client.get("/jobs").json()["items"]) == 1
    assert sum(extractions_per_page(api.client, model["id"]).values()) == 3


def test_cancelling_stops_between_pages_and_keeps_what_was_filed(api: RunningApi) -> None:
    model = small_model(api.client)
    answer = start(api.client, model["id"], document(300))
    location = answer.headers["Location"]
    wait_for(api.client, location, lambda job: job["progress"]["done"] >= 5)
    cancelled = api.client.delete(location.removeprefix("/api/v1"))
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert_problem(api.client.delete(location.removeprefix("/api/v1")), 409, "cancelled")
    time.sleep(1.5)  # the page being cut when it was cancelled is finished, no more
    first = api.client.get(location.removeprefix("/api/v1")).json()
    time.sleep(1.0)
    job = api.client.get(location.removeprefix("/api/v1")).json()
    assert job == first, "nothing more is cut"
    assert job["status"] == "cancelled"
    assert 5 <= job["progress"]["done"] < 300
    items = all_items(api.client, job["id"])
    assert len(items) == job["progress"]["done"] == job["filed"]
    per_page = extractions_per_page(api.client, model["id"])
    assert sorted(per_page) == [item["page"] for item in items]
    assert len(api.output_files()) == 2 * job["filed"]


def test_the_header_chooses_the_job_limits_before_the_body_is_read(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(max_upload_bytes=20_000, max_pages=5, job_max_upload_bytes=200_000)
    model = small_model(api.client)
    data = document(10)
    assert 20_000 < len(data) < 200_000
    assert_problem(start(api.client, model["id"], data, headers={"Prefer": ""}), 413, "20000")
    answer = start(api.client, model["id"], data)
    assert answer.status_code == 202, answer.text
    job, _ = wait_for(api.client, answer.headers["Location"], lambda job: job["status"] == "done")
    assert job["progress"] == {"done": 10, "total": 10}
    big = document(60)
    assert len(big) > 200_000
    assert_problem(start(api.client, model["id"], big), 413, "ZONECUT_JOB_MAX_UPLOAD_BYTES")


def test_a_document_past_the_job_pages_is_refused_whole(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(job_max_pages=4)
    model = small_model(api.client)
    answer = start(api.client, model["id"], document(6))
    job, _ = wait_for(api.client, answer.headers["Location"], lambda job: job["status"] == "done")
    assert (job["progress"], job["filed"], job["refused"]) == ({"done": 1, "total": 1}, 0, 1)
    (item,) = all_items(api.client, job["id"])
    assert (item["part"], item["page"], item["refusal"]["status"]) == (1, None, 413)


def test_several_parts_make_one_job(api: RunningApi) -> None:
    model = small_model(api.client)
    picture = encode(quadrant_picture(*SMALL))
    answer = api.client.post(
        "/extract",
        data={"model": model["id"]},
        files=[("image", (f"scan-{n}.png", picture, "image/png")) for n in range(4)]
        + [("image", ("wrong.png", encode(quadrant_picture(160, 60)), "image/png"))],
        headers=ASYNC,
    )
    assert answer.status_code == 202, answer.text
    assert (answer.json()["parts"], answer.json()["filename"]) == (5, "scan-0.png")
    job, _ = wait_for(api.client, answer.headers["Location"], lambda job: job["status"] == "done")
    assert (job["progress"], job["filed"], job["refused"]) == ({"done": 5, "total": 5}, 4, 1)
    items = all_items(api.client, job["id"])
    assert [(item["part"], item["page"], item["status"]) for item in items] == [
        (1, None, "filed"),
        (2, None, "filed"),
        (3, None, "filed"),
        (4, None, "filed"),
        (5, None, "refused"),
    ]
    assert items[0]["extraction"]["source"]["filename"] == "scan-0.png"


def test_what_a_job_cannot_be_is_refused_before_it_is_queued(api: RunningApi) -> None:
    model = small_model(api.client)
    empty = api.client.post("/models", data={"name": "Empty"}, files={"image": ("r.png", b"")})
    assert empty.status_code == 422
    unknown = start(api.client, "no such model", document(1))
    assert_problem(unknown, 404, "no such model")
    nothing = start(api.client, model["id"], b"")
    assert_problem(nothing, 422, "empty")
    unstored = start(api.client, model["id"], document(1), store="false")
    assert_problem(unstored, 422, "store")
    assert api.client.get("/jobs").json()["total"] == 0
    assert not (api.settings.data_dir / "jobs").exists() or not any(
        path.is_file() for path in (api.settings.data_dir / "jobs").rglob("*")
    )


def test_jobs_are_their_callers_own(api: RunningApi) -> None:
    model = small_model(api.client)
    first, second = api.as_role("operator"), api.as_role("operator")
    answer = start(first, model["id"], document(2))
    assert answer.status_code == 202, answer.text
    path = answer.headers["Location"].removeprefix("/api/v1")
    assert first.get(path).status_code == 200
    assert first.get("/jobs").json()["total"] == 1
    assert_problem(second.get(path), 404)
    assert_problem(second.get(f"{path}/items"), 404)
    assert_problem(second.delete(path), 404)
    assert second.get("/jobs").json()["total"] == 0
    assert api.client.get(path).status_code == 200  # an admin reads any
    assert api.client.get("/jobs").json()["total"] == 0  # but lists its own
    scoped = api.as_role("operator", models=[model["id"]])
    other = small_model(api.client, name="Other form")
    assert_problem(start(scoped, other["id"], document(1)), 404)


def test_without_a_runner_a_job_waits_queued_and_can_be_cancelled(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(job_runner=False)
    model = small_model(api.client)
    answer = start(api.client, model["id"], document(2))
    path = answer.headers["Location"].removeprefix("/api/v1")
    time.sleep(0.5)
    job = api.client.get(path).json()
    assert (job["status"], job["progress"]) == ("queued", {"done": 0, "total": None})
    assert api.client.delete(path).json()["status"] == "cancelled"
