"""Documents over HTTP: PDF and multi-page TIFF references and scans, pages=each, several
parts, the answers replayed, the pages of images and overlays.

One server serves the whole module (starting one per test would cost more than the
tests); every test makes models of its own, with folders of its own, and looks only at
what it filed.
"""

from __future__ import annotations

import io
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn
from PIL import Image, ImageDraw

from api.settings import Settings
from tests.api.conftest import ADMIN_KEY, RunningApi, bearer, serve
from tests.api.factories import assert_problem, encode, extract, zone
from tests.conftest import BACKENDS, PostgresDatabases
from tests.helpers import blank_pdf, close_colour, colour_at, pdf_of, raw_pdf, tiff_of

# Every page of a reference has its own four quadrant colours, so a crop tells its page.
PAGE_COLOURS = [
    ((200, 30, 30), (30, 160, 40), (40, 60, 210), (230, 200, 20)),
    ((120, 20, 160), (20, 150, 150), (250, 120, 10), (90, 90, 90)),
    ((10, 10, 10), (250, 250, 250), (160, 110, 60), (60, 200, 120)),
]
SIZE = (400, 300)  # pixels of every reference page (a PDF page of 144 x 108 points)


def page_picture(number: int, size: tuple[int, int] = SIZE) -> Image.Image:
    """Reference page ``number`` (from 1): four flat quadrants of that page's colours."""
    width, height = size
    colours = PAGE_COLOURS[(number - 1) % len(PAGE_COLOURS)]
    image = Image.new("RGB", size)
    w, h = width // 2, height // 2
    for colour, box in zip(
        colours,
        [(0, 0, w, h), (w, 0, width, h), (0, h, w, height), (w, h, width, height)],
        strict=True,
    ):
        image.paste(colour, box)
    return image


def textured_page(seed: int, size: tuple[int, int] = (600, 800)) -> Image.Image:
    """A page full of corners (boxes, bars, marks) for feature alignment."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, (250, 250, 245))
    draw = ImageDraw.Draw(image)
    width, height = size
    for _ in range(220):
        x, y = int(rng.integers(0, width - 20)), int(rng.integers(0, height - 20))
        w, h = int(rng.integers(6, 60)), int(rng.integers(4, 30))
        grey = int(rng.integers(0, 160))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + w, y + h), fill=(grey, grey, grey))
        else:
            draw.rectangle((x, y, x + w, y + h), outline=(grey, 0, 0), width=2)
    return image


@pytest.fixture(scope="module", params=BACKENDS)
def api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    postgres: PostgresDatabases | None,
) -> Iterator[RunningApi]:
    """One server for the module, on each database backend under test."""
    root = tmp_path_factory.mktemp("documents")
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, root / "zonecut.db")
        url = f"sqlite:///{root / 'zonecut.db'}"
    else:
        assert postgres is not None
        url = postgres.create_migrated()
    settings = Settings(
        data_dir=root / "data",
        database_url=url,
        frontend_dir=root / "no-frontend",
        admin_api_key=ADMIN_KEY,
    )
    server, thread, base_url = serve(settings)
    client = httpx.Client(base_url=base_url + "/api/v1", timeout=60, headers=bearer(ADMIN_KEY))
    try:
        yield RunningApi(client, settings, base_url)
    finally:
        client.close()
        _stop(server, thread)
        if postgres is not None and request.param != "sqlite":
            postgres.drop(url)


def _stop(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=10)


def new_model(
    api: RunningApi,
    reference: bytes,
    zones: list[dict[str, Any]],
    filename: str = "reference.pdf",
    **settings: Any,
) -> dict[str, Any]:
    """A model of ``reference`` with ``zones`` and ``settings``, named uniquely."""
    response = api.client.post(
        "/models",
        data={"name": f"doc-{uuid.uuid4().hex[:10]}"},
        files={"image": (filename, reference, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    model: dict[str, Any] = response.json()
    if settings:
        patched = api.client.patch(f"/models/{model['id']}", json=settings)
        assert patched.status_code == 200, patched.text
    if zones:
        answer = api.client.put(f"/models/{model['id']}/zones", json={"zones": zones})
        assert answer.status_code == 200, answer.text
        model = answer.json()
    return model


def tag() -> str:
    """A folder of the test's own."""
    return f"t{uuid.uuid4().hex[:8]}"


