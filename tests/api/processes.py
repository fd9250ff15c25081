"""`zonecut serve` and `zonecut worker` in processes of their own, as users run them: for
tests that kill one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    env: dict[str, str], port: int, log: Path, workers: int = 2, wait: bool = True
) -> subprocess.Popen[bytes]:
    """Start `zonecut serve` with ``env`` added to this process's; wait until it answers."""
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=REPOSITORY,
            # No drain grace unless a test asks for one: stopping a server stays quick.
            env={**os.environ, "ZONECUT_DRAIN_GRACE_SECONDS": "0", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if wait:
        wait_until_serving(process, port, log)
    return process


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `zonecut worker` with ``env`` added to this process's (not waited for)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"],
            cwd=REPOSITORY,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_serving(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server and its workers: no cleanup of any kind runs."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill(process)
