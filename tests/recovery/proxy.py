"""nginx on loopback in front of `zonecut serve` replicas, run from deploy/nginx.conf itself.

Only the upstream servers' addresses and the listen port are changed in the file; what
nginx needs besides a site (its pid file, logs, temporary folders) is in a main
configuration of the test's own that includes it, as the nginx image includes conf.d/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.api.processes import REPOSITORY, free_port

NGINX_CONF = REPOSITORY / "deploy" / "nginx.conf"
UPSTREAM = re.compile(r"server zonecut-(\d+):8000")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def fail_timeout_seconds() -> int:
    """How long nginx keeps a replica that failed out of its rotation."""
    return int(re.search(r"fail_timeout=(\d+)s", NGINX_CONF.read_text()).group(1))  # type: ignore[union-attr]


def site(upstream_ports: list[int], port: int) -> str:
    """deploy/nginx.conf with zonecut-N:8000 on loopback ports and listening on ``port``."""
    text = NGINX_CONF.read_text()
    named = [int(n) for n in UPSTREAM.findall(text)]
    assert named == list(range(1, len(upstream_ports) + 1)), named
    text = UPSTREAM.sub(lambda m: f"server 127.0.0.1:{upstream_ports[int(m[1]) - 1]}", text)
    text, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", text)
    assert listens == 1
    return text


class Nginx:
    def __init__(self, directory: Path, upstream_ports: list[int]) -> None:
        binary = nginx_binary()
        assert binary is not None
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (directory / "site.conf").write_text(site(upstream_ports, self.port))
        # as root, nginx's workers would run as nobody and could not write the temp folders
        user = "user root;" if os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {area}_temp_path {directory / area};"
            for area in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (directory / "main.conf").write_text(
            f"{user}\ndaemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
            f"error_log {directory / 'error.log'} info;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n    access_log {directory / 'access.log'};\n{temp}\n"
            f"    include {directory / 'site.conf'};\n}}\n"
        )
        self.log = directory / "error.log"
        command = [binary, "-p", str(directory), "-c", str(directory / "main.conf")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 20
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, self.log.read_text()
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
