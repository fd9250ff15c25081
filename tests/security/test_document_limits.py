"""Documents bounded by what the caller asked for (DESIGN: "Limits before trust").

A PDF page is rendered at the width of the reference page it stands for, so a tiny file
of another shape could make the server render a huge picture; a request of many parts or
pages could make it render without end; an overlay drawn anew on every call costs as
much each time. Each attack below is refused, or paid for once, before the work starts.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from PIL import Image
from sqlalchemy import create_engine, update

from api.db import make_sessionmaker
from api.services.extraction.intents import remove_expired_sources
from api.storage.factory import open_storage
from api.tables import Extraction, utcnow
from tests.api.conftest import ADMIN_KEY, REPOSITORY, RunningApi, bearer
from tests.api.factories import (
    assert_problem,
    encode,
    extract,
    model_with_zones,
    picture_bytes,
    quadrant_picture,
)
from tests.api.processes import free_port, wait_until_serving
from tests.helpers import blank_pdf, pdf_of

MIB = 1024 * 1024
# One server process, as `zonecut serve` runs a worker, so that its memory can be read.
SERVER = """
import sys
import uvicorn
from api.main import create_app
uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


class ServerProcess:
    """A server in a process of its own, whose peak memory is read from the kernel."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.info = psutil.Process(process.pid)
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1", timeout=120, headers=bearer(ADMIN_KEY)
        )

    def reset_peak(self) -> int:
        """Start measuring the peak afresh; answers the resident memory now (bytes)."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        return int(self.info.memory_info().rss)

    def peak(self) -> int:
        """The most resident memory since :meth:`reset_peak` (bytes)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM in the process status")


@pytest.fixture
def server_process(tmp_path: Path, database_url: str) -> Iterator[ServerProcess]:
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("the peak memory of a process is read from Linux's /proc")
    port = free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "ZONECUT_DATA_DIR": str(tmp_path / "data"),
        "ZONECUT_DATABASE_URL": database_url,
        "ZONECUT_FRONTEND_DIR": str(tmp_path / "no-frontend"),
        "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port)],
            cwd=REPOSITORY,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(process, port, log)
        server = ServerProcess(process, port)
        yield server
        server.client.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def operator(client: httpx.Client) -> dict[str, str]:
    """The headers of a new operator key: the lowest role that may cut."""
    answer = client.post("/api-keys", json={"name": "scanner", "role": "operator"})
    assert answer.status_code == 201, answer.text
    return bearer(answer.json()["secret"])


def nothing_filed(api: RunningApi) -> None:
    assert api.output_files() == []
    assert api.client.get("/extractions").json()["total"] == 0


def kept_files(root: Path, item: str) -> list[str]:
    """The names of the files kept for one item (an extraction's or a review's folder)."""
    folder = root / item
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def a_different_jpeg() -> bytes:
    """A JPEG no overlay would ever be: to tell a kept overlay from one drawn anew."""
    return encode(Image.new("RGB", (7, 5), (1, 2, 3)), "JPEG")


# --- a page of another shape ---------------------------------------------------------------


def test_a_tall_thin_pdf_page_is_refused_before_it_is_rendered(
    server_process: ServerProcess,
) -> None:
    client = server_process.client
    reference = encode(quadrant_picture(400, 300).resize((1000, 800)))
    created = client.post(
        "/models", data={"name": "Form"}, files={"image": ("form.png", reference, "image/png")}
    )
    assert created.status_code == 201, created.text
    zones = [{"name": "total", "folder": "totals", "x": 0, "y": 0, "width": 500, "height": 400}]
    model_id = created.json()["id"]
    assert client.put(f"/models/{model_id}/zones", json={"zones": zones}).status_code == 200
    # 1 inch wide, 99.9 inches tall: a few hundred bytes that, rendered at the reference's
    # 1000 pixels, would be 1000 x 99,889 pixels (just under the picture limit of 100 MP).
    page = blank_pdf(1, box=b"0 0 72 7192")
    assert len(page) < 600

    before = server_process.reset_peak()
    answer = client.post(
        "/extract",
        data={"model": model_id},
        files={"image": ("tall.pdf", page, "application/pdf")},
        headers=operator(client),
    )
    grown = server_process.peak() - before
    print(f"\nserver peak RSS growth answering the tall page: {grown / MIB:.0f} MiB")

    assert_problem(answer, 413, "page 1", "1000 x 99889", "twice", "1,600,000")
    assert grown < 64 * MIB, f"the server grew by {grown / MIB:.0f} MiB"


# --- the pixel budget and the parts cap ----------------------------------------------------


def test_the_pixel_budget_counts_every_part_and_page_before_any_is_rendered(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(max_request_pixels=1_000_000)
    model = model_with_zones(api.client)  # a 400 x 300 reference: 120,000 pixels a page
    scan = picture_bytes()
    nine = [("image", (f"scan-{n}.png", scan, "image/png")) for n in range(9)]

    answer = api.client.post("/extract", data={"model": model["id"]}, files=nine)
    assert_problem(answer, 413, "1,080,000 pixels", "9 pages", "1,000,000")
    nothing_filed(api)

    document = pdf_of([quadrant_picture()] * 9)
    answer = extract(api.client, model["id"], document, "nine.pdf", pages="each")
    assert_problem(answer, 413, "1,080,000 pixels", "9 pages", "1,000,000")
    nothing_filed(api)

    eight = nine[:8]
    answer = api.client.post("/extract", data={"model": model["id"]}, files=eight)
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["items"]) == 8


def test_a_reference_of_many_pages_stays_within_the_pixel_budget(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(max_request_pixels=10_000_000)
    letter = blank_pdf(5, box=b"0 0 612 792")  # 1700 x 2200 pixels a page at 200 dpi
    answer = api.client.post(
        "/models", data={"name": "Letters"}, files={"image": ("letters.pdf", letter, "x")}
    )
    assert_problem(answer, 413, "18,700,000 pixels", "5 pages", "10,000,000")
    assert api.client.get("/models").json()["total"] == 0


def test_more_parts_than_the_limit_are_refused_before_any_is_cut(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    scan = picture_bytes(40, 30)
    parts = [("image", (f"scan-{n}.png", scan, "image/png")) for n in range(51)]
    answer = api.client.post("/extract", data={"model": model["id"]}, files=parts)
    # counted as the form is read: the parser stops at the 51st part
    assert_problem(answer, 413, "at least 51", "more than 50", "ZONECUT_MAX_PARTS")
    nothing_filed(api)


# --- overlays drawn once, kept with their picture ------------------------------------------


def expire_sources(api: RunningApi) -> None:
    """Run the sweep as if every kept picture's time were over."""
    engine = create_engine(api.settings.effective_database_url)
    with engine.begin() as connection:
        connection.execute(
            update(Extraction).values(source_kept_until=utcnow() - timedelta(seconds=1))
        )
    sources = open_storage(None, area="sources", local_root=api.settings.data_dir)
    remove_expired_sources(make_sessionmaker(engine), sources)
    engine.dispose()


