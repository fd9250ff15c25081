"""Samples of a model: kept, listed, removed, and cut again to check a zone change."""

from __future__ import annotations

import io
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench.align_fixtures import render_warp, text_form
from tests.api.conftest import RunningApi
from tests.api.factories import assert_problem, create_model, encode, extract

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PAPER = (250, 249, 245)
INK = (30, 30, 40)
# Zones of the form below: "name" where a name is written on some copies, "stamp" where
# some copies carry a stamp, "blank" on paper no copy writes on; "frame" around a printed
# box every copy has.
NAME = {"name": "name", "folder": "names", "x": 40, "y": 40, "width": 120, "height": 60}
STAMP_BOX = (240, 40, 120, 60)
FRAME = {"name": "frame", "folder": "frames", "x": 40, "y": 180, "width": 140, "height": 80}


def form(*, name: bool = False, stamp: bool = False, width: int = 400) -> bytes:
    """A 400x300 form: a printed box every copy has, and on some copies a written name
    (top left) or a stamp (top right). ``width`` stretches it sideways."""
    image = Image.new("RGB", (400, 300), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([50, 190, 170, 250], outline=INK, width=3)
    draw.line([60, 220, 160, 220], fill=INK, width=2)
    if name:
        draw.rectangle([55, 55, 145, 85], fill=INK)
    if stamp:
        draw.ellipse([260, 50, 340, 90], outline=(180, 20, 20), width=6)
    if width != 400:
        image = image.resize((width, 300))
    return encode(image)


def form_model(api: RunningApi, **fields: Any) -> dict[str, Any]:
    model = create_model(api.client, name=fields.pop("name", "Form"), image=form())
    response = api.client.put(f"/models/{model['id']}/zones", json={"zones": [NAME, FRAME]})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def add(
    client: httpx.Client, model_id: str, data: bytes, filename: str = "scan.png"
) -> httpx.Response:
    return client.post(
        f"/models/{model_id}/samples", files={"image": (filename, data, "image/png")}
    )


def added(client: httpx.Client, model_id: str, data: bytes, filename: str) -> dict[str, Any]:
    response = add(client, model_id, data, filename)
    assert response.status_code == 201, response.text
    sample: dict[str, Any] = response.json()
    return sample


def check(client: httpx.Client, model_id: str, zones: list[dict[str, Any]] | None) -> Any:
    body = None if zones is None else {"zones": zones}
    response = client.post(f"/models/{model_id}/samples/check", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def by_file(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {sample["filename"]: sample for sample in result["samples"]}


def zone_status(sample: dict[str, Any]) -> dict[str, str]:
    return {zone["name"]: zone["status"] for zone in sample["zones"]}


def moved(model: dict[str, Any], name: str, x: int, y: int, **size: int) -> list[dict[str, Any]]:
    """The model's zones as the editor would send them, zone ``name`` moved (or resized)."""
    zones = []
    for zone in model["zones"]:
        proposed = {
            k: zone[k] for k in ("id", "name", "folder", "page", "x", "y", "width", "height")
        }
        if zone["name"] == name:
            proposed |= {"x": x, "y": y, **size}
        zones.append(proposed)
    return zones


def picture(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


# ----- keeping samples -------------------------------------------------------------------


def test_a_sample_keeps_what_each_zone_gave_it_and_the_model_version(api: RunningApi) -> None:
    model = form_model(api)
    sample = added(api.client, model["id"], form(name=True), "jane.png")
    assert sample["model_version"] == model["version"]
    assert sample["filename"] == "jane.png"
    assert (sample["width"], sample["height"], sample["pages"]) == (400, 300, 1)
    assert [crop["zone_name"] for crop in sample["crops"]] == ["name", "frame"]
    name_crop = sample["crops"][0]
    assert (name_crop["crop_width"], name_crop["crop_height"]) == (120, 60)
    assert len(name_crop["sha256"]) == 64
    thumb = api.fetch(name_crop["thumbnail_url"])
    assert thumb.headers["content-type"] == "image/jpeg"
    assert picture(thumb.content).size == (120, 60)
    whole = api.fetch(sample["thumbnail_url"])
    assert max(picture(whole.content).size) <= 320

    listed = api.client.get(f"/models/{model['id']}/samples").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == sample["id"]
    one = api.client.get(f"/models/{model['id']}/samples/{sample['id']}")
    assert one.json() == sample
    # the same pixels give the same fingerprint, other pixels another
    again = added(api.client, model["id"], form(name=True), "jane again.png")
    other = added(api.client, model["id"], form(), "blank.png")
    assert again["crops"][0]["sha256"] == name_crop["sha256"]
    assert other["crops"][0]["sha256"] != name_crop["sha256"]
    assert other["crops"][1]["sha256"] == sample["crops"][1]["sha256"]  # the printed frame


def test_a_sample_is_removed_with_its_files(api: RunningApi) -> None:
    model = form_model(api)
    sample = added(api.client, model["id"], form(name=True), "jane.png")
    store = api.settings.data_dir / "samples" / model["id"] / sample["id"]
    kept = {str(p.relative_to(store)) for p in store.rglob("*") if p.is_file()}
    assert {name for name in kept if "/" not in name} == {
        "picture.png",
        "thumbnail.jpg",
        "crop-1.jpg",
        "crop-2.jpg",
    }
    # and its page as decoded, in tiles: one tile of 512 pixels holds 400x300
    assert [name.split("/")[1] for name in kept if "/" in name] == ["p1-0-0.bin"]
    response = api.client.delete(f"/models/{model['id']}/samples/{sample['id']}")
    assert response.status_code == 204
    assert not [p for p in store.rglob("*") if p.is_file()]
    assert api.client.get(f"/models/{model['id']}/samples").json()["total"] == 0
    assert_problem(api.client.delete(f"/models/{model['id']}/samples/{sample['id']}"), 404)
    events = api.client.get("/audit", params={"action": "sample.*"}).json()["items"]
    assert [event["action"] for event in events] == ["sample.delete", "sample.create"]


def test_deleting_a_model_deletes_its_samples_files(api: RunningApi) -> None:
    model = form_model(api)
    for index in range(2):
        added(api.client, model["id"], form(name=index == 0), f"scan {index}.png")
    folder = api.settings.data_dir / "samples" / model["id"]
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 2 * 5
    assert api.client.delete(f"/models/{model['id']}").status_code == 204
    assert not [p for p in folder.rglob("*") if p.is_file()]


def test_a_model_keeps_at_most_twenty_samples(api: RunningApi) -> None:
    model = form_model(api)
    data = form()
    for index in range(20):
        added(api.client, model["id"], data, f"scan {index}.png")
    refused = add(api.client, model["id"], data, "one too many.png")
    assert_problem(refused, 409, "20 samples")
    assert api.client.get(f"/models/{model['id']}/samples").json()["total"] == 20
    files = [p for p in (api.settings.data_dir / "samples").rglob("*") if p.is_file()]
    assert len(files) == 20 * 5  # nothing of the refused one stays


def test_a_sample_from_a_past_extraction_is_its_kept_picture(api: RunningApi) -> None:
    model = form_model(api)
    record = extract(api.client, model["id"], form(name=True), filename="scan 7.png").json()
    response = api.client.post(
        f"/models/{model['id']}/samples", data={"extraction_id": record["id"]}
    )
    assert response.status_code == 201, response.text
    sample = response.json()
    assert sample["extraction_id"] == record["id"]
    assert sample["filename"] == "scan 7.png"
    assert sample["sha256"] == record["source"]["sha256"]
    assert response.headers["location"].endswith(f"/samples/{sample['id']}")
    unknown = api.client.post(
        f"/models/{model['id']}/samples",
        data={"extraction_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert_problem(unknown, 404, "extraction")


def test_a_picture_kept_no_longer_cannot_become_a_sample(make_api: Any) -> None:
    api = make_api(keep_sources_days=0)
    model = form_model(api)
    record = extract(api.client, model["id"], form(name=True)).json()
    response = api.client.post(
        f"/models/{model['id']}/samples", data={"extraction_id": record["id"]}
    )
    assert_problem(response, 410, "no longer kept")


@pytest.mark.parametrize(
    ("files", "data", "status", "words"),
    [
        ({"image": ("notes.txt", b"just some text", "text/plain")}, {}, 415, ()),
        ({"image": ("empty.png", b"", "image/png")}, {}, 422, ("empty",)),
        ({"image": ("cut.png", form()[:200], "image/png")}, {}, 422, ()),
        ({}, {}, 422, ("image", "extraction_id")),
        (
            {"image": ("scan.png", form(), "image/png")},
            {"extraction_id": "00000000-0000-4000-8000-000000000000"},
            422,
            ("one",),
        ),
        ({"image": ("wide.png", form(width=600), "image/png")}, {}, 422, ("does not match",)),
    ],
    ids=["not-a-picture", "empty", "truncated", "nothing", "both", "another-shape"],
)
def test_bad_samples_are_refused_with_a_problem_and_nothing_kept(
    api: RunningApi,
    files: dict[str, Any],
    data: dict[str, str],
    status: int,
    words: tuple[str, ...],
) -> None:
    model = form_model(api)
    response = api.client.post(f"/models/{model['id']}/samples", files=files, data=data)
    assert_problem(response, status, *words)
    assert api.client.get(f"/models/{model['id']}/samples").json()["total"] == 0
    assert not [p for p in (api.settings.data_dir / "samples").rglob("*") if p.is_file()]


def test_a_document_of_another_page_count_is_refused(api: RunningApi) -> None:
    model = form_model(api)
    pages = [picture(form()), picture(form(name=True))]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:])
    response = add(api.client, model["id"], buffer.getvalue(), "two pages.tif")
    assert_problem(response, 422, "2 pages")


def test_unknown_models_and_samples_are_404(api: RunningApi) -> None:
    model = form_model(api)
    nobody = "00000000-0000-4000-8000-000000000000"
    assert_problem(add(api.client, nobody, form()), 404)
    assert_problem(api.client.get(f"/models/{nobody}/samples"), 404)
    assert_problem(api.client.post(f"/models/{nobody}/samples/check", json={}), 404)
    for path in ("", "/thumbnail", "/preview?x=0&y=0&width=5&height=5"):
        assert_problem(api.client.get(f"/models/{model['id']}/samples/{nobody}{path}"), 404)
    # a sample is found only under its own model
    other = form_model(api, name="Other")
    sample = added(api.client, model["id"], form(), "scan.png")
    assert_problem(api.client.get(f"/models/{other['id']}/samples/{sample['id']}"), 404)
    zone = f"/models/{model['id']}/samples/{sample['id']}/thumbnail?zone={nobody}"
    assert_problem(api.client.get(zone), 404, "zone")


def test_samples_are_for_editors(api: RunningApi) -> None:
    model = form_model(api)
    sample = added(api.client, model["id"], form(), "scan.png")
    operator = api.as_role("operator")
    scoped = api.as_role("admin", models=[model["id"]])
    base = f"/models/{model['id']}/samples"
    for client in (operator, scoped):
        assert_problem(client.get(base), 403)
        assert_problem(client.post(f"{base}/check", json={}), 403)
        assert_problem(add(client, model["id"], form()), 403)
        assert_problem(client.delete(f"{base}/{sample['id']}"), 403)
    editor = api.as_role("editor")
    assert add(editor, model["id"], form(), "by editor.png").status_code == 201
    assert editor.post(f"{base}/check", json={}).status_code == 200
    assert editor.delete(f"{base}/{sample['id']}").status_code == 204


# ----- the check --------------------------------------------------------------------------

Samples = tuple[dict[str, Any], dict[str, dict[str, Any]]]


@pytest.fixture
def three_samples(api: RunningApi) -> Samples:
    """A model and three samples: a written name, a stamp, and neither."""
    model = form_model(api)
    samples = {
        name: added(api.client, model["id"], data, name)
        for name, data in [
            ("name.png", form(name=True)),
            ("stamp.png", form(stamp=True)),
            ("blank.png", form()),
        ]
    }
    return model, samples


def test_without_a_proposal_every_sample_is_unchanged(
    api: RunningApi, three_samples: Samples
) -> None:
    model, _ = three_samples
    result = check(api.client, model["id"], None)
    assert result["proposed"] is False
    assert result["model_version"] == model["version"]
    assert (result["unchanged"], result["changed"], result["refused"]) == (3, 0, 0)
    for sample in result["samples"]:
        assert zone_status(sample) == {"name": "unchanged", "frame": "unchanged"}
        assert all(zone["changed_share"] == 0.0 for zone in sample["zones"])


def test_a_moved_zone_is_moved_exactly_where_it_shows_other_pixels(
    api: RunningApi, three_samples: Samples
) -> None:
    # The name zone moves onto the stamp's place: the name copy loses its name, the stamp
    # copy gains the stamp; on the blank copy both places are paper, so nothing changes.
    model, _ = three_samples
    x, y, _, _ = STAMP_BOX
    result = check(api.client, model["id"], moved(model, "name", x, y))
    assert result["proposed"] is True
    samples = by_file(result)
    assert zone_status(samples["name.png"]) == {"name": "moved", "frame": "unchanged"}
    assert zone_status(samples["stamp.png"]) == {"name": "moved", "frame": "unchanged"}
    assert zone_status(samples["blank.png"]) == {"name": "unchanged", "frame": "unchanged"}
    assert samples["blank.png"]["status"] == "unchanged"
    assert samples["name.png"]["status"] == samples["stamp.png"]["status"] == "changed"
    assert (result["unchanged"], result["changed"], result["refused"]) == (1, 2, 0)

    name_zone = samples["name.png"]["zones"][0]
    assert name_zone["zone_id"] == model["zones"][0]["id"] and name_zone["index"] == 0
    assert 0.2 < name_zone["changed_share"] <= 1
    assert samples["blank.png"]["zones"][0]["changed_share"] < 0.005
    before, after = name_zone["before"], name_zone["after"]
    assert (before["x"], after["x"]) == (NAME["x"], x)
    assert (before["crop_width"], before["crop_height"]) == (120, 60)
    # the previews show the two crops: the written name, then paper
    dark = [
        np.asarray(picture(api.fetch(side["url"]).content).convert("L")).mean()
        for side in (before, after)
    ]
    assert dark[0] + 60 < dark[1]
    # a one-pixel nudge of the printed frame shows on every copy
    nudged = check(api.client, model["id"], moved(model, "frame", FRAME["x"] + 1, FRAME["y"]))
    assert all(s["status"] == "changed" for s in nudged["samples"])
    assert all(zone_status(s)["frame"] == "moved" for s in nudged["samples"])


def test_a_resized_zone_is_changed(api: RunningApi, three_samples: Samples) -> None:
    model, _ = three_samples
    result = check(
        api.client, model["id"], moved(model, "frame", FRAME["x"], FRAME["y"], width=150)
    )
    for sample in result["samples"]:
        assert zone_status(sample) == {"name": "unchanged", "frame": "changed"}
        frame = sample["zones"][1]
        assert (frame["before"]["crop_width"], frame["after"]["crop_width"]) == (140, 150)


def test_new_and_removed_zones_are_named_by_id(api: RunningApi, three_samples: Samples) -> None:
    model, _ = three_samples
    name_zone, frame_zone = model["zones"]
    kept = {k: frame_zone[k] for k in ("id", "name", "folder", "x", "y", "width", "height")}
    stamp = {"name": "stamp", "folder": "stamps", "x": 240, "y": 40, "width": 120, "height": 60}
    result = check(api.client, model["id"], [kept, stamp])
    for sample in result["samples"]:
        zones = {zone["name"]: zone for zone in sample["zones"]}
        assert zones["frame"]["status"] == "unchanged"
        assert zones["stamp"]["status"] == "new"
        assert zones["stamp"]["zone_id"] is None and zones["stamp"]["index"] == 1
        assert zones["stamp"]["before"] is None and zones["stamp"]["after"]["x"] == 240
        assert zones["name"]["status"] == "removed"
        assert zones["name"]["zone_id"] == name_zone["id"] and zones["name"]["index"] is None
        assert zones["name"]["after"] is None
        assert sample["status"] == "changed"
    # the new zone's preview is cut on demand
    stamp_zone = by_file(result)["stamp.png"]["zones"][1]
    shown = api.fetch(stamp_zone["after"]["url"])
    assert shown.status_code == 200 and picture(shown.content).size == (120, 60)


def test_a_sample_that_no_longer_aligns_is_refused_and_shown(api: RunningApi) -> None:
    model = form_model(api)
    added(api.client, model["id"], form(width=396), "narrow.png")
    added(api.client, model["id"], form(width=406), "wide.png")
    # a new reference 1.5 % narrower: the wide copy is now 3 % wider than it
    narrower = api.client.put(
        f"/models/{model['id']}/image",
        files={"image": ("reference.png", form(width=394), "image/png")},
    )
    assert narrower.status_code == 200, narrower.text
    result = check(api.client, model["id"], moved(narrower.json(), "name", 50, 40))
    samples = by_file(result)
    assert samples["wide.png"]["status"] == "refused"
    assert "aspect" in samples["wide.png"]["detail"]
    assert {z["status"] for z in samples["wide.png"]["zones"]} == {"refused"}
    assert samples["narrow.png"]["status"] != "refused"
    assert result["refused"] == 1
    preview = samples["narrow.png"]["zones"][0]["after"]["url"]
    assert api.fetch(preview).status_code == 200
    refused_preview = preview.replace(
        samples["narrow.png"]["sample_id"], samples["wide.png"]["sample_id"]
    )
    assert_problem(api.fetch(refused_preview), 422, "aspect")


@pytest.mark.parametrize(
    ("zones", "words"),
    [
        ([{**NAME, "x": 390}], ("past the picture",)),
        ([{**NAME, "id": "00000000-0000-4000-8000-000000000000"}], ("not a zone of this model",)),
        ([NAME, NAME], ("name",)),
        ([{**NAME, "folder": "../up"}], ("folder",)),
        ([{**NAME, "width": 0}], ()),
        ("not a list", ()),
    ],
    ids=["outside", "unknown-id", "same-name", "bad-folder", "empty-box", "not-a-list"],
)
def test_a_proposal_that_could_not_be_saved_is_422(
    api: RunningApi, zones: Any, words: tuple[str, ...]
) -> None:
    model = form_model(api)
    response = api.client.post(f"/models/{model['id']}/samples/check", json={"zones": zones})
    assert_problem(response, 422, *words)


def test_a_preview_box_outside_the_page_is_422(api: RunningApi) -> None:
    model = form_model(api)
    sample = added(api.client, model["id"], form(), "scan.png")
    url = f"/models/{model['id']}/samples/{sample['id']}/preview"
    assert_problem(api.client.get(url, params={"x": 350, "y": 0, "width": 100, "height": 10}), 422)
    assert_problem(
        api.client.get(url, params={"x": 0, "y": 0, "width": 10, "height": 10, "page": 2}), 422
    )
    ok = api.client.get(url, params={"x": 0, "y": 0, "width": 10, "height": 10})
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/jpeg"


# ----- features: the alignment is kept --------------------------------------------------


def test_a_feature_sample_is_aligned_once_and_checked_through_the_kept_alignment(
    api: RunningApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.services.samples import kept, placements

    reference = text_form(long_side=900, seed=5)
    zones = [
        {"name": f"z{i}", "folder": "f", "x": z.x, "y": z.y, "width": z.width, "height": z.height}
        for i, z in enumerate(reference.zones[:2])
    ]
    model = create_model(api.client, name="Features", image=encode(reference.image.convert("RGB")))
    api.client.patch(f"/models/{model['id']}", json={"alignment": "features"})
    model = api.client.put(f"/models/{model['id']}/zones", json={"zones": zones}).json()
    pixels = np.asarray(reference.image.convert("RGB"))
    h, w = pixels.shape[:2]
    tilt = np.array([[0.98, 0.06, 40.0], [-0.05, 1.0, 60.0], [0.00002, 0.0, 1.0]])
    photo = render_warp(pixels, tilt, (w + 120, h + 140), border_value=(120, 120, 120))
    calls: list[str] = []
    real = kept.locate_page

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append("align")
        return real(*args, **kwargs)

    monkeypatch.setattr(kept, "locate_page", counted)
    monkeypatch.setattr(placements, "locate_page", counted)
    added(api.client, model["id"], encode(Image.fromarray(photo), "JPEG", quality=92), "photo.jpg")
    assert calls == ["align"]
    z0 = model["zones"][0]
    proposal = moved(model, "z0", z0["x"] + 15, z0["y"])
    first = check(api.client, model["id"], proposal)
    second = check(api.client, model["id"], proposal)
    assert calls == ["align"]  # the checks used the alignment kept when it was added
    assert first == second
    assert zone_status(first["samples"][0]) == {"z0": "moved", "z1": "unchanged"}
    # a new method places it anew, once
    api.client.patch(f"/models/{model['id']}", json={"alignment": "scale"})
    result = check(api.client, model["id"], None)
    assert result["samples"][0]["status"] == "refused"  # the photo is not the page's shape
    api.client.patch(f"/models/{model['id']}", json={"alignment": "features"})
    check(api.client, model["id"], None)
    assert calls == ["align", "align"]


def test_a_sample_without_usable_tiles_is_decoded_whole_and_tiled_again(
    api: RunningApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.services.samples import placements

    model = form_model(api)
    sample = added(api.client, model["id"], form(name=True), "name.png")
    proposal = moved(model, "name", 240, 40)
    with_tiles = check(api.client, model["id"], proposal)
    folder = api.settings.data_dir / "samples" / model["id"] / sample["id"]
    (old,) = folder.glob("tiles-*")
    for tile in old.iterdir():
        tile.unlink()  # as after a change of decoders, they cannot be used
    without = check(api.client, model["id"], proposal)
    assert without == with_tiles  # the same crops, decoded whole
    (new,) = {tile.parent for tile in folder.glob("tiles-*/*")}  # tiled again
    assert new != old and [p.name for p in new.iterdir()] == ["p1-0-0.bin"]
    assert check(api.client, model["id"], proposal) == with_tiles
    # tiles of other decoders are not used either: replaced, and the old ones removed
    monkeypatch.setattr(placements, "decoder_identity", lambda: "other decoders")
    assert check(api.client, model["id"], proposal) == with_tiles
    (newer,) = {tile.parent for tile in folder.glob("tiles-*/*")}
    assert newer != new
