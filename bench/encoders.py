"""Compare crop encoders on the benchmark pictures: time, output size, GIL release.

Run with ``.venv/bin/python bench/encoders.py``. It decodes the two benchmark pictures
(``bench/pictures.py``), cuts their ten zones and writes them with each candidate, then
prints markdown tables (the figures in ``bench/ENCODERS.md`` come from here). Times are
the median of several runs for all ten crops of one picture.
"""

from __future__ import annotations

import importlib.util
import io
import os
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import psutil
from pictures import Scenario, photo_scenario, scan_scenario
from PIL import Image

from api.imaging import encode as encode_module
from api.imaging.decode import decode_picture
from api.imaging.encode import encode_image
from api.imaging.geometry import Box

Encoder = Callable[[Image.Image], bytes]

HAVE_FPNG = importlib.util.find_spec("fpng") is not None  # compared when installed


def pillow(fmt: str, **params: object) -> Encoder:
    def encode(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, fmt, **params)
        return buffer.getvalue()

    return encode


def fpng_any(image: Image.Image) -> bytes:
    """fpng (PyPI ``fpng``), widening grey to RGB: it only writes 24- and 32-bit pixels."""
    import fpng  # measured here only; not a dependency of the product

    if image.mode in ("L", "LA"):
        image = image.convert("RGB" if image.mode == "L" else "RGBA")
    data: bytes = fpng.from_ndarray(np.asarray(image))
    return data


def up_filter_zlib(image: Image.Image) -> bytes:
    """Our writer with the standard library's zlib (level 1, Z_RLE) in place of ISA-L."""
    with patched(encode_module, "isal_zlib", _StdlibDeflate()):
        return encode_image(image, "png")


class _StdlibDeflate:
    @staticmethod
    def compress(data: memoryview, level: int) -> bytes:
        compressor = zlib.compressobj(level, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
        return compressor.compress(data) + compressor.flush()


def at_isal_level(level: int) -> Encoder:
    def encode(image: Image.Image) -> bytes:
        with patched(encode_module, "PNG_DEFLATE_LEVEL", level):
            return encode_image(image, "png")

    return encode


@contextmanager
def patched(module: object, name: str, value: object) -> Iterator[None]:
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


PNG_CANDIDATES: dict[str, Encoder] = {
    "Pillow default (zlib 6, adaptive filters)": pillow("PNG"),
    "Pillow zlib 1": pillow("PNG", compress_level=1),
    "Pillow zlib 1, Z_RLE": pillow("PNG", compress_level=1, compress_type=zlib.Z_RLE),
    **({"fpng (grey widened to RGB)": fpng_any} if HAVE_FPNG else {}),
    "Up filter + stdlib zlib 1, Z_RLE": up_filter_zlib,
    "Up filter + ISA-L level 3": at_isal_level(3),
    "chosen: Up filter + ISA-L level 1": lambda image: encode_image(image, "png"),
}

LOSSY_CANDIDATES: dict[str, Encoder] = {
    "Pillow JPEG q90 (4:2:0)": pillow("JPEG", quality=90),
    "chosen: encode_image(jpeg, 90), 4:4:4": lambda image: encode_image(image, "jpeg", 90),
    "Pillow WebP q90 method 4 (default)": pillow("WEBP", quality=90, method=4),
    "Pillow WebP q90 method 2": pillow("WEBP", quality=90, method=2),
    "chosen: encode_image(webp, 90), method 0": lambda image: encode_image(image, "webp", 90),
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
    return statistics.median(times) * 1000, [image.crop(box.as_ltrb()) for box in boxes]


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
    print("| encoder | 10 crops, ms | speed vs first row | MB | size vs first row |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ms, size in rows:
        print(
            f"| {name} | {ms:.0f} | {baseline_ms / ms:.1f}x | {size / 1e6:.2f} | "
            f"{size / baseline_size:.2f} |"
        )


def others_share(since: tuple[float, float, float]) -> float:
    """Share of all CPUs that other processes used since ``since`` (see ``load_snapshot``)."""
    start, busy0, mine0 = since
    end, busy1, mine1 = load_snapshot()
    capacity = (end - start) * (os.cpu_count() or 1)
    return max(0.0, (busy1 - busy0) - (mine1 - mine0)) / capacity


def load_snapshot() -> tuple[float, float, float]:
    times = psutil.cpu_times()
    busy = times.user + times.nice + times.system + getattr(times, "softirq", 0.0)
    mine = psutil.Process().cpu_times()
    return time.monotonic(), busy, mine.user + mine.system


def main() -> None:
    started = load_snapshot()
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

    for title, scenario in [("12 MP photo", photo), ("A4 300 dpi scan", scan)]:
        decode_ms, crops = crops_of(scenario)
        rows = [(name, *measure(enc, crops, 3)) for name, enc in LOSSY_CANDIDATES.items()]
        table(f"Lossy, {title}, RGB", rows, decode_ms)

    _, crops = crops_of(photo)
    biggest = max(crops, key=lambda image: image.width * image.height)
    grey = biggest.convert("L")
    print("\nGIL: speed-up of 2 threads over 1 (2.0 = released, 1.0 or less = held)\n")
    checks: list[tuple[str, Encoder, Image.Image]] = [
        *([("fpng, RGB", fpng_any, biggest)] if HAVE_FPNG else []),
        ("chosen PNG writer, RGB", PNG_CANDIDATES["chosen: Up filter + ISA-L level 1"], biggest),
        ("chosen PNG writer, grey", PNG_CANDIDATES["chosen: Up filter + ISA-L level 1"], grey),
        ("Pillow zlib 1, RGB", PNG_CANDIDATES["Pillow zlib 1"], biggest),
        ("Pillow JPEG q90, RGB", LOSSY_CANDIDATES["Pillow JPEG q90 (4:2:0)"], biggest),
    ]
    for name, encoder, image in checks:
        print(f"- {name}: {gil_speedup(encoder, image):.2f}")
    print(f"\n(other processes used {others_share(started):.0%} of the CPUs meanwhile)")


if __name__ == "__main__":
    main()
