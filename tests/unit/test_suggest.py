"""Zone suggestions on synthetic forms whose fields are known (bench/form_fixtures.py),
and the cache that keeps them beside the reference picture."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from api.imaging.suggest import page
from api.imaging.suggest.page import suggest
from api.imaging.suggest.results import FORMAT_VERSION, PageSuggestions, Suggestion
from api.services.models.suggestions import SuggestionCache
from api.storage.local import LocalStorage
from bench.form_fixtures import (
    A4_200_DPI,
    FAMILIES,
    PAPER,
    Field,
    Form,
    boxed_form,
    mixed_form,
    scanned,
    twelve_boxes,
)

SMALL_A4 = (1240, 1754)  # 150 dpi: quicker, and the sizes must scale


def best_iou(field: Field, items: tuple[Suggestion, ...]) -> float:
    return max((field.iou(s.x, s.y, s.width, s.height) for s in items), default=0.0)


def found(form: Form, iou: float = 0.85) -> float:
    result = suggest(form.image)
    return sum(best_iou(f, result.items) >= iou for f in form.fields) / len(form.fields)


def test_the_insides_of_printed_boxes_are_suggested_to_the_pixel() -> None:
    form = twelve_boxes()
    result = suggest(form.image)
    assert len(result.items) == 12
    for field in form.fields:
        rect = (field.x, field.y, field.width, field.height)
        match = [s for s in result.items if (s.x, s.y, s.width, s.height) == rect]
        assert match, (field, result.items)
        assert match[0].kind == "box"
        assert match[0].score > 0.9


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_clean_and_scanned(family: str) -> None:
    assert found(FAMILIES[family](7, SMALL_A4)) >= 0.9
    # Scanned at 200 dpi: the scan's blur and noise are whole pixels, a heavy blow at 100.
    assert found(scanned(FAMILIES[family](7, A4_200_DPI), 7)) >= 0.9


def test_kinds_say_what_was_found() -> None:
    form = mixed_form(3)
    result = suggest(form.image)
    kinds = {}
    for field in form.fields:
        best = max(result.items, key=lambda s: field.iou(s.x, s.y, s.width, s.height))
        kinds.setdefault(field.kind, set()).add(best.kind)
    assert kinds["cell"] == {"cell"}
    assert kinds["frame"] == {"frame"}  # the header's frame holds a box
    assert kinds["checkbox"] == {"checkbox"}
    assert kinds["underline"] == {"underline"}
    assert kinds["box"] <= {"box", "cell"}  # a box touching its neighbour is a cell


def test_items_come_best_first() -> None:
    items = suggest(boxed_form(2).image).items
    scores = [item.score for item in items]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)


def test_a_blank_page_suggests_nothing() -> None:
    result = suggest(Image.new("RGB", SMALL_A4, PAPER))
    assert result.items == ()
    assert result.lines == ()
    assert (result.width, result.height) == SMALL_A4


def test_solid_print_and_white_letters_on_a_bar_are_no_fields() -> None:
    image = Image.new("RGB", (1000, 700), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([100, 100, 399, 299], fill=(150, 30, 30))  # a logo
    draw.rectangle([100, 400, 899, 459], fill=(55, 60, 80))  # a section bar
    draw.text((120, 412), "HOLDER DETAILS", fill=PAPER, font_size=34)
    assert suggest(image).items == ()


def test_a_double_frame_is_one_suggestion_its_inside() -> None:
    image = Image.new("RGB", (800, 600), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([100, 100, 599, 299], outline=(20, 20, 20), width=3)
    draw.rectangle([108, 108, 591, 291], outline=(20, 20, 20), width=1)
    items = suggest(image).items
    assert [(s.x, s.y, s.width, s.height) for s in items] == [(109, 109, 482, 182)]


def test_a_box_sides_are_printed_lines_with_their_thickness() -> None:
    image = Image.new("RGB", A4_200_DPI, PAPER)
    ImageDraw.Draw(image).rectangle([100, 100, 599, 299], outline=(20, 20, 20), width=4)
    lines = suggest(image).lines
    horizontal = sorted((ln for ln in lines if abs(ln.y2 - ln.y1) < 1), key=lambda ln: ln.y1)
    vertical = sorted((ln for ln in lines if abs(ln.x2 - ln.x1) < 1), key=lambda ln: ln.x1)
    assert [round(line.y1) for line in horizontal] == [102, 298]  # rows 100-103, 296-299
    assert [round(line.x1) for line in vertical] == [102, 598]
    for line in lines:
        assert line.thickness == pytest.approx(4, abs=0.6)
    top = horizontal[0]
    assert (top.x1, top.x2) == pytest.approx((100, 600), abs=1)


def test_a_large_page_is_searched_smaller_and_answered_in_its_own_pixels() -> None:
    form = twelve_boxes((2480, 3508))  # A4 at 300 dpi
    result = suggest(form.image)
    assert (result.width, result.height) == (2480, 3508)
    for field in form.fields:
        assert best_iou(field, result.items) > 0.97


def test_cached_form_round_trips_and_refuses_another_version() -> None:
    result = suggest(twelve_boxes(SMALL_A4).image)
    assert PageSuggestions.from_bytes(result.to_bytes()) == result
    stale = result.to_bytes().replace(
        f'"version":{FORMAT_VERSION}'.encode(), f'"version":{FORMAT_VERSION + 1}'.encode()
    )
    with pytest.raises(ValueError, match="format"):
        PageSuggestions.from_bytes(stale)
    with pytest.raises(ValueError):
        PageSuggestions.from_bytes(b"not json")


def test_the_cache_computes_once_and_keeps_the_result_beside_the_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = LocalStorage(tmp_path / "references")
    form = twelve_boxes(SMALL_A4)
    buffer = io.BytesIO()
    form.image.save(buffer, format="PNG")
    storage.put_exact("model/abc.png", buffer.getvalue())
    first = SuggestionCache(storage, max_pixels=10**8).of("model/abc.png")
    assert storage.read("model/abc.suggestions") == first.to_bytes()
    assert len(first.items) == 12

    computed: list[Image.Image] = []
    real = page.suggest

    def counting(image: Image.Image) -> PageSuggestions:
        computed.append(image)
        return real(image)

    monkeypatch.setattr(page, "suggest", counting)
    # Another process reads what the first one kept, and computes nothing.
    assert SuggestionCache(storage, max_pixels=10**8).of("model/abc.png") == first
    assert computed == []
    # Kept by another version of the code, or damaged: computed again and replaced.
    (tmp_path / "references/model/abc.suggestions").write_bytes(b'{"version": 0}')
    assert SuggestionCache(storage, max_pixels=10**8).of("model/abc.png") == first
    assert len(computed) == 1
    assert storage.read("model/abc.suggestions") == first.to_bytes()