def test_an_extractions_overlay_is_drawn_once_and_goes_with_its_picture(
    api: RunningApi,
) -> None:
    model = model_with_zones(api.client)
    record: dict[str, Any] = extract(api.client, model["id"], picture_bytes()).json()
    sources = api.settings.data_dir / "sources"
    overlay_name = f"overlay-p1-v{record['model_version']}.jpg"

    first = api.client.get(f"/extractions/{record['id']}/overlay")
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert kept_files(sources, record["id"]) == [overlay_name, "source.png"]
    kept = sources / record["id"] / overlay_name
    assert kept.read_bytes() == first.content
    # the second call answers what is kept: not a picture drawn anew
    kept.write_bytes(a_different_jpeg())
    again = api.client.get(f"/extractions/{record['id']}/overlay")
    assert again.status_code == 200 and again.content == a_different_jpeg()

    expire_sources(api)
    assert_problem(api.client.get(f"/extractions/{record['id']}/overlay"), 410, "no longer kept")
    assert kept_files(sources, record["id"]) == []


def test_a_review_items_overlay_is_drawn_once_per_model_version_and_goes_with_it(
    api: RunningApi,
) -> None:
    model = model_with_zones(api.client)
    wide = encode(quadrant_picture(400, 300).resize((800, 300)))
    review_id = assert_problem(extract(api.client, model["id"], wide), 422)["review_id"]
    reviews = api.settings.data_dir / "reviews"
    version = model["version"]

    first = api.client.get(f"/reviews/{review_id}/overlay")
    assert first.status_code == 200
    assert kept_files(reviews, review_id) == [f"overlay-p1-v{version}.jpg", "picture.png"]
    kept = reviews / review_id / f"overlay-p1-v{version}.jpg"
    kept.write_bytes(a_different_jpeg())
    assert api.client.get(f"/reviews/{review_id}/overlay").content == a_different_jpeg()

    # new zones: a new model version, drawn anew; the overlay of the old one goes
    zones = [{"name": "all", "folder": "all", "x": 0, "y": 0, "width": 400, "height": 300}]
    changed = api.client.put(f"/models/{model['id']}/zones", json={"zones": zones}).json()
    redrawn = api.client.get(f"/reviews/{review_id}/overlay")
    assert redrawn.status_code == 200 and redrawn.content != a_different_jpeg()
    newer = f"overlay-p1-v{changed['version']}.jpg"
    assert kept_files(reviews, review_id) == [newer, "picture.png"]

    assert api.client.post(f"/reviews/{review_id}/discard").status_code == 204
    assert kept_files(reviews, review_id) == []
    assert_problem(api.client.get(f"/reviews/{review_id}/overlay"), 404, "no longer kept")