def page_zones(folder: str, pages: int) -> list[dict[str, Any]]:
    """On every page, one zone inside its top-left quadrant and one in its bottom-right."""
    zones = []
    for page in range(1, pages + 1):
        zones.append({**zone(f"p{page} a", f"{folder}/a", 20, 20, 160, 110), "page": page})
        zones.append({**zone(f"p{page} b", f"{folder}/b", 220, 170, 160, 110), "page": page})
    return zones


def filed(api: RunningApi, folder: str) -> list[str]:
    return [path for path in api.output_files() if path.startswith(folder + "/")]


def crop_image(api: RunningApi, crop: dict[str, Any]) -> Image.Image:
    return Image.open(api.outputs / crop["path"]).convert("RGB")


@pytest.fixture(scope="module")
def three_pages() -> bytes:
    return pdf_of([page_picture(n) for n in (1, 2, 3)])


@pytest.fixture(scope="module")
def pdf_model(api: RunningApi, three_pages: bytes) -> dict[str, Any]:
    """A scale-aligned model of a 3-page PDF, two zones a page (folders of its own)."""
    return new_model(api, three_pages, page_zones(tag(), 3))


@pytest.fixture(scope="module")
def one_page_model(api: RunningApi) -> dict[str, Any]:
    """A one-page, scale-aligned model that keeps refused pictures for review."""
    return new_model(api, encode(page_picture(1)), page_zones(tag(), 1), filename="r.png")


# --- models of several pages -------------------------------------------------------------


def test_a_pdf_reference_becomes_a_model_of_its_pages(
    api: RunningApi, pdf_model: dict[str, Any]
) -> None:
    image = pdf_model["image"]
    assert (image["width"], image["height"], image["format"]) == (400, 300, "png")
    assert [(p["page"], p["width"], p["height"]) for p in image["pages"]] == [
        (1, 400, 300),
        (2, 400, 300),
        (3, 400, 300),
    ]
    assert [z["page"] for z in pdf_model["zones"]] == [1, 1, 2, 2, 3, 3]
    second = api.fetch(image["pages"][1]["url"])
    assert second.status_code == 200 and second.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(second.content)).convert("RGB")
    assert picture.size == SIZE
    assert close_colour(colour_at(picture, (100, 75)), PAGE_COLOURS[1][0])
    first = api.client.get(f"/models/{pdf_model['id']}/image")
    assert first.content == api.client.get(f"/models/{pdf_model['id']}/image?page=1").content
    assert_problem(api.client.get(f"/models/{pdf_model['id']}/image?page=4"), 404, "page 4")
    assert api.client.get(f"/models/{pdf_model['id']}/image?page=0").status_code == 422


def test_a_zone_on_a_page_the_reference_lacks_is_refused(
    api: RunningApi, pdf_model: dict[str, Any]
) -> None:
    bad = {**zone("late", "late", 0, 0, 10, 10), "page": 4}
    answer = api.client.post(f"/models/{pdf_model['id']}/zones", json=bad)
    problem = assert_problem(answer, 422, "page 4", "3 pages")
    assert problem["errors"][0]["field"] == "zones[6].page"
    wide = {**zone("wide", "wide", 300, 0, 200, 10), "page": 2}
    assert_problem(api.client.post(f"/models/{pdf_model['id']}/zones", json=wide), 422, "page 2")


