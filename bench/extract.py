"""Extraction benchmark: the in-process floor, the naive pipeline, and the real server.

Run with ``.venv/bin/python bench/extract.py`` (``make bench``). Everything it needs is
generated on the spot (``bench/pictures.py``): a 12-megapixel photo-like JPEG stored
with EXIF orientation 6, and an A4 300-dpi scan as PNG, ten zones each.

For each picture it measures, in one run:

(a) the floor: the fastest correct lossless pipeline, in this process, with the
    ``api.imaging`` functions the server uses: decode, EXIF, place zones, crop, PNG;
(b) the naive pipeline: the same with Pillow alone and its default PNG writer;
(c) ``POST /api/v1/extract`` on a real ``zonecut serve --workers 2`` (started afresh for
    each picture, with its own temporary data folder and SQLite database), with one
    client and with two concurrent clients;
(d) the bytes of the crops each pipeline writes;
(e) the server's peak memory while one client is served: RSS of its process tree
    (supervisor and workers) and of its busiest worker, sampled every 10 ms with
    psutil, against the size of the decoded picture.

Then one table, with the ratios against the floor measured in the same run and whether
each target is met. Times are medians; floor and server runs are interleaved so that a
burst of load on a shared machine hits both alike. No network access is needed.
"""

from __future__ import annotations

import io
import logging
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import PIL
import psutil
from pictures import Scenario, photo_scenario, scan_scenario
from PIL import Image, ImageOps

from api.imaging.crop import crop
from api.imaging.decode import decode_picture
from api.imaging.encode import encode_image
from api.imaging.geometry import Box, map_box_by_scale, scale_matrix

REPO = Path(__file__).resolve().parents[1]
MAX_PIXELS = 100_000_000
MB = 1_000_000

ROUNDS = 9  # interleaved floor / single-client runs, per picture
NAIVE_RUNS = 3
THROUGHPUT_BLOCKS = 5  # alternating one-client and two-client blocks, per picture
THROUGHPUT_REQUESTS = 4  # per client and block
STORE_ROUNDS = 9  # interleaved local-disk / S3-store extractions, per picture
# The admin key of the servers this benchmark starts (they live only as long as it runs).
BENCH_KEY = "zc_bench-" + os.urandom(24).hex()

TARGET_E2E_OVER_FLOOR = 1.15
TARGET_NAIVE_OVER_E2E = 10.0
TARGET_TWO_OVER_ONE = 1.7
MEMORY_FACTOR, MEMORY_EXTRA_MB = 3, 150


# --- the in-process pipelines -------------------------------------------------------------


def floor_pipeline(scenario: Scenario) -> int:
    """Decode, EXIF, place the zones, crop and encode PNG; the total bytes written."""
    picture = decode_picture(scenario.data, max_pixels=MAX_PIXELS)
    size = (picture.width, picture.height)
    matrix = scale_matrix(scenario.size, size)
    total = 0
    for zone in scenario.zones:
        box = map_box_by_scale(Box(zone.x, zone.y, zone.width, zone.height), matrix, size)
        total += len(encode_image(crop(picture.image, box), "png"))
    return total


