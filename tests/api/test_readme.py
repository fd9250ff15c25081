"""README's walk-through, run as a reader runs it: every block a reader pastes, in order.

The blocks to run are fenced with an info string that ends in ``walkthrough``
(```` ```sh walkthrough ````, ```` ```python walkthrough ````); renderers show them as
plain ``sh`` and ``python``. They run in one bash session (``set -euo pipefail``), so what
one block defines the next one uses, as in the reader's terminal, against a real
``zonecut serve`` started here with a fresh database and data folder. The session's
folder stands in for the repository's: ``.venv`` is the virtualenv running the tests and
``data`` is the server's data folder (the default of ``make run``). The server listens on
a free port named by ``ZONECUT_PORT``, the setting README's first block reads; on
PostgreSQL ``ZONECUT_DATABASE_URL`` names the database, for the server and for the
``zonecut`` commands alike. A Python block runs with the client generated from
openapi.yaml as README shows (the ``generated_client`` fixture).

Each block must exit 0, and the HTTP statuses it prints (curl's ``-w '%{http_code}'``
lines and ``-D -`` status lines) must be those its comments promise (``# 201 …``), in order.
Blocks that need what the tests do not run (make, docker, pip) are left unmarked.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.api.conftest import BIN, REPOSITORY
from tests.api.processes import free_port, start_server, stop

README = REPOSITORY / "README.md"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
MARK = "walkthrough"
SHELLS = {"sh", "bash", "shell", "console"}
# A comment that opens with a status promises it: `# 201`, `# 412: the detail …`.
PROMISED = re.compile(r"(?:^|\s)#\s*([1-5]\d\d)(?!\d)", re.MULTILINE)
# What curl prints: `-w '%{http_code}\n'` alone on its line, or the status line of `-D -`.
PRINTED = re.compile(r"^(?:([1-5]\d\d)|HTTP/[\d.]+ ([1-5]\d\d)\b.*)$")
# What only a person at a machine of their own runs: builds, containers, installs.
NOT_RUN = re.compile(r"\b(make|docker|pip)\b")
COMMENT = re.compile(r"(?:^|\s)#.*$")
BLOCK_START = "@@readme-block "


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int  # of the opening fence in README.md

    @property
    def promised(self) -> list[str]:
        return PROMISED.findall(self.code)

    def where(self) -> str:
        return f"README.md line {self.line} ({self.language})"


def fenced_blocks() -> list[tuple[str, Block]]:
    """Every fenced block of README: its info string and the block."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        info = match["info"].strip()
        language = info.split()[0] if info else ""
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((info, Block(language, match["code"], line)))
    return blocks


def walkthrough() -> list[Block]:
    return [block for info, block in fenced_blocks() if info.split()[1:] == [MARK]]


def commands(block: Block) -> list[str]:
    """The shell commands of a block: continuation lines joined, comments dropped."""
    joined = block.code.replace("\\\n", " ").splitlines()
    return [kept for line in joined if (kept := COMMENT.sub("", line).strip())]


def session_script(blocks: list[Block], client_site: Path) -> str:
    """One bash script of the blocks, each announced on stdout before it runs."""
    lines = ["set -euo pipefail"]
    for number, block in enumerate(blocks):
        lines.append(f"printf '\\n{BLOCK_START}{number}\\n'")
        if block.language in SHELLS:
            lines.append(block.code)
        elif block.language == "python":
            end = "README_PYTHON_BLOCK_END"
            assert end not in block.code
            python = f"PYTHONPATH={shlex.quote(str(client_site))} {shlex.quote(sys.executable)} -"
            lines.append(f"{python} <<'{end}'\n{block.code}{end}")
        else:
            raise AssertionError(f"{block.where()}: cannot run a {block.language!r} block")
    lines.append(f"printf '\\n{BLOCK_START}end\\n'")
    return "\n".join(lines) + "\n"


def outputs_by_block(stdout: str) -> dict[str, str]:
    """The standard output of each block that started, by its number (and ``end``)."""
    found: dict[str, str] = {}
    current: str | None = None
    for line in stdout.splitlines():
        if line.startswith(BLOCK_START):
            current = line.removeprefix(BLOCK_START)
            found[current] = ""
        elif current is not None:
            found[current] += line + "\n"
    return found


def failure(
    blocks: list[Block], outputs: dict[str, str], done: subprocess.CompletedProcess[str]
) -> str:
    """Which block stopped the session, with what it printed."""
    started = [number for number in outputs if number != "end"]
    if not started:
        return f"the session exited {done.returncode} before any block:\n{done.stderr}"
    block = blocks[int(started[-1])]
    return (
        f"{block.where()} exited {done.returncode}:\n{block.code}\n"
        f"--- its output:\n{outputs[started[-1]]}\n--- stderr:\n{done.stderr[-4000:]}"
    )


