"""`zonecut extract`: a folder cut as users run it, against a `zonecut serve` process.

The command runs as a process of its own, over HTTP with an API key or on the local
instance's configuration; it is interrupted with SIGKILL and run again, and every file
must be cut exactly once. Answers that a live server rarely gives (503, a dropped
connection, ``pages=each``) come from a stub transport.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from api.cli.extract.answers import REPLAYED
from api.cli.extract.client import HttpCutter
from api.cli.extract.copies import safe_destination
from api.cli.extract.cutter import DownloadFailed
from api.cli.extract.inputs import find_input_files
from api.cli.extract.plan import Options, Plan, idempotency_key
from api.cli.extract.run import ATTEMPTS, run_extract
from api.cli.main import main
from tests.api.conftest import ADMIN_KEY, RunningApi, bearer
from tests.api.factories import encode, extract, model_with_zones, quadrant_picture
from tests.api.processes import free_port, start_server, stop
from tests.helpers import pdf_of

ZONES = 3  # the quadrant model's zones: every filed picture gives three crops
_console_script = Path(sys.executable).with_name("zonecut")
ZONECUT = [str(_console_script)] if _console_script.exists() else [sys.executable, "-m", "api.cli"]


@dataclass
class Server:
    """A `zonecut serve` process with its own database and data folder."""

    url: str
    client: httpx.Client
    outputs: Path

    def extractions(self) -> list[dict[str, Any]]:
        """Every extraction recorded, as the API lists them."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.client.get("/extractions", params={"limit": 200, "offset": len(found)})
            assert page.status_code == 200, page.text
            found += page.json()["items"]
            if len(found) >= page.json()["total"]:
                return found

    def extraction_count(self) -> int:
        total: int = self.client.get("/extractions", params={"limit": 1}).json()["total"]
        return total

    def output_files(self) -> dict[str, bytes]:
        return files_below(self.outputs)


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    with serving(tmp_path, database_url) as running:
        yield running


@pytest.fixture
def small_server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    """A server that cuts at most two pages a request: a longer document goes as a job."""
    with serving(tmp_path, database_url, ZONECUT_MAX_PAGES="2") as running:
        yield running


@contextmanager
def serving(tmp_path: Path, database_url: str, **settings: str) -> Iterator[Server]:
    port = free_port()
    data_dir = tmp_path / "server-data"
    env = {
        "ZONECUT_DATA_DIR": str(data_dir),
        "ZONECUT_DATABASE_URL": database_url,
        "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
        "ZONECUT_FRONTEND_DIR": str(tmp_path / "no-frontend"),
        **settings,
    }
    process = start_server(env, port, tmp_path / "server.log", workers=1)
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base + "/api/v1", headers=bearer(ADMIN_KEY), timeout=60)
    try:
        yield Server(base, client, data_dir / "outputs")
    finally:
        client.close()
        stop(process)


def cli_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ZONECUT_ setting, plus ``extra``."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("ZONECUT_")}
    return kept | extra