def naive_pipeline(scenario: Scenario) -> int:
    """What one writes with Pillow alone: open, exif_transpose, crop, default PNG writer."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(scenario.data)))
    total = 0
    for zone in scenario.zones:
        buffer = io.BytesIO()
        image.crop((zone.x, zone.y, zone.x + zone.width, zone.y + zone.height)).save(buffer, "PNG")
        total += len(buffer.getvalue())
    return total


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# --- the server ---------------------------------------------------------------------------


class TreeMonitor:
    """Watches the server's process tree: peak RSS per named phase, CPU time per process.

    A thread samples RSS every ``interval`` seconds and keeps, for each phase, the peak of
    the whole tree (supervisor and workers) and of its largest process (the busy worker).
    """

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self._root = psutil.Process(pid)
        self._interval = interval
        self._phase = "start"
        self.tree_peaks: dict[str, int] = {}
        self.process_peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def phase(self, name: str) -> None:
        self._phase = name

    def cpu_seconds(self) -> dict[int, float]:
        """CPU time (user + system) used so far by each process of the tree, by pid."""
        seconds = {}
        for process in [self._root, *self._root.children(recursive=True)]:
            with suppress(psutil.Error):
                times = process.cpu_times()
                seconds[process.pid] = times.user + times.system
        return seconds

    def workers(self) -> list[int]:
        """The pids of the server's worker processes (the supervisor's children)."""
        return [child.pid for child in self._root.children(recursive=True)]

    def sample(self) -> tuple[int, int]:
        """RSS of the whole tree and of its largest process, in bytes."""
        sizes = []
        for process in [self._root, *self._root.children(recursive=True)]:
            with suppress(psutil.Error):
                sizes.append(process.memory_info().rss)
        return sum(sizes), max(sizes, default=0)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                tree, largest = self.sample()
            except psutil.Error:
                return
            phase = self._phase
            self.tree_peaks[phase] = max(self.tree_peaks.get(phase, 0), tree)
            self.process_peaks[phase] = max(self.process_peaks.get(phase, 0), largest)
            time.sleep(self._interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    monitor: TreeMonitor


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(
    data_dir: Path, workers: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """``zonecut serve`` on a free loopback port, with its own data folder."""
    port = free_port()
    log_path = data_dir / "server.log"
    env = os.environ | {
        "ZONECUT_DATA_DIR": str(data_dir),
        "ZONECUT_LOG_LEVEL": "warning",
        "ZONECUT_ADMIN_API_KEY": BENCH_KEY,
    }
    env |= extra_env or {}
    command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
    base_url = f"http://127.0.0.1:{port}/api/v1"
    monitor = TreeMonitor(process.pid)
    try:
        wait_until_healthy(base_url, process, log_path)
        yield Server(base_url, process, monitor)
    finally:
        monitor.stop()
        stop_server(process)


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server stopped at start:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"the server did not answer /health in time:\n{log.read_text(errors='replace')}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server we started (and only its own worker processes)."""
    try:
        workers = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        workers = []
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for worker in workers:
        try:
            worker.wait(timeout=5)
        except psutil.TimeoutExpired:
            worker.kill()
        except psutil.Error:
            pass


def create_model(client: httpx.Client, scenario: Scenario) -> str:
    """A model whose reference is the picture itself, with the scenario's zones."""
    answer = client.post(
        "/models",
        data={"name": f"bench {scenario.name}"},
        files={"image": (scenario.filename, scenario.data, "application/octet-stream")},
    )
    answer.raise_for_status()
    model_id: str = answer.json()["id"]
    zones = {"zones": [zone.as_json() for zone in scenario.zones]}
    client.put(f"/models/{model_id}/zones", json=zones).raise_for_status()
    return model_id


@dataclass
class Requester:
    """Posts the picture for extraction; each upload has a file name of its own."""

    client: httpx.Client
    scenario: Scenario
    model_id: str
    sent: int = 0
    crop_bytes: list[int] = field(default_factory=list)

    def extract(self) -> None:
        self.sent += 1
        stem, _, extension = self.scenario.filename.rpartition(".")
        filename = f"{stem}-{threading.get_ident() % 10_000}-{self.sent}.{extension}"
        answer = self.client.post(
            "/extract",
            data={"model": self.model_id},
            files={"image": (filename, self.scenario.data, "application/octet-stream")},
        )
        if answer.status_code != 201:
            sys.exit(f"POST /extract answered {answer.status_code}: {answer.text}")
        crops = answer.json()["crops"]
        assert len(crops) == len(self.scenario.zones)
        self.crop_bytes.append(sum(item["bytes"] for item in crops))


def client_for(server: Server) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, timeout=120, headers={"Authorization": f"Bearer {BENCH_KEY}"}
    )


