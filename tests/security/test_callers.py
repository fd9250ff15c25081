"""Nothing across callers: an Idempotency-Key belongs to the user or API key that sent it.

Keys are chosen by clients (a counter, a file's hash): two systems may well pick the same
one. Neither may block the other, nor be handed the other's extraction or review item,
and a key or user made again under an old name starts with nothing of the old one's.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.api.conftest import PASSWORD, RunningApi, bearer
from tests.api.factories import (
    assert_problem,
    encode,
    extract,
    model_with_zones,
    picture_bytes,
    quadrant_picture,
)
from tests.conftest import BACKENDS, PostgresDatabases

WIDE = encode(quadrant_picture(400, 300).resize((800, 300)))  # another shape: refused, kept


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def caller(api: RunningApi, name: str) -> httpx.Client:
    return api.new_client(bearer(api.create_key("operator", name=name)["secret"]))


def two_parts(client: httpx.Client, model: str, key: str, first: bytes, second: bytes) -> Any:
    return client.post(
        "/extract",
        data={"model": model},
        files=[("image", ("a.png", first, "image/png")), ("image", ("b.png", second, "image/png"))],
        headers=keyed(key),
    )


def test_two_callers_with_one_key_each_get_their_own_extraction(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    alice, bob = caller(api, "alice"), caller(api, "bob")
    first = extract(alice, model["id"], picture_bytes(), headers=keyed("scan-1"))
    # another picture under the same key, from another caller: not "already used"
    second = extract(bob, model["id"], picture_bytes(420, 315), headers=keyed("scan-1"))
    assert first.status_code == second.status_code == 201, second.text
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["created_by"] == "key:bob"
    # each caller's retry is answered with its own extraction
    again = extract(bob, model["id"], picture_bytes(420, 315), headers=keyed("scan-1"))
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == second.json()["id"]


def test_the_same_key_and_picture_from_another_caller_is_not_handed_the_first(
    api: RunningApi,
) -> None:
    model = model_with_zones(api.client)
    alice, bob = caller(api, "alice"), caller(api, "bob")
    first = extract(alice, model["id"], picture_bytes(), headers=keyed("scan-1"))
    second = extract(bob, model["id"], picture_bytes(), headers=keyed("scan-1"))
    assert first.status_code == second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert second.json()["created_by"] == "key:bob"


def test_requests_of_several_pictures_are_kept_per_caller_too(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    alice, bob = caller(api, "alice"), caller(api, "bob")
    pictures = (picture_bytes(), picture_bytes(420, 315))
    single = extract(alice, model["id"], pictures[0], headers=keyed("pair-1"))
    assert single.status_code == 201, single.text
    # alice's key of one picture does not block bob's request of two under that key
    pair = two_parts(bob, model["id"], "pair-1", *pictures)
    assert pair.status_code == 201, pair.text
    first = two_parts(alice, model["id"], "pair-2", *pictures)
    second = two_parts(bob, model["id"], "pair-2", *pictures)
    assert first.status_code == second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    ids = {item["id"] for item in first.json()["items"]}
    assert ids.isdisjoint(item["id"] for item in second.json()["items"])


def test_concurrent_callers_with_one_key_each_file_once(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    clients = {name: caller(api, name) for name in ("alice", "bob")}
    barrier = threading.Barrier(6)
    answers: dict[str, set[str]] = {name: set() for name in clients}

    def post(name: str) -> None:
        barrier.wait()
        while True:
            answer = extract(clients[name], model["id"], picture_bytes(), headers=keyed("k"))
            if answer.status_code != 409:
                break
            assert answer.json()["type"].endswith("/still-running"), answer.text
        assert answer.status_code == 201, answer.text
        answers[name].add(answer.json()["id"])

    threads = [threading.Thread(target=post, args=(name,)) for name in clients for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(ids) == 1 for ids in answers.values()), answers
    assert answers["alice"] != answers["bob"]
    assert api.client.get("/extractions").json()["total"] == 2


def test_a_refused_picture_is_kept_once_per_caller(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    alice, bob = caller(api, "alice"), caller(api, "bob")
    first = assert_problem(extract(alice, model["id"], WIDE, headers=keyed("scan-7")), 422)
    retried = assert_problem(extract(alice, model["id"], WIDE, headers=keyed("scan-7")), 422)
    assert retried["review_id"] == first["review_id"]
    other = assert_problem(extract(bob, model["id"], WIDE, headers=keyed("scan-7")), 422)
    assert other["review_id"] != first["review_id"]  # bob is not told of alice's item
    items = api.client.get("/reviews").json()["items"]
    assert {item["created_by"] for item in items} == {"key:alice", "key:bob"}


def test_a_key_made_again_under_its_old_name_inherits_nothing(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    old = api.create_key("operator", name="scanner")
    scanner = api.new_client(bearer(old["secret"]))
    single = extract(scanner, model["id"], picture_bytes(), headers=keyed("scan-1"))
    pictures = (picture_bytes(), picture_bytes(420, 315))
    pair = two_parts(scanner, model["id"], "pair-1", *pictures)
    refused = assert_problem(extract(scanner, model["id"], WIDE, headers=keyed("scan-7")), 422)
    assert api.client.delete(f"/api-keys/{old['id']}").status_code == 204

    again = api.new_client(bearer(api.create_key("operator", name="scanner")["secret"]))
    new_single = extract(again, model["id"], picture_bytes(), headers=keyed("scan-1"))
    assert new_single.status_code == 201 and "idempotent-replayed" not in new_single.headers
    assert new_single.json()["id"] != single.json()["id"]
    new_pair = two_parts(again, model["id"], "pair-1", *pictures)
    assert new_pair.status_code == 201 and "idempotent-replayed" not in new_pair.headers
    assert new_pair.json()["items"][0]["id"] != pair.json()["items"][0]["id"]
    new_refused = assert_problem(extract(again, model["id"], WIDE, headers=keyed("scan-7")), 422)
    assert new_refused["review_id"] != refused["review_id"]


def test_a_user_made_again_under_an_old_name_inherits_nothing(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    ada = api.create_user("ada")
    pictures = (picture_bytes(), picture_bytes(420, 315))
    first = two_parts(api.sign_in("ada"), model["id"], "pair-1", *pictures)
    assert first.status_code == 201, first.text
    assert api.client.delete(f"/users/{ada['id']}").status_code == 204
    api.create_user("ada")
    second = two_parts(api.sign_in("ada", PASSWORD), model["id"], "pair-1", *pictures)
    assert second.status_code == 201 and "idempotent-replayed" not in second.headers
    assert second.json()["items"][0]["id"] != first.json()["items"][0]["id"]


# --- the migration: the keys kept on extractions and reviews move to their callers ------

BEFORE = "755e2e47c890"


@pytest.fixture(params=BACKENDS)
def fresh_database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases | None
) -> Any:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrating.db'}"
        return
    assert postgres is not None
    url = postgres.create_empty()
    try:
        yield url
    finally:
        postgres.drop(url)


def _rows(url: str, query: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def _execute(url: str, *statements: tuple[str, dict[str, Any]]) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement, values in statements:
                connection.execute(text(statement), values)
    finally:
        engine.dispose()


def test_existing_keys_move_to_their_callers_and_back(fresh_database: str) -> None:
    from api.db import downgrade_database, upgrade_database
    from api.services.extraction.pipeline import ExtractRequest

    url = fresh_database
    upgrade_database(url, BEFORE)
    ids = {name: uuid.uuid4() for name in ("ada", "old", "new", "model", "x1", "x2", "r1", "b1")}
    hexes = {name: value.hex for name, value in ids.items()}  # how both databases take them
    at, later = "2026-12-01 10:00:00", "2026-12-02 10:00:00"
    fingerprint = ExtractRequest("m", "scan.png", b"").fingerprint("a" * 64, ids["model"])
    _execute(
        url,
        (
            "INSERT INTO users (id, username, username_key, password_hash, role, disabled, "
            "created_at) VALUES (:id, 'Ada', 'ada', 'x', 'operator', false, :at)",
            {"id": hexes["ada"], "at": at},
        ),
        *[
            (
                "INSERT INTO api_keys (id, name, name_key, role, prefix, secret_hash, created_by, "
                "created_at, revoked_at) VALUES (:id, 'scanner', 'scanner', 'operator', 'zc_', "
                ":hash, 'ada', :at, :revoked)",
                {"id": hexes[name], "hash": name * 8, "at": made, "revoked": revoked},
            )
            for name, made, revoked in (("old", at, "2026-12-01 12:00:00"), ("new", later, None))
        ],
        (
            "INSERT INTO models (id, name, name_key, description, version, alignment, "
            "output_format, output_quality, filename_template, on_refusal, image_path, "
            "image_format, image_width, image_height, image_bytes, image_sha256, created_at, "
            "updated_at) VALUES (:id, 'Form', 'form', '', 1, 'scale', 'png', 90, '{source}', "
            "'review', 'r.png', 'png', 400, 300, 1, :sha, :at, :at)",
            {"id": hexes["model"], "sha": "b" * 64, "at": at},
        ),
        *[
            (
                "INSERT INTO extractions (id, model_id, model_name, model_version, created_at, "
                "duration_ms, source_filename, source_format, source_width, source_height, "
                "source_bytes, source_sha256, transform, idempotency_key, request_fingerprint, "
                "created_by, status, source_pages) VALUES (:id, :model, 'Form', 1, :at, 5, "
                "'scan.png', 'png', 400, 300, 10, :sha, '{}', :key, :fp, :by, 'done', 1)",
                {
                    "id": hexes[name],
                    "model": hexes["model"],
                    "at": made,
                    "sha": "a" * 64,
                    "key": key,
                    "fp": fingerprint,
                    "by": by,
                },
            )
            for name, made, key, by in (
                ("x1", "2026-12-01 11:00:00", "by-old-key", "key:scanner"),
                ("x2", later, "by-ada", "Ada"),
            )
        ],
        (
            "INSERT INTO reviews (id, model_id, model_name, model_version, status, reason, "
            "detail, figures, source_filename, source_format, source_width, source_height, "
            "source_bytes, source_sha256, picture_path, created_by, created_at, "
            "idempotency_key) VALUES (:id, :model, 'Form', 1, 'open', "
            "'picture-does-not-match', 'it does not match', :figures, 'wide.png', 'png', 800, "
            "300, 10, :sha, 'r/picture.png', 'key:bootstrap', :at, 'refused-1')",
            {
                "id": hexes["r1"],
                "model": hexes["model"],
                "figures": '{"inliers": 3.0}',
                "sha": "a" * 64,
                "at": at,
            },
        ),
        (
            "INSERT INTO idempotent_requests (id, caller, key, fingerprint, status, answer, "
            "created_at) VALUES (:id, 'Ada', 'batch-1', :fp, 'done', :answer, :at)",
            {
                "id": hexes["b1"],
                "fp": "c" * 64,
                "answer": f'{{"extractions": ["{ids["x2"]}"], "refused": []}}',
                "at": at,
            },
        ),
    )

    upgrade_database(url)
    kept = {
        row["key"]: row
        for row in _rows(url, "SELECT caller, key, fingerprint, status FROM idempotent_requests")
    }
    assert set(kept) == {"by-old-key", "by-ada", "refused-1", "batch-1"}
    # the key that was live when the extraction was made, by id; never the name
    assert kept["by-old-key"]["caller"] == f"key:{ids['old']}"
    assert kept["by-ada"]["caller"] == f"user:{ids['ada']}"
    assert kept["batch-1"]["caller"] == f"user:{ids['ada']}"
    assert kept["refused-1"]["caller"] == "bootstrap"
    assert kept["by-ada"]["fingerprint"] == fingerprint
    assert all(row["status"] == "done" for row in kept.values())

    downgrade_database(url, BEFORE)
    extractions = {
        row["id"] if isinstance(row["id"], uuid.UUID) else uuid.UUID(row["id"]): row
        for row in _rows(url, "SELECT id, idempotency_key, request_fingerprint FROM extractions")
    }
    assert extractions[ids["x1"]]["idempotency_key"] == "by-old-key"
    assert extractions[ids["x2"]]["request_fingerprint"] == fingerprint
    reviews = _rows(url, "SELECT idempotency_key FROM reviews")
    assert reviews == [{"idempotency_key": "refused-1"}]
    batches = _rows(url, "SELECT caller, key FROM idempotent_requests")
    assert batches == [{"caller": "Ada", "key": "batch-1"}]
    upgrade_database(url)  # and up again