def test_zones_saved_without_a_page_keep_theirs(api: RunningApi, three_pages: bytes) -> None:
    model = new_model(api, three_pages, page_zones(tag(), 2))
    # the editor's Save sends no page: known zones stay where they are, new ones go to 1
    zones = [{k: v for k, v in z.items() if k != "page"} for z in model["zones"]]
    zones.append(zone("new", "new", 0, 0, 10, 10))
    saved = api.client.put(f"/models/{model['id']}/zones", json={"zones": zones})
    assert saved.status_code == 200, saved.text
    assert [z["page"] for z in saved.json()["zones"]] == [1, 1, 2, 2, 1]
    moved = api.client.patch(f"/models/{model['id']}/zones/{zones[0]['id']}", json={"page": 3})
    assert moved.status_code == 200 and moved.json()["page"] == 3


def test_a_multi_page_tiff_reference_keeps_its_pixels(api: RunningApi) -> None:
    reference = tiff_of([page_picture(1, (200, 150)), page_picture(2, (300, 300))])
    model = new_model(api, reference, [], filename="reference.tif")
    sizes = [(p["width"], p["height"]) for p in model["image"]["pages"]]
    assert sizes == [(200, 150), (300, 300)]


def test_a_model_of_several_pages_exports_and_imports_whole(
    api: RunningApi, pdf_model: dict[str, Any]
) -> None:
    document = api.client.get(f"/models/{pdf_model['id']}/export").json()
    assert len(document["pages"]) == 2
    document["name"] = f"copy-{uuid.uuid4().hex[:8]}"
    copy = api.client.post("/models/import", json=document)
    assert copy.status_code == 201, copy.text
    body = copy.json()
    assert [p["width"] for p in body["image"]["pages"]] == [400, 400, 400]
    assert [z["page"] for z in body["zones"]] == [1, 1, 2, 2, 3, 3]


# --- cutting documents ------------------------------------------------------------------


def test_a_pdf_scan_is_cut_page_by_page(
    api: RunningApi, pdf_model: dict[str, Any], three_pages: bytes
) -> None:
    response = extract(api.client, pdf_model["id"], three_pages, filename="scan.pdf")
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["source"]["format"] == "pdf" and record["source"]["pages"] == 3
    assert record["source"]["page"] is None
    assert (record["source"]["width"], record["source"]["height"]) == SIZE
    identity = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    transform = record["transform"]
    assert transform["method"] == "scale" and transform["matrix"] == identity
    assert [(p["page"], p["width"], p["height"]) for p in transform["pages"]] == [
        (1, 400, 300),
        (2, 400, 300),
        (3, 400, 300),
    ]
    assert all(p["matrix"] == identity for p in transform["pages"])
    assert [crop["page"] for crop in record["crops"]] == [1, 1, 2, 2, 3, 3]
    for crop in record["crops"]:
        colours = PAGE_COLOURS[crop["page"] - 1]
        expected = colours[0] if crop["zone_name"].endswith("a") else colours[3]
        image = crop_image(api, crop)
        assert image.size == (160, 110)
        assert close_colour(colour_at(image, (80, 55)), expected), crop


def test_a_multi_page_tiff_scan_is_cut_with_the_pdf_model(
    api: RunningApi, pdf_model: dict[str, Any]
) -> None:
    scan = tiff_of([page_picture(n, (800, 600)) for n in (1, 2, 3)], compression="tiff_lzw")
    response = extract(api.client, pdf_model["id"], scan, filename="scan.tif")
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["source"]["format"] == "tiff" and record["source"]["pages"] == 3
    double = [[2, 0, 0], [0, 2, 0], [0, 0, 1]]
    assert [p["matrix"] for p in record["transform"]["pages"]] == [double] * 3
    for crop in record["crops"]:
        image = crop_image(api, crop)
        assert image.size == (320, 220)
        colours = PAGE_COLOURS[crop["page"] - 1]
        expected = colours[0] if crop["zone_name"].endswith("a") else colours[3]
        assert colour_at(image, (160, 110)) == expected, crop


