"""Compare crop encoders on the benchmark pictures: time, output size, GIL release.

Run with ``.venv/bin/python bench/encoders.py``. It decodes the two benchmark pictures
(``bench/pictures.py``), cuts their ten zones and writes them with each candidate, then
prints markdown tables (the figures in ``bench/ENCODERS.md`` come from here). Times are
the median of several runs for all ten crops of one picture.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import fpng
import numpy as np
from PIL import Image
from pictures import Scenario, photo_scenario, scan_scenario

from api.imaging.crop import crop
from api.imaging.decode import decode_picture
from api.imaging.encode import encode_image
from api.imaging.geometry import Box

Encoder = Callable[[Image.Image], bytes]


def pillow(fmt: str, **params: object) -> Encoder:
    def encode(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, fmt, **params)
        return buffer.getvalue()

    return encode


def fpng_any(image: Image.Image) -> bytes:
    """fpng, widening grey to RGB since fpng only writes 24- and 32-bit pixels."""
    if image.mode in ("L", "LA"):
        image = image.convert("RGB" if image.mode == "L" else "RGBA")
    data: bytes = fpng.from_ndarray(np.asarray(image))
    return data


PNG_CANDIDATES: dict[str, Encoder] = {
    "Pillow default (zlib 6, adaptive filters)": pillow("PNG"),
    "Pillow zlib 1": pillow("PNG", compress_level=1),
    "Pillow zlib 1, Z_RLE": pillow("PNG", compress_level=1, compress_type=zlib.Z_RLE),
    "Pillow zlib 1, Huffman only": pillow(
        "PNG", compress_level=1, compress_type=zlib.Z_HUFFMAN_ONLY
    ),
    "fpng": fpng_any,
    "chosen: encode_image(png)": lambda image: encode_image(image, "png"),
}

LOSSY_CANDIDATES: dict[str, Encoder] = {
    "Pillow JPEG q90 (4:2:0)": pillow("JPEG", quality=90),
    "Pillow JPEG q90 (4:4:4)": pillow("JPEG", quality=90, subsampling=0),
    "Pillow WebP q90 method 0": pillow("WEBP", quality=90, method=0),
    "Pillow WebP q90 method 2": pillow("WEBP", quality=90, method=2),
    "Pillow WebP q90 method 4 (default)": pillow("WEBP", quality=90, method=4),
}


def crops_of(scenario: Scenario, mode: str | None = None) -> tuple[float, list[Image.Image]]:
    """Decode time (ms, median) and the zones' crops, optionally converted to ``mode``."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        picture = decode_picture(scenario.data, max_pixels=100_000_000)
        times.append(time.perf_counter() - started)
    image = picture.image if mode is None else picture.image.convert(mode)
    boxes = [Box(z.x, z.y, z.width, z.height) for z in scenario.zones]
    return statistics.median(times) * 1000, [crop(image, box) for box in boxes]


def measure(encoder: Encoder, crops: list[Image.Image], runs: int) -> tuple[float, int]:
    """Median time (ms) to encode all crops, and their total size in bytes."""
    size = sum(len(encoder(image)) for image in crops)  # also the warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for image in crops:
            encoder(image)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, size


def gil_speedup(encoder: Encoder, image: Image.Image) -> float:
    """Wall-time speed-up of 2 threads over 1 on 6 encodes (2.0 = GIL fully released)."""
    encoder(image)
    started = time.perf_counter()
    for _ in range(6):
        encoder(image)
    alone = time.perf_counter() - started
    with ThreadPoolExecutor(2) as pool:
        started = time.perf_counter()
        list(pool.map(lambda _: encoder(image), range(6)))
        threaded = time.perf_counter() - started
    return alone / threaded


def table(title: str, rows: list[tuple[str, float, int]], decode_ms: float) -> None:
    baseline_ms, baseline_size = rows[0][1], rows[0][2]
    print(f"\n{title} (decode + EXIF: {decode_ms:.0f} ms)\n")
    print("| encoder | 10 crops, ms | x faster than default | MB | size vs default |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ms, size in rows:
        print(
            f"| {name} | {ms:.0f} | {baseline_ms / ms:.1f} | {size / 1e6:.2f} | "
            f"{size / baseline_size:.2f} |"
        )


def main() -> None:
    photo, scan = photo_scenario(), scan_scenario()
    cases = [
        ("12 MP photo, RGB", photo, None),
        ("A4 300 dpi scan, RGB", scan, None),
        ("A4 300 dpi scan, grey (L)", scan, "L"),
    ]
    for title, scenario, mode in cases:
        decode_ms, crops = crops_of(scenario, mode)
        megapixels = sum(image.width * image.height for image in crops) / 1e6
        rows = []
        for name, encoder in PNG_CANDIDATES.items():
            runs = 1 if name.startswith("Pillow default") else 5
            rows.append((name, *measure(encoder, crops, runs)))
        table(f"PNG, {title}, {megapixels:.1f} MP of crops", rows, decode_ms)
        sys.stdout.flush()

    decode_ms, crops = crops_of(photo)
    rows = [(name, *measure(encoder, crops, 3)) for name, encoder in LOSSY_CANDIDATES.items()]
    table("Lossy, 12 MP photo, RGB", rows, decode_ms)

    _, crops = crops_of(photo)
    biggest = max(crops, key=lambda image: image.width * image.height)
    print("\nGIL: speed-up of 2 threads over 1 (2.0 = released, 1.0 or less = held)\n")
    for name in ("fpng", "Pillow zlib 1, Z_RLE", "Pillow default (zlib 6, adaptive filters)"):
        print(f"- {name}: {gil_speedup(PNG_CANDIDATES[name], biggest):.2f}")
    print(f"- Pillow JPEG q90: {gil_speedup(LOSSY_CANDIDATES['Pillow JPEG q90 (4:2:0)'], biggest):.2f}")


if __name__ == "__main__":
    main()