def throughput(requesters: list[Requester], requests_each: int) -> float:
    """Pictures per second with each requester posting ``requests_each`` back to back."""

    def run(requester: Requester) -> None:
        for _ in range(requests_each):
            requester.extract()

    threads = [threading.Thread(target=run, args=(r,)) for r in requesters]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(requesters) * requests_each / (time.perf_counter() - started)


# --- measuring and reporting --------------------------------------------------------------


@dataclass
class Result:
    scenario: Scenario
    floor_ms: float = 0.0
    naive_ms: float = 0.0
    e2e_ms: float = 0.0
    one_client: float = 0.0
    two_clients: float = 0.0
    two_over_one: float = 0.0
    two_client_cpu: dict[int, float] = field(default_factory=dict)
    floor_bytes: int = 0
    naive_bytes: int = 0
    e2e_bytes: int = 0
    idle_tree_mb: float = 0.0
    idle_worker_mb: float = 0.0
    peak_tree_mb: float = 0.0
    peak_worker_mb: float = 0.0
    decoded_mb: float = 0.0
    others_busy: float = 0.0


class OtherLoad:
    """How busy the machine was with other work (not this benchmark, not its server)."""

    def __init__(self, monitor: TreeMonitor) -> None:
        self._monitor = monitor
        self._me = psutil.Process()
        self._start = self._snapshot()

    def _snapshot(self) -> tuple[float, float, float]:
        times = psutil.cpu_times()
        busy = times.user + times.nice + times.system + getattr(times, "irq", 0.0)
        busy += getattr(times, "softirq", 0.0) + getattr(times, "steal", 0.0)
        mine = self._me.cpu_times()
        ours = mine.user + mine.system + sum(self._monitor.cpu_seconds().values())
        return time.monotonic(), busy, ours

    def busy_share(self) -> float:
        """Share of all CPUs used by other processes since this object was made."""
        start, busy0, ours0 = self._start
        end, busy1, ours1 = self._snapshot()
        capacity = (end - start) * (os.cpu_count() or 1)
        return max(0.0, (busy1 - busy0) - (ours1 - ours0)) / capacity