def test_the_overlay_draws_the_page_asked_for(
    api: RunningApi, pdf_model: dict[str, Any], three_pages: bytes
) -> None:
    record = extract(api.client, pdf_model["id"], three_pages).json()
    url = f"/extractions/{record['id']}/overlay"
    for page in (1, 2, 3):
        answer = api.client.get(url, params={"page": page})
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
        overlay = Image.open(io.BytesIO(answer.content)).convert("RGB")
        assert overlay.size == SIZE
        # the page's own colours, away from the outlines
        assert close_colour(colour_at(overlay, (300, 40)), PAGE_COLOURS[page - 1][1], 40)
    assert_problem(api.client.get(url, params={"page": 4}), 404, "page 4")
    assert api.client.get(url, params={"page": 0}).status_code == 422


def test_a_page_count_other_than_the_models_is_refused_naming_both(
    api: RunningApi, pdf_model: dict[str, Any]
) -> None:
    folder = pdf_model["zones"][0]["folder"].split("/")[0]
    before = filed(api, folder)
    two = pdf_of([page_picture(1), page_picture(2)])
    assert_problem(extract(api.client, pdf_model["id"], two), 422, "2 pages", "3 pages")
    picture = encode(page_picture(1))
    assert_problem(extract(api.client, pdf_model["id"], picture), 422, "1 page", "3 pages")
    one_page = new_model(api, encode(page_picture(1)), page_zones(tag(), 1))
    problem = assert_problem(
        extract(api.client, one_page["id"], pdf_of([page_picture(1)] * 3)),
        422,
        "3 pages",
        "1 page",
        "pages=each",
    )
    assert problem["type"].endswith("/page-count-mismatch")
    assert filed(api, folder) == before


def test_a_one_page_pdf_for_a_one_page_model_is_cut_like_a_picture(api: RunningApi) -> None:
    folder = tag()
    model = new_model(api, encode(page_picture(1)), page_zones(folder, 1), filename="r.png")
    record = extract(api.client, model["id"], pdf_of([page_picture(1, (800, 600))])).json()
    assert record["source"]["format"] == "pdf" and record["source"]["pages"] == 1
    assert (record["source"]["width"], record["source"]["height"]) == SIZE  # the reference's
    assert "pages" not in record["transform"]
    assert [crop["page"] for crop in record["crops"]] == [1, 1]


@pytest.mark.parametrize(
    ("document", "status", "words"),
    [
        pytest.param(blank_pdf(60), 413, ("60 pages", "limit of 50"), id="sixty-pages"),
        pytest.param(blank_pdf(1, box=b"0 0 1 100000"), 413, ("page 1",), id="huge-box"),
        pytest.param(
            raw_pdf(
                [
                    b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>",
                    b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
                    b"<< /S /JavaScript /JS (alert) >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 144 108] >>",
                ]
            ),
            415,
            ("JavaScript",),
            id="javascript",
        ),
        pytest.param(blank_pdf(3)[:150], 422, ("PDF document cannot be read",), id="truncated"),
    ],
)
def test_hostile_documents_get_their_status_and_file_nothing(
    api: RunningApi,
    one_page_model: dict[str, Any],
    document: bytes,
    status: int,
    words: tuple[str],
) -> None:
    model_id = one_page_model["id"]
    folder = one_page_model["zones"][0]["folder"].split("/")[0]
    before = filed(api, folder)
    assert_problem(extract(api.client, model_id, document), status, *words)
    assert_problem(extract(api.client, model_id, document, pages="each"), status, *words)
    assert filed(api, folder) == before


