"""Webhooks: events delivered to a real HTTP receiver on loopback, signed and checked with
the Standard Webhooks library's own verifier; retried, refused, never in the way.

Loopback is a private address: the tests that deliver to it allow that
(ZONECUT_WEBHOOK_ALLOW_PRIVATE); one checks it is refused without. No test sends traffic
to any other private range.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from tests.api.conftest import RunningApi
from tests.api.factories import assert_problem, extract, model_with_zones, picture_bytes
from tests.api.test_jobs import document, small_model, start, wait_for


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on loopback that records every request and answers the statuses of
    ``answers`` in turn (then 200); ``hold`` keeps each answer until it is set."""

    answers: list[int] = field(default_factory=list)
    hold: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    url: str = ""
    redirect_to: str = ""

    def wait_for(self, count: int, seconds: float = 60) -> list[Received]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"received {len(self.received)} of {count}"
            time.sleep(0.05)
        return self.received


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            found.received.append(Received(self.path, dict(self.headers.items()), body))
            if found.hold is not None:
                found.hold.wait(60)
            status = found.answers.pop(0) if found.answers else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", found.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    if found.hold is not None:
        found.hold.set()
    server.shutdown()
    server.server_close()


def subscribe(api: RunningApi, url: str, *events: str, **more: Any) -> dict[str, Any]:
    response = api.client.post("/webhooks", json={"url": url, "events": list(events), **more})
    assert response.status_code == 201, response.text
    webhook: dict[str, Any] = response.json()
    return webhook


def verified(secret: str, received: Received) -> dict[str, Any]:
    """The payload, checked with the library's verifier (it raises on a bad signature)."""
    payload: dict[str, Any] = Verifier(secret).verify(received.body, received.headers)
    return payload


def deliveries(api: RunningApi, webhook_id: str) -> list[dict[str, Any]]:
    answer = api.client.get(f"/webhooks/{webhook_id}/deliveries")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def private_api(make_api: Callable[..., RunningApi]) -> RunningApi:
    return make_api(webhook_allow_private=True, webhook_retry_seconds=0.2)


def test_events_are_delivered_signed_as_the_library_verifies(
    private_api: RunningApi, receiver: Receiver
) -> None:
    api = private_api
    webhook = subscribe(api, receiver.url, "extraction.created", "review.created")
    assert webhook["secret"].startswith("whsec_")
    assert "secret" not in api.client.get(f"/webhooks/{webhook['id']}").json()
    model = model_with_zones(api.client)
    extraction = extract(api.client, model["id"], picture_bytes()).json()
    refused = extract(api.client, model["id"], picture_bytes(800, 300)).json()

    first, second = receiver.wait_for(2)
    created, review = verified(webhook["secret"], first), verified(webhook["secret"], second)
    assert created["type"] == "extraction.created"
    assert created["data"]["id"] == extraction["id"]
    assert created["data"]["links"]["self"] == f"/api/v1/extractions/{extraction['id']}"
    assert created["data"]["model_id"] == model["id"]
    assert review["type"] == "review.created"
    assert review["data"]["id"] == refused["review_id"]
    assert first.headers["webhook-id"] != second.headers["webhook-id"]
    with pytest.raises(Exception, match="signature"):
        Verifier("whsec_" + "A" * 43).verify(first.body, first.headers)
    until(lambda: all(d["status"] == "delivered" for d in deliveries(api, webhook["id"])))
    listed = deliveries(api, webhook["id"])
    assert [d["event"] for d in listed] == ["review.created", "extraction.created"]
    assert {d["message_id"] for d in listed} == {
        first.headers["webhook-id"],
        second.headers["webhook-id"],
    }


def test_a_failing_receiver_gets_the_event_again_with_the_same_id(
    private_api: RunningApi, receiver: Receiver
) -> None:
    api = private_api
    receiver.answers = [500, 500]
    webhook = subscribe(api, receiver.url, "job.done")
    sent = api.client.post(f"/webhooks/{webhook['id']}/test")
    assert sent.status_code == 202, sent.text
    attempts = receiver.wait_for(3)
    assert len({attempt.headers["webhook-id"] for attempt in attempts}) == 1
    payloads = [verified(webhook["secret"], attempt) for attempt in attempts]
    assert payloads[0] == payloads[1] == payloads[2]
    assert payloads[0]["type"] == "webhook.test"
    until(lambda: deliveries(api, webhook["id"])[0]["status"] == "delivered")
    (delivery,) = deliveries(api, webhook["id"])
    assert (delivery["attempts"], delivery["last_status"]) == (3, 200)
    assert delivery["message_id"] == sent.json()["message_id"]
    time.sleep(0.5)
    assert len(receiver.received) == 3, "one event, delivered once it was answered 200"


def test_a_loopback_receiver_is_refused_unless_private_delivery_is_allowed(
    api: RunningApi, receiver: Receiver
) -> None:
    assert_problem(
        api.client.post("/webhooks", json={"url": receiver.url, "events": ["job.done"]}),
        422,
        "loopback",
    )
    by_name = receiver.url.replace("127.0.0.1", "localhost")
    webhook = subscribe(api, by_name, "job.done")  # a name: checked as resolved, when sent
    assert api.client.post(f"/webhooks/{webhook['id']}/test").status_code == 202
    until(lambda: deliveries(api, webhook["id"])[0]["attempts"] >= 1)
    (delivery,) = deliveries(api, webhook["id"])
    assert delivery["status"] == "pending" and delivery["last_status"] is None
    assert "loopback" in delivery["last_error"]
    assert receiver.received == [], "nothing was sent"