def test_a_resolved_review_leaves_no_overlay_behind(api: RunningApi) -> None:
    model = model_with_zones(api.client)
    wide = encode(quadrant_picture(400, 300).resize((800, 300)))
    review_id = assert_problem(extract(api.client, model["id"], wide), 422)["review_id"]
    reviews = api.settings.data_dir / "reviews"
    assert api.client.get(f"/reviews/{review_id}/overlay").status_code == 200
    assert f"overlay-p1-v{model['version']}.jpg" in kept_files(reviews, review_id)
    corners = {"corners": [[0, 0], [800, 0], [800, 300], [0, 300]]}
    resolved = api.client.post(f"/reviews/{review_id}/resolve", json=corners)
    assert resolved.status_code == 201, resolved.text
    assert kept_files(reviews, review_id) == []


def test_an_overlay_of_a_page_is_kept_apart_from_the_others(api: RunningApi) -> None:
    two = pdf_of([quadrant_picture(), quadrant_picture()])
    created = api.client.post(
        "/models", data={"name": "Two"}, files={"image": ("two.pdf", two, "application/pdf")}
    )
    assert created.status_code == 201, created.text
    zones = [
        {"name": f"p{page}", "folder": f"p{page}", "page": page}
        | {"x": 0, "y": 0, "width": 200, "height": 150}
        for page in (1, 2)
    ]
    model = api.client.put(f"/models/{created.json()['id']}/zones", json={"zones": zones}).json()
    record = extract(api.client, model["id"], two, "two.pdf").json()
    for page in (1, 2, 2):
        answer = api.client.get(f"/extractions/{record['id']}/overlay", params={"page": page})
        assert answer.status_code == 200
    version = record["model_version"]
    assert kept_files(api.settings.data_dir / "sources", record["id"]) == [
        f"overlay-p1-v{version}.jpg",
        f"overlay-p2-v{version}.jpg",
        "source.pdf",
    ]
    assert Image.open(io.BytesIO(answer.content)).format == "JPEG"