def zonecut_extract(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ZONECUT, "extract", *args],
        cwd=cwd,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def files_below(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


_BASE = quadrant_picture(200, 150)  # the model's reference at half size: the same aspect


def write_pictures(folder: Path, names: list[str], first: int = 0) -> dict[str, bytes]:
    """Small PNG pictures of the quadrant model, each one different (a pixel tells)."""
    written = {}
    for number, name in enumerate(names, start=first):
        image = _BASE.copy()
        image.putpixel((0, 0), (number % 256, number // 256, 7))
        data = encode(image, compress_level=1)
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        written[name] = data
    return written


def quadrant_model(client: httpx.Client, name: str = "Form") -> dict[str, Any]:
    return model_with_zones(client, name=name, alignment="scale")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_folder_is_cut_with_a_report_refused_copies_and_a_mirror(
    server: Server, tmp_path: Path
) -> None:
    quadrant_model(server.client)
    scans = tmp_path / "scans"
    good = write_pictures(scans, [f"scan-{n:02d}.png" for n in range(20)])
    good |= write_pictures(scans, [f"sub/page-{n}.png" for n in range(7)], first=100)
    refused = {
        "wide.png": encode(Image.new("RGB", (300, 100), "white")),  # another aspect ratio
        "sub/fake.png": b"this is text with a picture's name\n",
        "torn.jpg": encode(_BASE, "JPEG")[:400],
    }
    for name, data in refused.items():
        (scans / name).write_bytes(data)
    (scans / "notes.txt").write_text("not a picture: left out")
    (scans / ".hidden.png").write_bytes(good["scan-00.png"] + b"hidden")
    (scans / ".cache").mkdir()
    (scans / ".cache" / "thumb.png").write_bytes(good["scan-01.png"] + b"cached")

    done = zonecut_extract(
        tmp_path,
        "--model",
        "FORM",  # names are case-insensitive
        "--server",
        server.url,
        "--jobs",
        "4",
        "--report",
        "out.csv",
        "--refused",
        "refused",
        "--download",
        "mirror",
        "scans",
        env=cli_env(ZONECUT_API_KEY=ADMIN_KEY),
    )
    assert done.returncode == 1, done.stderr  # because of the refusals
    assert "30 files: 27 filed, 3 refused, 0 failed, 81 crops" in done.stdout
    assert "30/30" in done.stderr and "file/s" in done.stderr  # the progress bar

    with (tmp_path / "out.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["file", "status", "extraction_id", "crops", "reason"]
    assert [row["file"] for row in rows] == sorted(
        (f"scans/{name}" for name in [*good, *refused]), key=lambda name: name.split("/")
    )
    by_file = {row["file"].removeprefix("scans/"): row for row in rows}
    records = {record["id"]: record for record in server.extractions()}
    assert len(records) == 27
    for name, data in good.items():
        row = by_file[name]
        assert row["status"] == "filed" and row["crops"] == str(ZONES) and not row["reason"]
        record = records[row["extraction_id"]]
        assert record["source"]["sha256"] == sha256(data)
        assert record["source"]["filename"] == Path(name).name
        assert record["created_by"] == "key:bootstrap"
    assert {name: by_file[name]["status"] for name in refused} == dict.fromkeys(refused, "refused")
    assert "does not match" in by_file["wide.png"]["reason"]
    assert "Unsupported picture" in by_file["sub/fake.png"]["reason"]
    assert "cannot be decoded" in by_file["torn.jpg"]["reason"]
    assert all(not by_file[name]["extraction_id"] for name in refused)

    assert files_below(tmp_path / "refused") == refused
    outputs = server.output_files()
    assert len(outputs) == 27 * ZONES
    assert files_below(tmp_path / "mirror") == outputs

    # Again, with a second folder holding another refused "wide.png": nothing is cut twice,
    # and the refused copies already there stay as they are.
    other = tmp_path / "other"
    other.mkdir()
    (other / "wide.png").write_bytes(encode(Image.new("RGB", (100, 300), "white")))
    again = zonecut_extract(
        tmp_path,
        "--model",
        "Form",
        "--server",
        server.url,
        "--report",
        "again.json",
        "--refused",
        "refused",
        "scans",
        "other",
        env=cli_env(ZONECUT_API_KEY=ADMIN_KEY),
    )
    assert again.returncode == 1, again.stderr
    assert "31 files: 27 filed (27 were already cut), 4 refused, 0 failed" in again.stdout
    assert server.extraction_count() == 27 and server.output_files() == outputs
    report = json.loads((tmp_path / "again.json").read_text())
    assert len(report) == 31
    replays = [entry for entry in report if entry["status"] == "filed"]
    assert all(entry["reason"] == REPLAYED for entry in replays)
    assert {entry["extraction_id"] for entry in replays} == set(records)
    assert files_below(tmp_path / "refused") == refused | {
        "wide-2.png": (other / "wide.png").read_bytes()
    }

    unknown = zonecut_extract(
        tmp_path, "--model", "Nope", "--server", server.url, "--api-key", ADMIN_KEY, "scans"
    )
    assert unknown.returncode == 2 and "'Nope' does not exist" in unknown.stderr
    assert server.extraction_count() == 27


def test_a_killed_run_resumes_and_cuts_every_file_exactly_once(
    server: Server, tmp_path: Path
) -> None:
    quadrant_model(server.client)
    key = server.client.post("/api-keys", json={"name": "scanner", "role": "operator"}).json()
    inbox = tmp_path / "inbox"
    pictures = write_pictures(inbox, [f"{n:03d}.png" for n in range(60)])
    args = ["--model", "Form", "--server", server.url, "--api-key", key["secret"], "--jobs", "2"]

    with (tmp_path / "first.log").open("wb") as log:
        first = subprocess.Popen(
            [*ZONECUT, "extract", *args, "inbox"], cwd=tmp_path, env=cli_env(), stderr=log
        )
    try:
        deadline = time.monotonic() + 30
        while server.extraction_count() < 3:
            assert first.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()
            time.sleep(0.02)
    finally:
        first.kill()
        first.wait()
    assert 3 <= server.extraction_count() < len(pictures)

    done = zonecut_extract(tmp_path, *args, "--report", "resumed.csv", "inbox")
    assert done.returncode == 0, done.stderr
    with (tmp_path / "resumed.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 60 and {row["status"] for row in rows} == {"filed"}
    assert sum(row["reason"] == REPLAYED for row in rows) >= 3  # the first run's
    match = re.search(r"60 files: 60 filed \((\d+) were already cut\)", done.stdout)
    assert match is not None, done.stdout

    records = server.extractions()
    assert sorted(record["source"]["sha256"] for record in records) == sorted(
        sha256(data) for data in pictures.values()
    )  # every picture cut, none twice
    assert {row["extraction_id"] for row in rows} == {record["id"] for record in records}
    assert {record["created_by"] for record in records} == {"key:scanner"}
    assert len(server.output_files()) == 60 * ZONES
    folders = server.client.get("/folders").json()["items"]
    assert sum(folder["file_count"] for folder in folders) == 60 * ZONES


def test_a_document_past_the_sync_limit_is_cut_as_a_job_with_its_progress_shown(
    small_server: Server, tmp_path: Path
) -> None:
    server = small_server
    quadrant_model(server.client)
    scans = tmp_path / "scans"
    scans.mkdir()
    pages = [_BASE.copy() for _ in range(5)]
    for number, page in enumerate(pages):
        page.putpixel((0, 0), (number, 0, 7))  # five different pages
    (scans / "long.pdf").write_bytes(pdf_of(pages))
    short = write_pictures(scans, ["short.png"])
    args = ["--model", "Form", "--server", server.url, "--pages-each", "--report", "r.json"]

    done = zonecut_extract(
        tmp_path, *args, "--download", "mirror", "scans", env=cli_env(ZONECUT_API_KEY=ADMIN_KEY)
    )
    assert done.returncode == 0, done.stderr
    assert "2 files: 2 filed, 0 refused, 0 failed, 18 crops" in done.stdout
    assert "job: 5/5 pages" in done.stderr  # the job's progress, on the bar

    jobs = server.client.get("/jobs").json()["items"]
    assert [(job["filename"], job["status"], job["filed"]) for job in jobs] == [
        ("long.pdf", "done", 5)
    ]
    records = server.extractions()
    assert len(records) == 6  # every page filed once, and the short file
    by_file = {entry["file"]: entry for entry in json.loads((tmp_path / "r.json").read_text())}
    long = by_file["scans/long.pdf"]
    assert long["status"] == "filed" and long["crops"] == 5 * ZONES and not long["reason"]
    page_ids = long["extraction_id"].split()
    assert sorted(page_ids) == sorted(
        record["id"] for record in records if record["source"]["filename"] == "long.pdf"
    )
    assert sorted(record["source"]["page"] for record in records if record["id"] in page_ids) == [
        1, 2, 3, 4, 5,
    ]  # fmt: skip
    assert by_file["scans/short.png"]["status"] == "filed"
    assert [record["source"]["sha256"] for record in records if record["id"] not in page_ids] == [
        sha256(short["short.png"])
    ]
    outputs = server.output_files()
    assert len(outputs) == 6 * ZONES and files_below(tmp_path / "mirror") == outputs

    # Again: the same job answers (its first answer replayed), nothing is cut twice.
    again = zonecut_extract(tmp_path, *args, "scans", env=cli_env(ZONECUT_API_KEY=ADMIN_KEY))
    assert again.returncode == 0, again.stderr
    assert "2 files: 2 filed (2 were already cut), 0 refused, 0 failed" in again.stdout
    assert len(server.client.get("/jobs").json()["items"]) == 1
    assert server.extraction_count() == 6 and server.output_files() == outputs


def test_a_job_whose_pages_are_refused_exits_1_with_the_refusals(
    small_server: Server, tmp_path: Path
) -> None:
    quadrant_model(small_server.client)
    scans = tmp_path / "scans"
    scans.mkdir()
    wide = Image.new("RGB", (300, 100), "white")  # another shape: scale alignment refuses it
    (scans / "mixed.pdf").write_bytes(pdf_of([_BASE, wide, _BASE, wide]))
    (scans / "none.pdf").write_bytes(pdf_of([wide, wide, wide]))

    done = zonecut_extract(
        tmp_path, "--model", "Form", "--server", small_server.url, "--pages-each",
        "--report", "r.csv", "--refused", "refused", "scans",
        env=cli_env(ZONECUT_API_KEY=ADMIN_KEY),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "2 files: 1 filed, 1 refused, 0 failed, 6 crops" in done.stdout
    with (tmp_path / "r.csv").open(newline="") as handle:
        rows = {row["file"]: row for row in csv.DictReader(handle)}
    mixed, none = rows["scans/mixed.pdf"], rows["scans/none.pdf"]
    assert mixed["status"] == "filed" and len(mixed["extraction_id"].split()) == 2
    assert re.fullmatch(r"page 2: .*does not match.*; page 4: .*does not match.*", mixed["reason"])
    assert none["status"] == "refused" and not none["extraction_id"]
    assert [note.split(":")[0] for note in none["reason"].split("; ")] == [
        "page 1", "page 2", "page 3",
    ]  # fmt: skip
    assert files_below(tmp_path / "refused") == {"none.pdf": (scans / "none.pdf").read_bytes()}
    jobs = small_server.client.get("/jobs").json()["items"]
    assert sorted((job["filename"], job["filed"], job["refused"]) for job in jobs) == [
        ("mixed.pdf", 2, 2),
        ("none.pdf", 0, 3),
    ]
    assert small_server.extraction_count() == 2


def test_without_server_the_local_instance_cuts_as_cli(
    make_api: Callable[..., RunningApi], tmp_path: Path
) -> None:
    api = make_api()
    model = quadrant_model(api.client)
    pictures = write_pictures(tmp_path / "scans", ["a.png", "b.png", "c/d.png"])
    env = cli_env(
        ZONECUT_DATA_DIR=str(api.settings.data_dir),
        ZONECUT_DATABASE_URL=api.settings.effective_database_url,
        ZONECUT_API_KEY="ignored without --server",
    )
    done = zonecut_extract(
        tmp_path, "--model", "form", "--report", "local.json", "--download", "mirror", "scans",
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 files: 3 filed, 0 refused, 0 failed, 9 crops" in done.stdout

    records = api.client.get("/extractions").json()["items"]
    assert len(records) == 3 and {record["created_by"] for record in records} == {"cli"}
    outputs = files_below(api.outputs)
    assert len(outputs) == 3 * ZONES and files_below(tmp_path / "mirror") == outputs

    # A second local run cuts nothing again: its keys are kept for the local caller.
    again = zonecut_extract(tmp_path, "--model", "form", "scans", env=env)
    assert again.returncode == 0, again.stderr
    assert "3 files: 3 filed (3 were already cut)" in again.stdout
    assert len(files_below(api.outputs)) == 3 * ZONES
    # The key is the one a run over HTTP sends, but a key belongs to its caller: an API
    # key sending it is not handed the local run's extraction.
    report = {entry["file"]: entry for entry in json.loads((tmp_path / "local.json").read_text())}
    data = pictures["c/d.png"]
    key = idempotency_key(sha256(data), model["id"], Options())
    other = extract(api.client, model["id"], data, "d.png", headers={"Idempotency-Key": key})
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert other.json()["id"] != report["scans/c/d.png"]["extraction_id"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--model", "Form", "nowhere"], "nowhere does not exist"),
        (["--model", "Form", "--report", "out.txt", "."], ".csv or .json"),
        (["--model", "Form", "--api-key", "zc_x", "."], "--api-key goes with --server"),
        (["--model", "Form", "--server", "http://127.0.0.1:9", "."], "needs an API key"),
        (["--model", "Form", "--server", "127.0.0.1:9", "--api-key", "k", "."], "server's URL"),
        (["--model", "Form", "--pages-each", "."], "--pages-each needs --server"),
        (["--model", "Form", "--jobs", "0", "."], "--jobs"),
        (["--model", "Form"], "PATH"),  # no paths
        (["scans"], "--model"),
    ],
)
def test_usage_errors_exit_2_before_anything_is_cut(
    arguments: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ZONECUT_API_KEY", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["extract", *arguments])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


MODEL_ID = "5a1c3c9e-51d6-4b7e-9a8c-2f1a4b7d9e01"


def stub_cutter(answer: Callable[[str, dict[str, str]], httpx.Response]) -> HttpCutter:
    """An HTTP cutter whose server is ``answer(file name, form fields)`` for every POST."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/api/v1/models":
            items = [{"id": MODEL_ID, "name": "Form", "zone_count": 2}]
            return httpx.Response(200, json={"items": items, "total": 1, "limit": 200})
        assert request.url.path == "/api/v1/extract" and request.headers["idempotency-key"]
        body = request.read().decode("latin-1")
        name = re.search(r'filename="([^"]+)"', body)
        fields = dict(re.findall(r'name="(\w+)"\r\n\r\n([^\r]*)\r\n', body))
        assert name is not None and fields["model"] == MODEL_ID
        return answer(name.group(1), fields)

    return HttpCutter("http://zonecut.test", "zc_stub", transport=httpx.MockTransport(handle))


def filed(number: int, crops: int = 2) -> dict[str, Any]:
    return {"id": f"00000000-0000-0000-0000-{number:012d}", "crops": [{}] * crops}


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **more: Any
) -> httpx.Response:
    body = {"type": "https://zonecut.dev/problems/x", "title": title, "status": status}
    return httpx.Response(status, json=body | {"detail": detail} | more, headers=headers)


def run_stubbed(
    tmp_path: Path, cutter: HttpCutter, options: Options | None = None
) -> tuple[int, list[dict[str, Any]], list[float]]:
    pauses: list[float] = []
    plan = Plan("Form", ("in",), jobs=2, report=tmp_path / "r.json", options=options or Options())
    sources = find_input_files([str(tmp_path / "in")])
    status = run_extract(
        plan, cutter, sources, out=io.StringIO(), progress=io.StringIO(), pause=pauses.append
    )
    report = json.loads((tmp_path / "r.json").read_text())
    return status, report, pauses


def test_busy_answers_are_retried_and_a_lost_connection_fails_only_its_file(
    tmp_path: Path,
) -> None:
    write_pictures(tmp_path / "in", ["a.png", "b.png", "c.png"])
    calls: dict[str, int] = {}

    def answer(name: str, fields: dict[str, str]) -> httpx.Response:
        calls[name] = calls.get(name, 0) + 1
        if name == "a.png" and calls[name] == 1:
            return problem(503, "Service unavailable", "later", headers={"Retry-After": "3"})
        if name == "b.png":
            raise httpx.ConnectError("connection refused")
        if name == "c.png" and calls[name] < 3:
            return httpx.Response(429, headers={"Retry-After": "0"})
        return httpx.Response(201, json=filed(calls[name]))

    status, report, pauses = run_stubbed(tmp_path, stub_cutter(answer))
    assert status == 1
    assert [(entry["file"].rsplit("/", 1)[-1], entry["status"]) for entry in report] == [
        ("a.png", "filed"),
        ("b.png", "failed"),
        ("c.png", "filed"),
    ]
    assert "network error: ConnectError: connection refused" in report[1]["reason"]
    assert "gave up after 5 attempts" in report[1]["reason"]
    assert calls == {"a.png": 2, "b.png": ATTEMPTS, "c.png": 3}
    assert sorted(pauses).count(0.0) == 2 and 3.0 in pauses  # Retry-After, as asked


def test_pages_each_sends_the_option_and_reads_both_answers(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for name in ("mixed.pdf", "none.pdf"):
        (tmp_path / "in" / name).write_bytes(b"%PDF-1.7 " + name.encode())
    refusal = {"page": 3, "status": 422, "title": "Picture does not match the model"}

    def answer(name: str, fields: dict[str, str]) -> httpx.Response:
        assert fields.get("pages") == "each"
        if name == "mixed.pdf":
            items = [filed(1), filed(2)]
            return httpx.Response(201, json={"items": items, "refused": [refusal]})
        return problem(422, "Nothing filed", "no page matched", refused=[refusal | {"page": 1}])

    status, report, _ = run_stubbed(tmp_path, stub_cutter(answer), Options(pages_each=True))
    assert status == 1
    mixed, none = report
    assert mixed["status"] == "filed" and mixed["crops"] == 4
    assert mixed["extraction_id"] == f"{filed(1)['id']} {filed(2)['id']}"
    assert mixed["reason"] == "page 3: Picture does not match the model"
    assert none["status"] == "refused" and none["reason"].startswith("page 1: Picture does not")


@pytest.mark.parametrize(
    "name", ["../evil.png", "a/../../evil.png", "/etc/evil", "a\\b.png", "C:/evil", "a//b", ""]
)
def test_archive_entries_cannot_leave_the_download_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(DownloadFailed):
        safe_destination(tmp_path, name)


def test_a_link_in_the_download_folder_cannot_lead_out(tmp_path: Path) -> None:
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "folder").symlink_to(tmp_path)
    assert safe_destination(tmp_path / "mirror", "a/b.png").name == "b.png"
    with pytest.raises(DownloadFailed):
        safe_destination(tmp_path / "mirror", "folder/b.png")


def test_a_job_is_followed_as_the_server_asks_and_an_ended_job_is_a_failure(
    tmp_path: Path,
) -> None:
    (tmp_path / "in").mkdir()
    for name in ("done.pdf", "cancelled.pdf"):
        (tmp_path / "in" / name).write_bytes(b"%PDF-1.7 " + name.encode())
    too_large = {
        "type": "https://zonecut.dev/problems/too-large",
        "title": "Content too large",
        "status": 413,
        "detail": "3 pages, more than the limit of 2",
    }
    looks: dict[str, int] = {}

    def job(name: str, status: str, done: int, total: int | None) -> dict[str, Any]:
        return {
            "id": name,
            "status": status,
            "progress": {"done": done, "total": total},
            "filed": done,
            "error": None,
            "items_url": f"/api/v1/jobs/{name}/items",
        }

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/models":
            items = [{"id": MODEL_ID, "name": "Form", "zone_count": 2}]
            return httpx.Response(200, json={"items": items, "total": 1, "limit": 200})
        if path == "/api/v1/extract":
            name = "done" if b"done.pdf" in request.read() else "cancelled"
            if request.headers.get("prefer") != "respond-async":
                return httpx.Response(413, json=too_large)
            location = {"Location": f"/api/v1/jobs/{name}"}
            return httpx.Response(202, json=job(name, "queued", 0, None), headers=location)
        if path == "/api/v1/jobs/cancelled":
            return httpx.Response(200, json=job("cancelled", "cancelled", 1, 3))
        if path == "/api/v1/jobs/done":
            looks["done"] = looks.get("done", 0) + 1
            if looks["done"] == 1:
                return httpx.Response(503, headers={"Retry-After": "7"})
            if looks["done"] == 2:
                return httpx.Response(200, json=job("done", "running", 1, 3))
            return httpx.Response(200, json=job("done", "done", 3, 3))
        assert path == "/api/v1/jobs/done/items", path
        every = [
            {"part": 1, "page": 1, "status": "filed", "extraction": filed(1)},
            {"part": 1, "page": 2, "status": "refused", "refusal": {"title": "No match"}},
            {"part": 1, "page": 3, "status": "filed", "extraction": filed(3)},
        ]
        offset = int(request.url.params["offset"])
        page = every[offset : offset + 2]  # two a page, whatever the limit asked
        return httpx.Response(200, json={"items": page, "total": 3, "offset": offset})

    pauses: list[float] = []
    transport = httpx.MockTransport(handle)
    cutter = HttpCutter("http://zonecut.test", "zc_stub", transport=transport, pause=pauses.append)
    plan = Plan("Form", ("in",), jobs=1, report=tmp_path / "r.json", options=Options(True))
    sources = find_input_files([str(tmp_path / "in")])
    progress = io.StringIO()
    status = run_extract(plan, cutter, sources, out=io.StringIO(), progress=progress)
    entries = json.loads((tmp_path / "r.json").read_text())
    report = {entry["file"].rsplit("/", 1)[-1]: entry for entry in entries}

    assert status == 1
    assert report["done.pdf"]["status"] == "filed" and report["done.pdf"]["crops"] == 4
    assert report["done.pdf"]["extraction_id"] == f"{filed(1)['id']} {filed(3)['id']}"
    assert report["done.pdf"]["reason"] == "page 2: No match"
    assert report["cancelled.pdf"]["status"] == "failed"
    assert report["cancelled.pdf"]["reason"].endswith("cancelled (pages filed before it ended: 1)")
    # Every second, or as long as Retry-After asks: cancelled.pdf's job once, done.pdf's thrice.
    assert pauses == [1.0, 1.0, 7.0, 1.0]
    assert looks == {"done": 3}
    shown = re.findall(r"jobs?: [\d?]+/[\d?]+ pages", progress.getvalue())
    assert list(dict.fromkeys(shown)) == [  # the pages of both jobs, as they grew
        "job: 0/? pages",
        "job: 1/3 pages",
        "jobs: 1/? pages",
        "jobs: 2/6 pages",
        "jobs: 4/6 pages",
    ]