def test_each_page_of_a_features_model_is_aligned_on_its_own(api: RunningApi) -> None:
    pages = [textured_page(1), textured_page(2)]
    folder = tag()
    zones = [
        {**zone("first", folder, 100, 150, 200, 120), "page": 1},
        {**zone("second", folder, 250, 500, 180, 140), "page": 2},
    ]
    model = new_model(api, tiff_of(pages), zones, filename="r.tif", alignment="features")
    # the first page scanned larger, the second shifted on a grey sheet
    first = pages[0].resize((720, 960))
    second = Image.new("RGB", (680, 880), (120, 120, 120))
    second.paste(pages[1], (40, 50))
    response = extract(api.client, model["id"], tiff_of([first, second]))
    assert response.status_code == 201, response.text
    transform = response.json()["transform"]
    assert transform["method"] == "features"
    one, two = (np.array(page["matrix"]) for page in transform["pages"])
    assert np.allclose(one, [[1.2, 0, 0], [0, 1.2, 0], [0, 0, 1]], atol=0.02)
    assert np.allclose(two[:2, :2], np.eye(2), atol=0.02)
    assert np.allclose(two[:2, 2], [40, 50], atol=2)
    assert transform["matrix"] == transform["pages"][0]["matrix"]


# --- every page as its own picture, several parts ---------------------------------------


def batch_with_impostors() -> bytes:
    """12 pages of the form, pages 4 and 9 square (not the form: refused)."""
    pages = [
        page_picture(1, (300, 300)) if n in (4, 9) else page_picture(1, (800, 600))
        for n in range(1, 13)
    ]
    return pdf_of(pages)


def test_pages_each_files_every_page_and_refuses_the_impostors(
    api: RunningApi, one_page_model: dict[str, Any]
) -> None:
    folder = one_page_model["zones"][0]["folder"].split("/")[0]
    response = extract(
        api.client, one_page_model["id"], batch_with_impostors(), "batch.pdf", pages="each"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"items", "refused"}
    assert [item["source"]["page"] for item in body["items"]] == [1, 2, 3, 5, 6, 7, 8, 10, 11, 12]
    assert all(item["source"]["pages"] == 12 for item in body["items"])
    assert all(item["source"]["filename"] == "batch.pdf" for item in body["items"])
    assert [(r["page"], r["type"].rsplit("/", 1)[-1]) for r in body["refused"]] == [
        (4, "picture-does-not-match"),
        (9, "picture-does-not-match"),
    ]
    assert all("aspect" in r["detail"] for r in body["refused"])
    expected = sorted(
        f"{folder}/{side}/batch-p{page}_p1_{side}.png"
        for page in (1, 2, 3, 5, 6, 7, 8, 10, 11, 12)
        for side in ("a", "b")
    )
    assert sorted(filed(api, folder)) == expected
    crop = body["items"][0]["crops"][0]
    assert close_colour(colour_at(crop_image(api, crop), (80, 55)), PAGE_COLOURS[0][0])
    # a refused page is kept alone for review; the overlay of a filed one shows its page
    review = api.client.get(f"/reviews/{body['refused'][0]['review_id']}").json()
    assert review["source"]["width"] == 400 and review["source"]["height"] == 400
    picture = api.client.get(f"/reviews/{review['id']}/picture")
    assert picture.headers["content-type"] == "image/png"
    overlay = api.client.get(f"/extractions/{body['items'][3]['id']}/overlay")
    assert overlay.status_code == 200
    assert Image.open(io.BytesIO(overlay.content)).size == SIZE


@pytest.mark.parametrize("value", ["all", "EACH", "each ", "1", "null"])
def test_pages_takes_each_and_nothing_else(
    api: RunningApi, one_page_model: dict[str, Any], value: str
) -> None:
    answer = extract(api.client, one_page_model["id"], encode(page_picture(1)), pages=value)
    problem = assert_problem(answer, 422)
    assert problem["errors"] == [{"field": "pages", "message": "Input should be 'each'"}]


def test_pages_left_empty_cuts_one_picture(api: RunningApi, one_page_model: dict[str, Any]) -> None:
    answer = extract(api.client, one_page_model["id"], encode(page_picture(1)), pages="")
    assert answer.status_code == 201, answer.text
    assert "crops" in answer.json() and "items" not in answer.json()


