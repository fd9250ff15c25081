"""Benchmark of the samples check: what a pause in an edit costs with ten 12 MP samples.

    python -m bench.samples              # scale alignment, the target of the issue
    python -m bench.samples --features   # also feature alignment: its first check aligns

A model is made of a 12-megapixel photo-like JPEG (bench/pictures.py, stored turned a
quarter with EXIF orientation 6, as phones do) with its ten zones, and ten other such
photos are added as its samples, all through the real application in this process
(``POST /models/{id}/samples``, ``POST /models/{id}/samples/check``; SQLite and the
local store in a temporary folder). Then, each measured several times, median shown:

- the check without a proposal (every zone unchanged: nothing is decoded);
- the check of one zone moved by a few pixels, another offset each time (every sample
  decoded once, the zone cut on both sides and compared): the figure the editor waits
  for on every pause, target at most 1 s;
- the same check once the samples' kept placements are dropped (each sample placed
  anew first, as after a change of reference or alignment);
- the floor: decoding the ten samples, in this process, with the server's decoder; the
  ratio of the check to it tells what the check adds to decoding.

With ``--features`` the same on a model aligned by features, whose samples are the form
of bench/align_fixtures.py photographed (12 MP): the first check after the kept
alignments are dropped aligns every sample again; later ones do not.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, update

from api.imaging.decode import decode_picture
from api.main import create_app
from api.settings import Settings
from api.tables import Sample
from bench.pictures import PHOTO_SIZE, photo_like, photo_scenario

KEY = "zc_bench-samples-0123456789abcdefghijklmnopqrstuv"
SAMPLES = 10
ROUNDS = 5
TARGET_SECONDS = 1.0


def phone_jpeg(image: Image.Image) -> bytes:
    """A picture stored turned a quarter with EXIF orientation 6, as a phone keeps it."""
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.transpose(Image.Transpose.ROTATE_90).save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def median_seconds(run: Callable[[int], object], rounds: int = ROUNDS) -> float:
    times = []
    for index in range(rounds):
        started = time.perf_counter()
        run(index)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class Bench:
    """The application in this process, over a temporary data folder."""

    def __init__(self, folder: Path) -> None:
        settings = Settings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'zonecut.db'}",
            frontend_dir=folder / "no-frontend",
            admin_api_key=KEY,
        )
        self.database_url = settings.effective_database_url
        self.client = TestClient(create_app(settings), base_url="http://localhost/api/v1")
        self.client.headers["Authorization"] = f"Bearer {KEY}"
        self.client.__enter__()

    def close(self) -> None:
        self.client.__exit__(None, None, None)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def model(
        self, name: str, reference: bytes, zones: list[dict[str, Any]], **settings: str
    ) -> Any:
        model = self.call(
            "POST", "/models", data={"name": name}, files={"image": ("ref.jpg", reference)}
        )
        if settings:
            self.call("PATCH", f"/models/{model['id']}", json=settings)
        return self.call("PUT", f"/models/{model['id']}/zones", json={"zones": zones})

    def add(self, model_id: str, data: bytes, name: str) -> None:
        self.call("POST", f"/models/{model_id}/samples", files={"image": (name, data)})

    def check(self, model_id: str, zones: list[dict[str, Any]] | None) -> Any:
        body = None if zones is None else {"zones": zones}
        return self.call("POST", f"/models/{model_id}/samples/check", json=body)

    def drop_placements(self) -> None:
        engine = create_engine(self.database_url)
        with engine.begin() as connection:
            connection.execute(update(Sample).values(placement_key=None, placement=None))
        engine.dispose()


def proposal(model: dict[str, Any], dx: int) -> list[dict[str, Any]]:
    """The model's zones with the first one moved ``dx`` pixels to the right."""
    zones = [dict(zone) for zone in model["zones"]]
    zones[0]["x"] += dx
    return zones


def measure(bench: Bench, title: str, model: dict[str, Any], samples: list[bytes]) -> float:
    """Print the figures of one model; answer the median check of a moved zone."""
    for index, data in enumerate(samples):
        bench.add(model["id"], data, f"sample {index + 1}.jpg")

    idle = median_seconds(lambda _: bench.check(model["id"], None))
    moved = median_seconds(lambda index: bench.check(model["id"], proposal(model, 4 + index)))
    result = bench.check(model["id"], proposal(model, 40))
    statuses = sorted({zone["status"] for s in result["samples"] for zone in s["zones"]})

    def placed_anew(index: int) -> None:
        bench.drop_placements()
        bench.check(model["id"], proposal(model, 30 + index))

    anew = median_seconds(placed_anew, rounds=3)
    floor = median_seconds(
        lambda _: [decode_picture(data, max_pixels=100_000_000) for data in samples], rounds=3
    )
    print(f"\n{title}: {len(samples)} samples of {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} px")
    print(f"  statuses seen with a zone moved 40 px: {', '.join(statuses)}")
    for label, seconds in [
        ("check, no change", idle),
        ("check, one zone moved (each pause)", moved),
        ("check, placements computed anew", anew),
    ]:
        print(f"  {label:<44}{seconds:8.3f} s   x{seconds / floor:.2f} of decoding")
    print(f"  {'floor: decoding the samples':<44}{floor:8.3f} s")
    return moved


def scale_model(bench: Bench) -> float:
    reference = photo_scenario(12)
    zones = [zone.as_json() for zone in reference.zones]
    model = bench.model("photos", reference.data, zones)
    samples = [phone_jpeg(photo_like(PHOTO_SIZE, seed)) for seed in range(SAMPLES)]
    return measure(bench, "scale", model, samples)


def features_model(bench: Bench) -> float:
    from bench.align_fixtures import render_warp, text_form

    form = text_form(long_side=2000, seed=4)
    zones = [
        {"name": f"z{i}", "folder": "f", "x": z.x, "y": z.y, "width": z.width, "height": z.height}
        for i, z in enumerate(form.zones[:10])
    ]
    buffer = io.BytesIO()
    form.image.convert("RGB").save(buffer, "PNG")
    model = bench.model("forms", buffer.getvalue(), zones, alignment="features")
    pixels = np.asarray(form.image.convert("RGB"))
    height = pixels.shape[0]
    samples = []
    rng = np.random.default_rng(7)
    for _ in range(SAMPLES):
        scale = PHOTO_SIZE[1] / height * 0.85
        angle = float(rng.uniform(-0.05, 0.05))
        cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
        matrix = np.array([[cos, -sin, 500.0], [sin, cos, 200.0], [0.00001, 0.0, 1.0]])
        warped = render_warp(pixels, matrix, PHOTO_SIZE, border_value=(110, 105, 100))
        samples.append(phone_jpeg(Image.fromarray(warped)))
    return measure(bench, "features", model, samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", action="store_true", help="also a model aligned by features")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(Path(folder))
        try:
            moved = scale_model(bench)
            if arguments.features:
                features_model(bench)
        finally:
            bench.close()
    verdict = "met" if moved <= TARGET_SECONDS else "NOT met"
    print(
        f"\ntarget: a check of 10 samples of 12 MP with scale at most {TARGET_SECONDS:.0f} s: "
        f"{moved:.3f} s, {verdict}"
    )


if __name__ == "__main__":
    main()
