"""Prometheus metrics: requests and latency per route, extractions, refusals, stage times.

Under `zonecut serve` with several workers each process writes its figures to files in
``PROMETHEUS_MULTIPROC_DIR`` (set by the serving process before the workers start) and
``/metrics`` adds them up, so the answer is the same whichever worker gives it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "zonecut_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "zonecut_http_request_duration_seconds", "Time to answer a request.", ["method", "route"]
)
EXTRACTIONS = Counter(
    "zonecut_extractions_total",
    "Extractions by outcome (filed, unstored, replayed, refused, failed) and alignment method.",
    ["outcome", "method"],
)
REFUSALS = Counter("zonecut_refusals_total", "Extractions refused, by problem type.", ["reason"])
BYTES_FILED = Counter("zonecut_bytes_filed_total", "Bytes of crops filed.")
STAGES = Histogram(
    "zonecut_extraction_stage_seconds",
    "Time spent in each stage of an extraction.",
    ["stage"],
    buckets=STAGE_BUCKETS,
)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time one stage of an extraction: decode, align, encode or store."""
    started = time.perf_counter()
    try:
        yield
    finally:
        STAGES.labels(name).observe(time.perf_counter() - started)


def exposition() -> tuple[bytes, str]:
    """The text format answer of ``/metrics`` and its media type."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
