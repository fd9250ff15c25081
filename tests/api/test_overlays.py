"""Overlays: where the zones were cut, drawn on the picture; kept pictures expire."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

from PIL import Image
from sqlalchemy import create_engine, update

from api.db import make_sessionmaker
from api.services.extraction.intents import remove_expired_sources
from api.storage.factory import open_storage
from api.tables import Extraction, utcnow
from tests.api.conftest import RunningApi
from tests.api.factories import (
    assert_problem,
    encode,
    extract,
    model_with_zones,
    picture_bytes,
    quadrant_picture,
)

BLUE = (37, 99, 235)  # the first zone's colour


def jpeg(answer_content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(answer_content))
    assert image.format == "JPEG"
    return image.convert("RGB")


def near(colour: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 60) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=False))


def test_an_extractions_overlay_outlines_every_zone_where_it_was_cut(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    big = encode(quadrant_picture(400, 300).resize((2000, 1500)))
    record = extract(api.client, model["id"], big).json()
    answer = api.client.get(f"/extractions/{record['id']}/overlay")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    overlay = jpeg(answer.content)
    assert overlay.size == (1600, 1200)  # longest side at most 1600
    # the first zone (top-left quadrant, 1000x750 in the picture) is outlined at its edge
    edge = overlay.getpixel((400, 599))
    assert near(edge, BLUE), edge


def test_an_overlay_is_gone_once_the_picture_is_no_longer_kept(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api()
    model = model_with_zones(api.client)
    record = extract(api.client, model["id"], picture_bytes()).json()
    engine = create_engine(api.settings.effective_database_url)
    with engine.begin() as connection:
        connection.execute(
            update(Extraction).values(source_kept_until=utcnow() - timedelta(seconds=1))
        )
    sources = open_storage(None, area="sources", local_root=api.settings.data_dir)
    assert remove_expired_sources(make_sessionmaker(engine), sources) == 1
    engine.dispose()
    assert_problem(api.client.get(f"/extractions/{record['id']}/overlay"), 410, "no longer kept")
    assert not list((api.settings.data_dir / "sources").rglob("*.png"))
    # the crops and the record stay
    assert api.client.get(f"/extractions/{record['id']}").status_code == 200

    keeps_none = make_api(keep_sources_days=0)
    model = model_with_zones(keeps_none.client, name="Another form")
    record = extract(keeps_none.client, model["id"], picture_bytes()).json()
    assert_problem(keeps_none.client.get(f"/extractions/{record['id']}/overlay"), 410)


def test_a_review_items_overlay_draws_the_best_guess(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    wide = encode(quadrant_picture(400, 300).resize((800, 300)))
    review_id = assert_problem(extract(api.client, model["id"], wide), 422)["review_id"]
    overlay = jpeg(api.client.get(f"/reviews/{review_id}/overlay").content)
    assert overlay.size == (800, 300)
    assert near(overlay.getpixel((200, 149)), BLUE)  # the first zone stretched with the page
    api.client.post(
        f"/reviews/{review_id}/resolve", json={"corners": [[0, 0], [800, 0], [800, 300], [0, 300]]}
    )
    assert_problem(api.client.get(f"/reviews/{review_id}/picture"), 404)  # kept as the source now
    resolved = api.client.get(f"/reviews/{review_id}").json()
    assert api.client.get(f"/extractions/{resolved['extraction_id']}/overlay").status_code == 200
