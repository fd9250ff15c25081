"""Extraction benchmark: the in-process floor, the naive pipeline, and the real server.

Run with ``.venv/bin/python bench/extract.py`` (``make bench``); ``--load-seconds`` sets
how long the load line runs (default 120), ``--postgres URL`` (a PostgreSQL server the
bench may create a database on) adds the PostgreSQL lines. Everything it needs is
generated on the spot (``bench/pictures.py``): a 12-megapixel photo-like JPEG stored
with EXIF orientation 6, and an A4 300-dpi scan as PNG, ten zones each.

For each picture it measures, in one run:

(a) the floor: a plain in-process pipeline, pinned so that it does not move when the
    server's decoder does: Pillow's decode, ``ImageOps.exif_transpose``, the crops, and
    the server's PNG writer (ISA-L, ``api.imaging.encode``), on one thread;
(b) the naive pipeline: the same with Pillow alone and its default PNG writer;
(c) ``POST /api/v1/extract`` on a real ``zonecut serve --workers 2`` (started afresh for
    each picture, with its own temporary data folder and SQLite database), as a client
    does it (an API key of its own, an Idempotency-Key on every request), with one
    client and with two concurrent clients;
(d) the bytes of the crops each pipeline writes;
(e) the server's peak memory while one client is served: RSS of its process tree
    (supervisor and workers) and of its busiest worker, sampled every 10 ms with
    psutil, against the size of the decoded picture.

Then one table, with the ratios against the floor measured in the same run and whether
each target is met; then what the store (S3 against local disk) and the database
(PostgreSQL against SQLite) cost per picture; then the load line: four clients posting
for a while, one picture in seven refused as not matching, with the latency percentiles
of the cuts and of the refusals. Every target not met is printed again at the end as a
MISS line. Times are medians; runs compared are interleaved so that a burst of load on
a shared machine hits both alike. No network access is needed.
"""

from __future__ import annotations

import argparse
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
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import PIL
import psutil
from pictures import Scenario, photo_scenario, scan_scenario
from PIL import Image, ImageOps

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

TARGET_E2E_OVER_FLOOR = 1.00
TARGET_NAIVE_OVER_E2E = 10.0
TARGET_TWO_OVER_FLOOR = 1.8  # two clients' pictures/s over the floor's on one thread
TARGET_S3_OVER_LOCAL = 1.10
TARGET_POSTGRES_OVER_SQLITE = 1.05
TARGET_P99_OVER_P50 = 3.0
MEMORY_FACTOR, MEMORY_EXTRA_MB = 3, 150
LOAD_CLIENTS = 4
REFUSED_EVERY = 7  # one picture in seven is refused as not matching in the load line

# The targets not met, each printed as a MISS line at the end.
MISSES: list[str] = []


# --- the in-process pipelines -------------------------------------------------------------


def floor_pipeline(scenario: Scenario) -> int:
    """Pillow's decode, EXIF, the zones placed by scale, crop, the server's PNG writer;
    the total bytes written."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(scenario.data)))
    size = image.size
    matrix = scale_matrix(scenario.size, size)
    total = 0
    for zone in scenario.zones:
        box = map_box_by_scale(Box(zone.x, zone.y, zone.width, zone.height), matrix, size)
        total += len(encode_image(image.crop(box.as_ltrb()), "png"))
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
    api_key: str = ""  # an operator key of its own: its credentials looked up per request


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
        "ZONECUT_DRAIN_GRACE_SECONDS": "0",  # stopped by the bench: no balancer to warn
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
        server = Server(base_url, process, monitor)
        with admin_for(server) as admin:
            answer = admin.post(
                "/api-keys", json={"name": f"bench {uuid.uuid4().hex[:8]}", "role": "operator"}
            )
            answer.raise_for_status()
            server.api_key = answer.json()["secret"]
        yield server
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
        data={"name": f"bench {scenario.name} {uuid.uuid4().hex[:8]}"},
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
        answer = self.post(self.scenario.data)
        if answer.status_code != 201:
            sys.exit(f"POST /extract answered {answer.status_code}: {answer.text}")
        crops = answer.json()["crops"]
        assert len(crops) == len(self.scenario.zones)
        self.crop_bytes.append(sum(item["bytes"] for item in crops))

    def post(self, data: bytes) -> httpx.Response:
        """One ``POST /extract`` as a client sends it: a file name of its own, an
        Idempotency-Key of its own."""
        self.sent += 1
        stem, _, extension = self.scenario.filename.rpartition(".")
        filename = f"{stem}-{threading.get_ident() % 10_000}-{self.sent}.{extension}"
        return self.client.post(
            "/extract",
            data={"model": self.model_id},
            files={"image": (filename, data, "application/octet-stream")},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )


def client_for(server: Server) -> httpx.Client:
    """A client with the server's operator key, as another system would call it."""
    return httpx.Client(
        base_url=server.base_url,
        timeout=120,
        headers={"Authorization": f"Bearer {server.api_key}"},
    )