def printed_statuses(output: str) -> list[str]:
    statuses = []
    for line in output.splitlines():
        match = PRINTED.match(line.strip())
        if match:
            statuses.append(match[1] or match[2])
    return statuses


def test_the_walkthrough_is_marked_and_runs_nothing_that_needs_a_machine_of_its_own() -> None:
    blocks = walkthrough()
    assert len(blocks) >= 10, "README's walk-through blocks are not marked"
    assert {block.language for block in blocks} <= SHELLS | {"python"}
    for block in blocks:
        if block.language in SHELLS:
            for command in commands(block):
                assert not NOT_RUN.search(command), f"{block.where()} runs {command}"
    for info, block in fenced_blocks():
        if block.language in SHELLS | {"python"} and MARK not in info.split():
            # a block a reader pastes that the tests do not run: each command needs a reason
            for command in commands(block):
                assert NOT_RUN.search(command), f"{block.where()} is not run: {command}"


def reader_environment() -> dict[str, str]:
    """This process's environment as a reader's shell has it: no Zonecut settings of the
    developer's, and the virtualenv not activated (README names `.venv/bin/...`)."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ZONECUT_") and name != "VIRTUAL_ENV"
    }
    path = os.environ.get("PATH", "").split(os.pathsep)
    environment["PATH"] = os.pathsep.join(
        entry for entry in path if Path(entry).resolve() != BIN.resolve()
    )
    return environment


@pytest.fixture
def session_folder(tmp_path: Path) -> Path:
    """A folder that stands in for the repository's, as README's blocks expect."""
    folder = tmp_path / "clone"
    folder.mkdir()
    virtualenv = BIN.parent
    assert (BIN / "zonecut").exists(), f"the zonecut command is not in {BIN}"
    (folder / ".venv").symlink_to(virtualenv, target_is_directory=True)
    (folder / "data").mkdir()
    return folder


def test_the_readme_walkthrough_runs_top_to_bottom(
    tmp_path: Path, session_folder: Path, database_url: str, generated_client: Path
) -> None:
    blocks = walkthrough()
    port = free_port()
    settings = {
        "ZONECUT_DATA_DIR": str(session_folder / "data"),
        "ZONECUT_PORT": str(port),
        # README's webhook receiver listens on loopback, as it asks the reader's server to allow
        "ZONECUT_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    if database_url.startswith("sqlite"):
        # the default of `make run`: zonecut.db in the data folder (here already migrated)
        shutil.copyfile(database_url.removeprefix("sqlite:///"), session_folder / "data/zonecut.db")
    else:
        settings["ZONECUT_DATABASE_URL"] = database_url
    server = start_server(settings, port, tmp_path / "server.log", workers=1)
    try:
        environment = reader_environment() | settings
        script = tmp_path / "walkthrough.sh"
        script.write_text(session_script(blocks, generated_client), encoding="utf-8")
        done = subprocess.run(
            ["bash", str(script)],
            cwd=session_folder,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        stop(server)

    outputs = outputs_by_block(done.stdout)
    if done.returncode != 0:
        pytest.fail(failure(blocks, outputs, done))
    assert "end" in outputs, done.stdout
    for number, block in enumerate(blocks):
        output = outputs[str(number)]
        assert printed_statuses(output) == block.promised, (
            f"{block.where()} printed other statuses than its comments promise:\n"
            f"{block.code}\n--- its output:\n{output}"
        )

    # What the walk-through says it did, seen from the server's side.
    outputs_dir = session_folder / "data" / "outputs"
    for folder in ("signatures", "invoices/totals", "claims/claimants", "claims/damages"):
        assert any((outputs_dir / folder).iterdir()), folder
    everything = "".join(outputs.values())
    assert "4 files: 3 filed, 1 refused, 0 failed, 6 crops" in everything, everything
    assert "exit status 1" in everything
    assert re.search(r"^webhook\.test /api/v1/webhooks/\S+$", everything, re.MULTILINE), everything
    assert re.search(r"^extraction\.created /api/v1/extractions/\S+$", everything, re.MULTILINE)
    python = outputs[str(next(i for i, b in enumerate(blocks) if b.language == "python"))]
    assert python.split() == [
        "signatures/scan-0042_signature-3.png",
        "invoices/totals/scan-0042_total-3.png",
    ], python