def test_pages_each_with_a_model_of_several_pages_is_refused(
    api: RunningApi, pdf_model: dict[str, Any], three_pages: bytes
) -> None:
    answer = extract(api.client, pdf_model["id"], three_pages, pages="each")
    assert_problem(answer, 422, "pages=each", "3 pages")


def test_when_every_page_is_refused_nothing_is_filed_and_the_answer_is_422(
    api: RunningApi, one_page_model: dict[str, Any]
) -> None:
    impostors = pdf_of([page_picture(1, (300, 300))] * 2)
    answer = extract(api.client, one_page_model["id"], impostors, pages="each")
    problem = assert_problem(answer, 422, "nothing was filed", "page 1")
    assert problem["type"].endswith("/nothing-filed")
    assert [r["page"] for r in problem["refused"]] == [1, 2]


def test_several_image_parts_are_each_cut(api: RunningApi, one_page_model: dict[str, Any]) -> None:
    folder = one_page_model["zones"][0]["folder"].split("/")[0]
    answer = api.client.post(
        "/extract",
        data={"model": one_page_model["id"]},
        files=[
            ("image", ("one.png", encode(page_picture(1)), "image/png")),
            ("image", ("notes.txt", b"just some text", "text/plain")),
            ("image", ("three.jpg", encode(page_picture(1, (800, 600)), "JPEG"), "image/jpeg")),
        ],
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert [item["source"]["filename"] for item in body["items"]] == ["one.png", "three.jpg"]
    assert all(item["source"]["page"] is None for item in body["items"])
    assert [(r["part"], r["status"]) for r in body["refused"]] == [(2, 415)]
    assert "page" not in body["refused"][0]
    names = {path.rsplit("/", 1)[1] for path in filed(api, folder)}
    assert {"one_p1_a.png", "three_p1_a.png", "one_p1_b.png", "three_p1_b.png"} <= names


def test_a_batch_answer_is_replayed_and_files_nothing_new(
    api: RunningApi, one_page_model: dict[str, Any]
) -> None:
    folder = one_page_model["zones"][0]["folder"].split("/")[0]
    key = {"Idempotency-Key": f"batch-{uuid.uuid4().hex}"}
    document = batch_with_impostors()
    first = extract(api.client, one_page_model["id"], document, "a.pdf", key, pages="each")
    assert first.status_code == 201, first.text
    files = filed(api, folder)
    reviews = api.client.get("/reviews", params={"limit": 200}).json()["total"]
    again = extract(api.client, one_page_model["id"], document, "b.pdf", key, pages="each")
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()  # the other file name is the same request
    assert filed(api, folder) == files
    assert api.client.get("/reviews", params={"limit": 200}).json()["total"] == reviews
    # the same key for another request: refused, whatever the difference
    without_each = extract(api.client, one_page_model["id"], document, headers=key)
    assert_problem(without_each, 422, key["Idempotency-Key"])
    other = extract(api.client, one_page_model["id"], pdf_of([page_picture(1)]), "c.pdf", key)
    assert_problem(other, 422, key["Idempotency-Key"])
    # a refused batch is replayed as well
    refusal_key = {"Idempotency-Key": f"refused-{uuid.uuid4().hex}"}
    impostors = pdf_of([page_picture(1, (300, 300))] * 2)
    refused = extract(
        api.client, one_page_model["id"], impostors, headers=refusal_key, pages="each"
    )
    replayed = extract(
        api.client, one_page_model["id"], impostors, headers=refusal_key, pages="each"
    )
    assert refused.status_code == replayed.status_code == 422
    assert replayed.json() == refused.json() and replayed.headers["idempotent-replayed"] == "true"


def test_a_key_is_good_for_one_kind_of_request_only(
    api: RunningApi, one_page_model: dict[str, Any]
) -> None:
    key = {"Idempotency-Key": f"single-{uuid.uuid4().hex}"}
    document = pdf_of([page_picture(1)])
    assert extract(api.client, one_page_model["id"], document, headers=key).status_code == 201
    batch = extract(api.client, one_page_model["id"], document, headers=key, pages="each")
    assert_problem(batch, 422, key["Idempotency-Key"])


def test_a_claim_is_held_while_running_and_taken_over_once_abandoned(api: RunningApi) -> None:
    from datetime import timedelta

    from api import errors
    from api.db import make_engine, make_sessionmaker
    from api.services.extraction import replay as idempotency

    engine = make_engine(api.settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    try:
        claim = {"caller": "key:crashed", "key": uuid.uuid4().hex, "fingerprint": "f" * 64}
        first = idempotency.claim(sessions, **claim, stale_after=timedelta(minutes=5))
        assert isinstance(first, uuid.UUID)
        with pytest.raises(errors.StillRunning):
            idempotency.claim(sessions, **claim, stale_after=timedelta(minutes=5))
        with pytest.raises(errors.IdempotencyKeyReused):
            other = claim | {"fingerprint": "0" * 64}
            idempotency.claim(sessions, **other, stale_after=timedelta(minutes=5))
        assert idempotency.claim(sessions, **claim, stale_after=timedelta(0)) == first
        idempotency.finish(sessions, first, [], [{"page": 1}])
        kept = idempotency.claim(sessions, **claim, stale_after=timedelta(0))
        assert kept == idempotency.KeptAnswer([], [{"page": 1}])
    finally:
        engine.dispose()


def test_a_batch_can_be_answered_as_a_zip(api: RunningApi, one_page_model: dict[str, Any]) -> None:
    import json
    import zipfile

    document = pdf_of([page_picture(1), page_picture(1)])
    answer = extract(
        api.client,
        one_page_model["id"],
        document,
        "z.pdf",
        {"Accept": "application/zip"},
        pages="each",
    )
    assert answer.status_code == 201 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert len(manifest["items"]) == 2
    assert len(archive.namelist()) == 5


# --- review of a document -----------------------------------------------------------------


def test_a_refused_document_is_kept_and_resolved_page_by_page(
    api: RunningApi, pdf_model: dict[str, Any]
) -> None:
    # page 2 is square: its aspect does not match the reference's
    scan = pdf_of([page_picture(1), page_picture(2, (300, 300)), page_picture(3)])
    problem = assert_problem(extract(api.client, pdf_model["id"], scan), 422, "page 2 of 3")
    review = api.client.get(f"/reviews/{problem['review_id']}").json()
    assert review["source"]["format"] == "pdf"
    picture = api.client.get(f"/reviews/{review['id']}/picture")
    assert picture.headers["content-type"] == "application/pdf" and picture.content == scan
    overlay = api.client.get(f"/reviews/{review['id']}/overlay", params={"page": 2})
    assert overlay.status_code == 200
    assert Image.open(io.BytesIO(overlay.content)).size == (400, 400)
    rectangle = [[0, 0], [400, 0], [400, 300], [0, 300]]
    corners = {"1": rectangle, "2": [[0, 50], [400, 50], [400, 350], [0, 350]], "3": rectangle}
    flat = api.client.post(f"/reviews/{review['id']}/resolve", json={"corners": rectangle})
    assert_problem(flat, 422, "pages")
    answer = api.client.post(f"/reviews/{review['id']}/resolve", json={"pages": corners})
    assert answer.status_code == 201, answer.text
    record = answer.json()
    assert record["transform"]["method"] == "manual"
    assert [p["page"] for p in record["transform"]["pages"]] == [1, 2, 3]
    second = next(crop for crop in record["crops"] if crop["page"] == 2)
    assert second["quad"] == [[20.0, 70.0], [180.0, 70.0], [180.0, 180.0], [20.0, 180.0]]
    assert close_colour(colour_at(crop_image(api, second), (80, 55)), PAGE_COLOURS[1][0])