def admin_for(server: Server) -> httpx.Client:
    """A client with the bootstrap admin key (to make models and keys)."""
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


def verdict(ok: bool, what: str = "") -> str:
    """PASS or MISS; a MISS is kept (as ``what``) for the lines at the end."""
    if not ok and what:
        MISSES.append(what)
    return "PASS" if ok else "MISS"


def report(results: list[Result]) -> None:
    names = [r.scenario.name for r in results]
    rows: list[list[str]] = []

    def row(label: str, cell: Callable[[Result], str]) -> None:
        rows.append([label, *(cell(r) for r in results)])

    def target(label: str, value: Callable[[Result], float], ok: Callable[[float], bool]) -> None:
        def cell(r: Result) -> str:
            figure = value(r)
            return (
                f"{figure:.2f} {verdict(ok(figure), f'{r.scenario.name}: {label} = {figure:.2f}')}"
            )

        row(label, cell)

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
    row("(a) floor: Pillow decode, EXIF, crop, ISA-L PNG, ms", lambda r: f"{r.floor_ms:.0f}")
    row("(a) floor on one thread, pictures/s", lambda r: f"{1000 / r.floor_ms:.2f}")
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
    row("2 clients / 1 client throughput", lambda r: f"{r.two_over_one:.2f}")
    target(
        f"2 clients / floor's one-thread throughput (target >= {TARGET_TWO_OVER_FLOOR})",
        lambda r: r.two_clients * r.floor_ms / 1000,
        lambda v: v >= TARGET_TWO_OVER_FLOOR,
    )
    row(
        f"worker peak RSS vs {MEMORY_FACTOR} x decoded + {MEMORY_EXTRA_MB} MB",
        lambda r: (
            f"{r.peak_worker_mb:.0f} vs {memory_limit(r):.0f} MB "
            + verdict(
                r.peak_worker_mb <= memory_limit(r),
                f"{r.scenario.name}: worker peak RSS {r.peak_worker_mb:.0f} MB over the "
                f"budget of {memory_limit(r):.0f} MB",
            )
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--load-seconds", type=float, default=120.0, help="how long the load line runs"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server the bench may make a database on, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    )
    args = parser.parse_args()
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
            with admin_for(server) as admin:
                model_id = create_model(admin, scenario)
            server.monitor.phase("idle")
            results.append(measure(server, scenario, model_id))
    report(results)
    report_pairs(
        "what the store costs: S3 API on loopback against local disk, 1 client",
        ("local disk", "S3 store"),
        TARGET_S3_OVER_LOCAL,
        [(scenario, store_cost(scenario)) for scenario in scenarios],
    )
    loads = [("SQLite", None)]
    with postgres_database(args.postgres) as postgres_url:
        if postgres_url is not None:
            report_pairs(
                "what the database costs: PostgreSQL on loopback against SQLite, 1 client",
                ("SQLite", "PostgreSQL"),
                TARGET_POSTGRES_OVER_SQLITE,
                [(scenario, database_cost(scenario, postgres_url)) for scenario in scenarios],
            )
            loads.append(("PostgreSQL", postgres_url))
        else:
            MISSES.append("PostgreSQL: not measured (give --postgres URL)")
        print(
            f"\nunder load: {LOAD_CLIENTS} clients for {args.load_seconds:.0f} s, "
            f"{scenarios[0].name}, one picture in {REFUSED_EVERY} refused as not matching"
        )
        for name, url in loads:
            report_load(name, load_line(scenarios[0], url, args.load_seconds))
    print()
    for miss in MISSES:
        print(f"MISS {miss}")
    if not MISSES:
        print("every target met")
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
        return interleaved(scenario, {}, s3_env)
    finally:
        s3.stop()


def database_cost(scenario: Scenario, postgres_url: str) -> tuple[float, float]:
    """Median ms of one extraction on SQLite and on PostgreSQL, interleaved."""
    print(f"measuring {scenario.name} on PostgreSQL...", flush=True)
    return interleaved(scenario, {}, {"ZONECUT_DATABASE_URL": postgres_url})


def interleaved(
    scenario: Scenario, first_env: dict[str, str], second_env: dict[str, str]
) -> tuple[float, float]:
    """Median ms of one extraction on two servers set up alike but for their settings,
    one request on each in turn."""
    with (
        tempfile.TemporaryDirectory(prefix="zonecut-bench-") as first_dir,
        tempfile.TemporaryDirectory(prefix="zonecut-bench-") as second_dir,
        running_server(Path(first_dir), extra_env=first_env) as first,
        running_server(Path(second_dir), extra_env=second_env) as second,
    ):
        requesters = []
        for server in (first, second):
            with admin_for(server) as admin:
                model_id = create_model(admin, scenario)
            requesters.append(Requester(client_for(server), scenario, model_id))
        for requester in requesters:
            requester.extract()  # warm up: caches, connections
        times: list[list[float]] = [[], []]
        for _ in range(STORE_ROUNDS):
            for index, requester in enumerate(requesters):
                times[index].append(timed(requester.extract))
        for requester in requesters:
            requester.client.close()
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


def _boto_args(credentials: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
        "region_name": credentials["AWS_DEFAULT_REGION"],
    }


def report_pairs(
    title: str,
    names: tuple[str, str],
    target: float,
    costs: list[tuple[Scenario, tuple[float, float]]],
) -> None:
    """Two set-ups side by side, per picture, and their ratio against ``target``."""
    print(f"\n{title}")
    ratio = f"{names[1]} / {names[0]}"
    print(f"| picture | {names[0]}, ms | {names[1]}, ms | {ratio} (target <= {target}) |")
    print("| --- | ---: | ---: | --- |")
    for scenario, (base_ms, other_ms) in costs:
        value = other_ms / base_ms
        ok = verdict(value <= target, f"{scenario.name}: {ratio} = {value:.2f} > {target}")
        print(f"| {scenario.name} | {base_ms:.0f} | {other_ms:.0f} | {value:.2f} {ok} |")


@contextmanager
def postgres_database(admin_url: str | None) -> Iterator[str | None]:
    """A database of its own on the PostgreSQL server at ``admin_url``, dropped after."""
    if admin_url is None:
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"zonecut_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@dataclass
class Load:
    """What the clients of the load line saw: seconds per answer, by kind."""

    cuts: list[float] = field(default_factory=list)
    refusals: list[float] = field(default_factory=list)
    refusal_alone: float = 0.0
    cut_alone: float = 0.0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def refused_picture(scenario: Scenario) -> bytes:
    """A picture the scenario's model refuses as not matching: another aspect ratio."""
    image = Image.open(io.BytesIO(scenario.data)).convert("RGB")
    image = image.resize((1600, 800))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def load_line(scenario: Scenario, database_url: str | None, seconds: float) -> Load:
    """``LOAD_CLIENTS`` clients posting back to back for ``seconds`` (every
    ``REFUSED_EVERY``-th picture one that is refused) on a fresh server."""
    print(f"loading {'PostgreSQL' if database_url else 'SQLite'}...", flush=True)
    env = {"ZONECUT_DATABASE_URL": database_url} if database_url else {}
    refused = refused_picture(scenario)
    load = Load()
    lock = threading.Lock()
    with (
        tempfile.TemporaryDirectory(prefix="zonecut-bench-") as scratch,
        running_server(Path(scratch), extra_env=env) as server,
    ):
        with admin_for(server) as admin:
            model_id = create_model(admin, scenario)
        requester = Requester(client_for(server), scenario, model_id)
        requester.extract()  # warm up
        load.cut_alone = statistics.median(timed(requester.extract) for _ in range(3))
        load.refusal_alone = statistics.median(
            timed(lambda: requester.post(refused)) for _ in range(3)
        )
        requester.client.close()
        deadline = time.monotonic() + seconds

        def client(number: int) -> None:
            with client_for(server) as http:
                mine = Requester(http, scenario, model_id)
                count = number
                while time.monotonic() < deadline:
                    count += 1
                    refusal = count % REFUSED_EVERY == 0
                    began = time.perf_counter()
                    answer = mine.post(refused if refusal else scenario.data)
                    took = time.perf_counter() - began
                    with lock:
                        if answer.status_code == (422 if refusal else 201):
                            (load.refusals if refusal else load.cuts).append(took)
                        else:
                            load.errors.append(f"{answer.status_code} {answer.text[:200]}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(LOAD_CLIENTS)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        load.seconds = time.perf_counter() - began
    return load


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report_load(name: str, load: Load) -> None:
    """The percentiles of one load line, with its targets: p99 within 3 x p50 and no
    refusal waiting as long as a cut."""
    answered = len(load.cuts) + len(load.refusals)
    print(
        f"{name}: {answered} answers in {load.seconds:.0f} s "
        f"({answered / load.seconds:.2f}/s), {len(load.errors)} errors; alone: a cut "
        f"{load.cut_alone * 1000:.0f} ms, a refusal {load.refusal_alone * 1000:.0f} ms"
    )
    for kind, values in (("cuts", load.cuts), ("refusals", load.refusals)):
        if not values:
            continue
        p50, p90, p99 = (percentile(values, q) * 1000 for q in (0.5, 0.9, 0.99))
        print(
            f"  {kind:<9} n={len(values):<5} p50 {p50:6.0f} ms  p90 {p90:6.0f} ms  "
            f"p99 {p99:6.0f} ms  max {max(values) * 1000:6.0f} ms"
        )
    everything = load.cuts + load.refusals
    if everything:
        p50, p99 = percentile(everything, 0.5), percentile(everything, 0.99)
        ratio = p99 / p50
        ok = verdict(
            ratio <= TARGET_P99_OVER_P50,
            f"{name} under load: p99 / p50 = {ratio:.2f} > {TARGET_P99_OVER_P50}",
        )
        print(f"  all answers: p99 / p50 = {ratio:.2f} (target <= {TARGET_P99_OVER_P50}) {ok}")
    if load.refusals and load.cuts:
        worst, cut = max(load.refusals), percentile(load.cuts, 0.5)
        ok = verdict(
            worst < cut,
            f"{name} under load: a refusal waited {worst * 1000:.0f} ms, "
            f"longer than a median cut ({cut * 1000:.0f} ms)",
        )
        print(
            f"  slowest refusal {worst * 1000:.0f} ms vs median cut {cut * 1000:.0f} ms "
            f"(a refusal never waits behind a cut) {ok}"
        )
    for error in load.errors[:3]:
        print(f"  error: {error}")
    if load.errors:
        MISSES.append(f"{name} under load: {len(load.errors)} unexpected answers")


if __name__ == "__main__":
    main()