def measure(server: Server, scenario: Scenario, model_id: str) -> Result:
    result = Result(scenario)
    others = OtherLoad(server.monitor)
    picture = decode_picture(scenario.data, max_pixels=MAX_PIXELS)
    result.decoded_mb = picture.width * picture.height * len(picture.image.getbands()) / MB
    del picture
    idle_tree, idle_worker = server.monitor.sample()
    result.idle_tree_mb, result.idle_worker_mb = idle_tree / MB, idle_worker / MB

    clients = [client_for(server), client_for(server)]
    first, second = (Requester(client, scenario, model_id) for client in clients)
    # Warm up: the floor once, each client once (connections, the model's reference cache).
    result.floor_bytes = floor_pipeline(scenario)
    first.extract()
    second.extract()

    # Memory is measured here, before any two-client run: a worker keeps some of the
    # memory it used (the allocator does not give every freed page back at once).
    server.monitor.phase(f"{scenario.name}: 1 client")
    floor_times, e2e_times = [], []
    for _ in range(ROUNDS):
        floor_times.append(timed(lambda: floor_pipeline(scenario)))
        e2e_times.append(timed(first.extract))
    ones, twos = [], []
    for _ in range(THROUGHPUT_BLOCKS):
        server.monitor.phase(f"{scenario.name}: throughput")
        ones.append(throughput([first], THROUGHPUT_REQUESTS))
        cpu_before = server.monitor.cpu_seconds()
        twos.append(throughput([first, second], THROUGHPUT_REQUESTS))
        for pid, seconds in server.monitor.cpu_seconds().items():
            used = seconds - cpu_before.get(pid, 0.0)
            result.two_client_cpu[pid] = result.two_client_cpu.get(pid, 0.0) + used
    server.monitor.phase("idle")
    for client in clients:
        client.close()

    result.e2e_bytes = first.crop_bytes[-1]
    result.floor_ms = statistics.median(floor_times) * 1000
    result.e2e_ms = statistics.median(e2e_times) * 1000
    result.one_client = statistics.median(ones)
    result.two_clients = statistics.median(twos)
    result.two_over_one = statistics.median(two / one for one, two in zip(ones, twos, strict=True))
    result.naive_bytes = naive_pipeline(scenario)
    naive_times = [timed(lambda: naive_pipeline(scenario)) for _ in range(NAIVE_RUNS)]
    result.naive_ms = statistics.median(naive_times) * 1000
    result.peak_tree_mb = server.monitor.tree_peaks[f"{scenario.name}: 1 client"] / MB
    result.peak_worker_mb = server.monitor.process_peaks[f"{scenario.name}: 1 client"] / MB
    result.others_busy = others.busy_share()
    return result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(results: list[Result]) -> None:
    names = [r.scenario.name for r in results]
    rows: list[list[str]] = []

    def row(label: str, cell: Callable[[Result], str]) -> None:
        rows.append([label, *(cell(r) for r in results)])

    def target(label: str, value: Callable[[Result], float], ok: Callable[[float], bool]) -> None:
        row(label, lambda r: f"{value(r):.2f} {verdict(ok(value(r)))}")

    def memory_limit(r: Result) -> float:
        return MEMORY_FACTOR * r.decoded_mb + MEMORY_EXTRA_MB

    row("other processes' load during the run", lambda r: f"{r.others_busy:.0%} of the CPUs")
    row(
        "picture",
        lambda r: f"{r.scenario.size[0]}x{r.scenario.size[1]}, {mb(len(r.scenario.data))}",
    )
    row(
        "zones (share of the area)",
        lambda r: f"{len(r.scenario.zones)} ({r.scenario.zone_share:.0%})",
    )
    row("(a) floor: decode, EXIF, crop, PNG in-process, ms", lambda r: f"{r.floor_ms:.0f}")
    row("(b) naive: Pillow alone, default PNG writer, ms", lambda r: f"{r.naive_ms:.0f}")
    row("(c) POST /extract, 1 client, ms", lambda r: f"{r.e2e_ms:.0f}")
    row("(c) throughput, 1 client, pictures/s", lambda r: f"{r.one_client:.2f}")
    row("(c) throughput, 2 clients, pictures/s", lambda r: f"{r.two_clients:.2f}")
    row(
        "(c) 2 clients: CPU seconds per server process",
        lambda r: " / ".join(
            f"{seconds:.1f}" for seconds in sorted(r.two_client_cpu.values(), reverse=True)
        ),
    )
    row(
        "(d) crop bytes: floor / naive / server",
        lambda r: f"{mb(r.floor_bytes)} / {mb(r.naive_bytes)} / {mb(r.e2e_bytes)}",
    )
    row("(e) decoded picture", lambda r: mb(r.decoded_mb * MB))
    row(
        "(e) server RSS, all processes: idle / peak",
        lambda r: f"{r.idle_tree_mb:.0f} / {r.peak_tree_mb:.0f} MB",
    )
    row(
        "(e) busiest worker RSS: idle / peak",
        lambda r: f"{r.idle_worker_mb:.0f} / {r.peak_worker_mb:.0f} MB",
    )
    target(
        f"end-to-end / floor (target <= {TARGET_E2E_OVER_FLOOR})",
        lambda r: r.e2e_ms / r.floor_ms,
        lambda v: v <= TARGET_E2E_OVER_FLOOR,
    )
    target(
        f"naive / end-to-end (target >= {TARGET_NAIVE_OVER_E2E:.0f})",
        lambda r: r.naive_ms / r.e2e_ms,
        lambda v: v >= TARGET_NAIVE_OVER_E2E,
    )
    target(
        f"2 clients / 1 client throughput (target >= {TARGET_TWO_OVER_ONE})",
        lambda r: r.two_over_one,
        lambda v: v >= TARGET_TWO_OVER_ONE,
    )
    row(
        f"worker peak RSS vs {MEMORY_FACTOR} x decoded + {MEMORY_EXTRA_MB} MB",
        lambda r: (
            f"{r.peak_worker_mb:.0f} vs {memory_limit(r):.0f} MB "
            f"{verdict(r.peak_worker_mb <= memory_limit(r))}"
        ),
    )

    table = [["measure", *names], *rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    print()
    for index, line in enumerate(table):
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        print("| " + " | ".join(cells) + " |")
        if index == 0:
            print("| " + " | ".join("-" * width for width in widths) + " |")


def mb(size: float) -> str:
    return f"{size / MB:.1f} MB"


def main() -> None:
    started = time.perf_counter()
    busy = psutil.cpu_percent(interval=1.0)
    print(
        f"Zonecut extraction benchmark: {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, Pillow {PIL.__version__}, server with 2 workers"
    )
    if busy > 15:
        print(f"note: the machine was {busy:.0f} % busy before the start; figures will be noisy")
    print("generating the pictures...", flush=True)
    scenarios = [photo_scenario(), scan_scenario()]
    results = []
    for scenario in scenarios:
        # A fresh server per picture, so each memory figure starts from the same baseline.
        print(f"measuring {scenario.name}...", flush=True)
        with (
            tempfile.TemporaryDirectory(prefix="zonecut-bench-") as scratch,
            running_server(Path(scratch)) as server,
        ):
            with client_for(server) as client:
                model_id = create_model(client, scenario)
            server.monitor.phase("idle")
            results.append(measure(server, scenario, model_id))
    report(results)
    store_costs = [store_cost(scenario) for scenario in scenarios]
    report_store_costs(scenarios, store_costs)
    print(f"\n({time.perf_counter() - started:.0f} s in all)")


def store_cost(scenario: Scenario) -> tuple[float, float]:
    """Median ms of one extraction on local disk and on an S3 store, interleaved.

    The store is moto's S3 API server on loopback: what the object store's protocol costs
    per picture (requests, hashing, signing), not a remote network.
    """
    from moto.server import ThreadedMotoServer

    credentials = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per S3 call otherwise
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3.start()
    host, port = s3.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    print(f"measuring {scenario.name} on an S3 store...", flush=True)
    try:
        import boto3

        boto3.client("s3", endpoint_url=endpoint, **_boto_args(credentials)).create_bucket(
            Bucket="zonecut-bench"
        )
        s3_env = credentials | {
            "ZONECUT_STORAGE_URL": "s3://zonecut-bench/bench",
            "ZONECUT_S3_ENDPOINT_URL": endpoint,
        }
        with (
            tempfile.TemporaryDirectory(prefix="zonecut-bench-") as local_dir,
            tempfile.TemporaryDirectory(prefix="zonecut-bench-") as s3_dir,
            running_server(Path(local_dir)) as local,
            running_server(Path(s3_dir), extra_env=s3_env) as stored,
            client_for(local) as local_client,
            client_for(stored) as s3_client,
        ):
            requesters = [
                Requester(local_client, scenario, create_model(local_client, scenario)),
                Requester(s3_client, scenario, create_model(s3_client, scenario)),
            ]
            for requester in requesters:
                requester.extract()  # warm up: caches, connections
            times: list[list[float]] = [[], []]
            for _ in range(STORE_ROUNDS):
                for index, requester in enumerate(requesters):
                    times[index].append(timed(requester.extract))
        return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000
    finally:
        s3.stop()


def _boto_args(credentials: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
        "region_name": credentials["AWS_DEFAULT_REGION"],
    }


def report_store_costs(scenarios: list[Scenario], costs: list[tuple[float, float]]) -> None:
    print("\nwhat the store costs: one instance, 2 workers, 1 client, S3 API on loopback")
    print(f"{'picture':<12} {'local disk, ms':>15} {'S3 store, ms':>13} {'S3 / local':>11}")
    for scenario, (local_ms, s3_ms) in zip(scenarios, costs, strict=True):
        print(f"{scenario.name:<12} {local_ms:>15.0f} {s3_ms:>13.0f} {s3_ms / local_ms:>11.2f}")


if __name__ == "__main__":
    main()
