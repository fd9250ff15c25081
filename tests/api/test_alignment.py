"""Feature alignment through the API: the model setting, the per-request field, refusals."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bench.align_fixtures import apply_homography, photo, render_warp, text_form
from tests.api.conftest import RunningApi
from tests.api.factories import assert_problem, create_model, encode, extract

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def form() -> tuple[bytes, list[dict[str, object]]]:
    reference = text_form(long_side=1000, seed=3)
    zones = [
        {
            "name": f"zone {i}",
            "folder": f"aligned/{i}",
            "x": z.x,
            "y": z.y,
            "width": z.width,
            "height": z.height,
        }
        for i, z in enumerate(reference.zones[:3])
    ]
    return encode(reference.image.convert("RGB")), zones


def tilted_photo(reference_png: bytes) -> tuple[bytes, np.ndarray]:
    """The form upside down, scaled, in perspective, on a grey table: and its true matrix."""
    reference = np.asarray(Image.open(io.BytesIO(reference_png)).convert("RGB"))
    h, w = reference.shape[:2]
    rotate = np.array([[-1.1, 0.08, w * 1.1 + 150], [-0.05, -1.05, h * 1.05 + 140], [0, 0, 1]])
    perspective = np.array([[1, 0, 0], [0, 1, 0], [0.00004, 0.00002, 1]])
    matrix = perspective @ rotate
    warped = render_warp(reference, matrix, (1400, 1150), border_value=(90, 90, 90))
    return encode(Image.fromarray(warped), "JPEG", quality=90), matrix


def model_for(api: RunningApi, form: tuple[bytes, list[dict[str, object]]], alignment: str) -> str:
    image, zones = form
    model = create_model(api.client, name=f"form {alignment}", image=image)
    api.client.patch(f"/models/{model['id']}", json={"alignment": alignment})
    assert api.client.put(f"/models/{model['id']}/zones", json={"zones": zones}).status_code == 200
    return str(model["id"])


def test_features_model_cuts_where_the_zone_truly_is(api: RunningApi, form) -> None:  # type: ignore[no-untyped-def]
    model_id = model_for(api, form, "features")
    picture, truth = tilted_photo(form[0])
    response = extract(api.client, model_id, picture, filename="photo.jpg")
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["transform"]["method"] == "features"
    found = np.array(record["transform"]["matrix"])
    corners = np.array([[0, 0], [707, 0], [707, 1000], [0, 1000]], float)
    error = np.linalg.norm(
        apply_homography(found, corners) - apply_homography(truth, corners), axis=1
    )
    assert error.max() < 3.0, error
    assert {"inliers", "inlier_ratio"} <= set(record["transform"])
    for crop, zone in zip(record["crops"], form[1], strict=True):
        x, y, w, h = (float(zone[k]) for k in ("x", "y", "width", "height"))  # type: ignore[arg-type]
        true_quad = apply_homography(
            truth, np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
        )
        assert np.abs(np.array(crop["quad"]) - true_quad).max() < 3.0, crop["quad"]
        assert 0.5 < crop["confidence"] <= 1
        # upright crops at the picture's resolution: about 1.1 times the zone
        assert abs(crop["width"] / zone["width"] - 1.1) < 0.15  # type: ignore[operator]
        assert (api.outputs / crop["path"]).exists()


def test_per_request_alignment_overrides_the_model(api: RunningApi, form) -> None:  # type: ignore[no-untyped-def]
    model_id = model_for(api, form, "scale")
    picture, _ = tilted_photo(form[0])
    refused = extract(api.client, model_id, picture)
    assert_problem(refused, 422, "aspect")
    accepted = extract(api.client, model_id, picture, alignment="features")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["transform"]["method"] == "features"


def test_an_unrelated_picture_is_refused_with_figures_and_files_nothing(
    api: RunningApi, form
) -> None:  # type: ignore[no-untyped-def]
    model_id = model_for(api, form, "features")
    other = photo(long_side=1000, seed=4).image.convert("RGB")
    problem = assert_problem(extract(api.client, model_id, encode(other, "JPEG")), 422, "align")
    assert problem["figures"]
    rng = np.random.default_rng(5)
    noise = Image.fromarray(rng.integers(0, 255, (800, 1100, 3), dtype=np.uint8))
    assert_problem(extract(api.client, model_id, encode(noise, "JPEG")), 422, "align")
    assert api.output_files() == []
    assert api.client.get("/extractions").json()["total"] == 0


def test_another_form_of_the_same_kind_is_refused(api: RunningApi, form) -> None:  # type: ignore[no-untyped-def]
    model_id = model_for(api, form, "features")
    other = text_form(long_side=1000, seed=11).image.convert("RGB")
    assert_problem(extract(api.client, model_id, encode(other, "JPEG")), 422, "align")