def test_redirects_are_not_followed(private_api: RunningApi, receiver: Receiver) -> None:
    api = private_api
    receiver.answers = [307]
    receiver.redirect_to = receiver.url + "/elsewhere"
    webhook = subscribe(api, receiver.url, "job.done")
    api.client.post(f"/webhooks/{webhook['id']}/test")
    until(lambda: deliveries(api, webhook["id"])[0]["attempts"] >= 1)
    delivery = deliveries(api, webhook["id"])[0]
    assert delivery["last_status"] == 307 and "redirect" in delivery["last_error"]
    assert [r.path for r in receiver.received][:1] == ["/hook"]
    assert all(r.path == "/hook" for r in receiver.received), "never where it pointed"


def test_a_receiver_that_hangs_never_holds_an_extraction(
    private_api: RunningApi, receiver: Receiver
) -> None:
    api = private_api
    receiver.hold = threading.Event()
    subscribe(api, receiver.url, "extraction.created")
    model = model_with_zones(api.client)
    first = extract(api.client, model["id"], picture_bytes())
    receiver.wait_for(1)  # the receiver holds the first delivery and does not answer
    second = extract(api.client, model["id"], picture_bytes())
    assert first.status_code == second.status_code == 201
    assert not receiver.hold.is_set()
    receiver.hold.set()


def test_a_job_tells_it_is_done(private_api: RunningApi, receiver: Receiver) -> None:
    api = private_api
    webhook = subscribe(api, receiver.url, "job.done", "job.failed")
    model = small_model(api.client)
    answer = start(api.client, model["id"], document(3))
    wait_for(api.client, answer.headers["Location"], lambda job: job["status"] == "done")
    (done,) = [verified(webhook["secret"], r) for r in receiver.wait_for(1)]
    assert done["type"] == "job.done"
    assert done["data"]["id"] == answer.json()["id"]
    assert done["data"]["progress"] == {"done": 3, "total": 3}
    assert done["data"]["links"]["items"] == answer.headers["Location"] + "/items"


def test_what_a_webhook_cannot_be_is_refused(api: RunningApi) -> None:
    def made(**body: Any) -> httpx.Response:
        return api.client.post("/webhooks", json={"events": ["job.done"], **body})

    assert_problem(made(url="ftp://example.com/hook"), 422, "http")
    assert_problem(made(url="https://user:pw@example.com/hook"), 422, "password")
    assert_problem(made(url="http://169.254.169.254/latest"), 422, "link-local")
    assert_problem(made(url="http://[::1]:8080/hook"), 422, "loopback")
    assert_problem(made(url="http://10.1.2.3/hook"), 422, "private")
    assert_problem(made(url="https://example.com/hook", secret="not-a-secret"), 422, "whsec_")
    events = api.client.post("/webhooks", json={"url": "https://example.com", "events": ["x"]})
    assert events.status_code == 422
    given = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" + "MfKQ9r8G"
    assert made(url="https://example.com/hook", secret=given).json()["secret"] == given
    listed = api.client.get("/webhooks").json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    webhook_id = listed["items"][0]["id"]
    assert api.client.delete(f"/webhooks/{webhook_id}").status_code == 204
    assert_problem(api.client.get(f"/webhooks/{webhook_id}"), 404)
    audit = api.client.get("/audit", params={"action": "webhook.*"}).json()["items"]
    assert [event["action"] for event in audit] == ["webhook.delete", "webhook.create"]
    assert json.dumps(audit).count(given) == 0


def test_a_review_resolved_by_hand_is_told_with_its_extraction(
    private_api: RunningApi, receiver: Receiver
) -> None:
    api = private_api
    webhook = subscribe(api, receiver.url, "review.resolved")
    model = model_with_zones(api.client)
    review_id = extract(api.client, model["id"], picture_bytes(800, 300)).json()["review_id"]
    corners = [[0, 0], [800, 0], [800, 300], [0, 300]]
    resolved = api.client.post(f"/reviews/{review_id}/resolve", json={"corners": corners})
    assert resolved.status_code == 201, resolved.text
    (told,) = [verified(webhook["secret"], r) for r in receiver.wait_for(1)]
    assert told["type"] == "review.resolved"
    assert told["data"]["id"] == review_id
    assert told["data"]["extraction_id"] == resolved.json()["id"]
    assert told["data"]["links"]["extraction"] == f"/api/v1/extractions/{resolved.json()['id']}"


def test_a_job_whose_model_was_deleted_fails_and_tells_it(
    make_api: Callable[..., RunningApi], receiver: Receiver
) -> None:
    queueing = make_api(job_runner=False)  # queues the job; nobody cuts it yet
    # a name, checked when delivered: by the other server, which allows loopback
    webhook = subscribe(queueing, receiver.url.replace("127.0.0.1", "localhost"), "job.failed")
    model = small_model(queueing.client)
    answer = start(queueing.client, model["id"], document(2))
    assert queueing.client.delete(f"/models/{model['id']}").status_code == 204
    cutting = make_api(webhook_allow_private=True)  # the same database, with a runner
    job, _ = wait_for(
        cutting.client, answer.headers["Location"], lambda job: job["status"] == "failed"
    )
    assert "model" in job["error"] and job["progress"]["done"] == 0
    (failed,) = [verified(webhook["secret"], r) for r in receiver.wait_for(1)]
    assert failed["type"] == "job.failed"
    assert failed["data"]["id"] == job["id"] and "model" in failed["data"]["error"]
