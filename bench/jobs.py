"""Jobs benchmark: pages per second of 300-page jobs, with one and two `zonecut worker`s.

Run with ``.venv/bin/python bench/jobs.py`` (add ``--pages N`` for other jobs). Each case
starts a fresh ``zonecut serve`` that runs no jobs (``ZONECUT_JOB_RUNNER=false``) and the
workers beside it, on a temporary data folder and SQLite database, makes a model of an A4
form at 150 dpi with two zones, posts its PDFs with ``Prefer: respond-async`` and
``pages=each`` and times them from the first 202 until every job is done. Cases, in one
run:

(a) one 300-page job, one worker — the baseline;
(b) one 300-page job, two workers: a job is held by one worker at a time, so the second
    only waits (the figure says what a second worker does *not* do);
(c) two 300-page jobs, one worker;
(d) two 300-page jobs, two workers: each worker cuts one.

The cases run in interleaved rounds (``--rounds``, 3 by default: a b c d, a b c d…) so
that a burst of load on a shared machine hits them alike; it prints each case's median
pages per second and its ratio against (a) in the same run.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
ADMIN_KEY = "zc_bench-admin-key-0123456789abcdefghijklmnop"
ZONES = [
    {"name": "signature", "folder": "signatures", "x": 120, "y": 840, "width": 600, "height": 180},
    {"name": "total", "folder": "totals", "x": 780, "y": 1500, "width": 400, "height": 90},
]


def form() -> Image.Image:
    """An A4 form at 150 dpi: 1240 x 1754 pixels, a signature box and a total box."""
    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    draw.text((120, 80), "INVOICE", fill="black", font_size=72)
    draw.rectangle((120, 840, 719, 1019), outline="black", width=4)
    draw.rectangle((780, 1500, 1179, 1589), outline="black", width=4)
    return page


def document(pages: int) -> bytes:
    page = form()
    buffer = io.BytesIO()
    page.save(buffer, "PDF", save_all=True, append_images=[page] * (pages - 1), resolution=150)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Case:
    name: str
    jobs: int
    workers: int
    rates: list[float] = field(default_factory=list)

    @property
    def pages_per_second(self) -> float:
        """The median of the rounds."""
        return statistics.median(self.rates)


def run_case(case: Case, pages: int, pdf: bytes) -> float:
    """One round of the case: its pages per second."""
    with tempfile.TemporaryDirectory(prefix="zonecut-bench-jobs-") as scratch:
        folder = Path(scratch)
        env = {
            **os.environ,
            "ZONECUT_DATA_DIR": str(folder / "data"),
            "ZONECUT_DATABASE_URL": f"sqlite:///{folder / 'data' / 'zonecut.db'}",
            "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
            "ZONECUT_FRONTEND_DIR": str(folder / "none"),
            "ZONECUT_LOG_LEVEL": "warning",
            "ZONECUT_JOB_POLL_SECONDS": "0.2",
            "ZONECUT_DRAIN_GRACE_SECONDS": "0",
        }
        port = free_port()
        log = (folder / "log.txt").open("ab")
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "1"],
                cwd=REPO,
                env=env | {"ZONECUT_JOB_RUNNER": "false"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        ]
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=120
            )
            _wait_until_serving(client)
            for _ in range(case.workers):
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "api.cli", "worker"],
                        cwd=REPO,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            model = _model(client)
            time.sleep(2)  # the workers are up and polling
            started = time.perf_counter()
            locations = []
            for number in range(case.jobs):
                answer = client.post(
                    "/extract",
                    data={"model": model, "pages": "each"},
                    files={"image": (f"day-{number}.pdf", pdf, "application/pdf")},
                    headers={"Prefer": "respond-async"},
                )
                assert answer.status_code == 202, answer.text
                locations.append(answer.headers["Location"].removeprefix("/api/v1"))
            while True:
                states = [client.get(location).json() for location in locations]
                if all(state["status"] in ("done", "failed", "cancelled") for state in states):
                    break
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            assert all(state["status"] == "done" for state in states), states
            filed = sum(state["filed"] for state in states)
            assert filed == pages * case.jobs, states
            client.close()
            return filed / seconds
        finally:
            for process in reversed(processes):
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            log.close()


def _wait_until_serving(client: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.1)


def _model(client: httpx.Client) -> str:
    buffer = io.BytesIO()
    form().save(buffer, "PNG")
    made = client.post(
        "/models", data={"name": "Invoice A4"}, files={"image": ("form.png", buffer.getvalue())}
    )
    assert made.status_code == 201, made.text
    model_id: str = made.json()["id"]
    zoned = client.put(
        f"/models/{model_id}/zones", json={"zones": ZONES}, headers={"If-Match": '"1"'}
    )
    assert zoned.status_code == 200, zoned.text
    return model_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pdf = document(args.pages)
    cases = [
        Case("(a) 1 job, 1 worker", 1, 1),
        Case("(b) 1 job, 2 workers", 1, 2),
        Case("(c) 2 jobs, 1 worker", 2, 1),
        Case("(d) 2 jobs, 2 workers", 2, 2),
    ]
    print(f"{args.pages}-page PDF jobs ({len(pdf) / 1e6:.1f} MB), A4 at 150 dpi, 2 zones a page")
    print(f"machine: {os.cpu_count()} CPUs; database: SQLite")
    for round_number in range(1, args.rounds + 1):
        for case in cases:
            case.rates.append(run_case(case, args.pages, pdf))
            print(f"round {round_number}: {case.name:24} {case.rates[-1]:5.1f} pages/s", flush=True)
    for case in cases:
        print(f"{case.name:24} median {case.pages_per_second:5.1f} pages/s")
    baseline = cases[0].pages_per_second
    print(
        "ratios against (a): "
        + ", ".join(
            f"{case.name.split()[0]} {case.pages_per_second / baseline:.2f}" for case in cases
        )
    )


if __name__ == "__main__":
    main()
