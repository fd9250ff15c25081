"""Limits before credentials, held by `zonecut serve` itself (DESIGN "Limits before trust").

Each test starts `zonecut serve` with one worker, as users run it, and attacks it with raw
sockets: a header bomb, heads and bodies trickled a byte at a time, more connections than
the cap. Timeouts are shortened through settings; what is asserted is what the server did
(its answer, the connection closed, its memory), never how fast.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import psutil
import pytest

from tests.api.conftest import ADMIN_KEY
from tests.api.processes import free_port, start_server, stop

MB = 1024 * 1024
PATIENCE = 60  # seconds a test waits for what must happen before calling it failed


class Served:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process, self.port = process, port

    def connect(self) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=PATIENCE)
        return connection

    def rss(self) -> int:
        """Resident memory of the server and its workers, in bytes."""
        root = psutil.Process(self.process.pid)
        total = 0
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def get(self, path: str = "/api/v1/health") -> bytes:
        """The status line of a plain GET on a new connection."""
        with self.connect() as connection:
            connection.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            return read_answer(connection).split(b"\r\n", 1)[0]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `zonecut serve` (one worker) with settings given as ``ZONECUT_*`` values."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**settings: str) -> Served:
        port = free_port()
        env = {
            "ZONECUT_DATA_DIR": str(tmp_path / f"data{len(started)}"),
            "ZONECUT_FRONTEND_DIR": str(tmp_path / "no-frontend"),
            "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
            "ZONECUT_LOG_LEVEL": "warning",
            **{f"ZONECUT_{name.upper()}": value for name, value in settings.items()},
        }
        env.pop("ZONECUT_DATABASE_URL", None)
        process = start_server(env, port, tmp_path / "server.log", workers=1)
        started.append(process)
        return Served(process, port)

    yield start
    for process in started:
        stop(process)


def read_answer(connection: socket.socket) -> bytes:
    """What the server sent until it closed the connection or sent a whole small answer."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            length = [
                int(line.split(b":", 1)[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            ]
            if length and len(body) >= length[0]:
                break
    except (ConnectionResetError, TimeoutError):
        pass
    return received


def send_while_reading(connection: socket.socket, chunks: Iterable[bytes]) -> bytes:
    """Send ``chunks`` until the server stops reading, reading its answer all along."""
    answers: list[bytes] = []
    reader = threading.Thread(target=lambda: answers.append(read_answer(connection)))
    reader.start()
    with contextlib.suppress(OSError):  # the server stopped reading, as it should
        for chunk in chunks:
            if not reader.is_alive():
                break
            connection.sendall(chunk)
    reader.join(PATIENCE)
    return answers[0] if answers else b""


def closed_by_server(connection: socket.socket) -> bool:
    connection.setblocking(False)
    try:
        return connection.recv(65536) == b"" or closed_by_server(connection)
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        connection.setblocking(True)


def test_a_header_bomb_is_refused_431_and_the_worker_keeps_serving_in_bounded_memory(
    serve: Callable[..., Served],
) -> None:
    server = serve()
    # a head just under the limit is served
    with server.connect() as connection:
        filler = b"".join(b"X-Fill-%d: %s\r\n" % (i, b"f" * 90) for i in range(150))  # ~15 KiB
        connection.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n" + filler + b"\r\n")
        assert read_answer(connection).startswith(b"HTTP/1.1 200")
    # one 8 MB header
    with server.connect() as connection:
        head = b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nX-Big: "
        answer = send_while_reading(connection, [head, b"a" * 8 * MB, b"\r\n\r\n"])
    assert answer.startswith(b"HTTP/1.1 431"), answer
    assert b"application/problem+json" in answer and b"nosniff" in answer

    # 100 MB of short header lines: each line a Python object in a server without a limit
    before, peak = server.rss(), [0]
    sending = True

    def watch() -> None:
        while sending:
            peak[0] = max(peak[0], server.rss())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    line = b"X-Line: " + b"b" * 54 + b"\r\n"  # 64 bytes
    lines = [b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n"] + [line * (MB // 64)] * 100
    with server.connect() as connection:
        answer = send_while_reading(connection, [*lines, b"\r\n"])
    sending = False
    watcher.join()
    assert answer.startswith(b"HTTP/1.1 431"), answer
    assert peak[0] - before < 64 * MB, f"the server grew by {(peak[0] - before) // MB} MB"
    assert server.get() == b"HTTP/1.1 200 OK"  # the worker still serves


def test_a_head_trickled_or_never_sent_is_closed_within_the_head_timeout(
    serve: Callable[..., Served],
) -> None:
    server = serve(head_timeout_seconds="1")
    silent = [server.connect() for _ in range(3)]
    trickling = [server.connect() for _ in range(5)]
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"s" * 1000
    deadline = time.monotonic() + PATIENCE
    sent = 0
    open_ones = list(trickling)
    while open_ones and time.monotonic() < deadline:
        for connection in list(open_ones):
            try:
                connection.sendall(head[sent : sent + 1])
            except OSError:
                open_ones.remove(connection)
                continue
            if closed_by_server(connection):
                open_ones.remove(connection)
        sent += 1
        time.sleep(0.2)
    assert not open_ones, f"{len(open_ones)} trickling connections still open"
    assert all(closed_by_server(connection) for connection in silent)
    for connection in silent + trickling:
        connection.close()
    assert server.get() == b"HTTP/1.1 200 OK"


def test_a_body_slower_than_the_minimum_rate_is_dropped_with_408(
    serve: Callable[..., Served],
) -> None:
    server = serve(body_timeout_seconds="1", min_body_bytes_per_second="1024")
    head = (
        b"POST /api/v1/models HTTP/1.1\r\nHost: t\r\n"
        b"Authorization: Bearer " + ADMIN_KEY.encode() + b"\r\n"
        b"Content-Type: multipart/form-data; boundary=xyz\r\n"
        b"Content-Length: 100000\r\n\r\n"
        b'--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nslow\r\n'
    )

    def trickle() -> Iterator[bytes]:  # 50 bytes a second, for as long as the test waits
        yield head
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            yield b"-" * 10
            time.sleep(0.2)

    with server.connect() as connection:
        answer = send_while_reading(connection, trickle())
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"application/problem+json" in answer and b"nosniff" in answer
    assert server.get() == b"HTTP/1.1 200 OK"


def test_connections_past_the_cap_are_answered_503_and_closed(
    serve: Callable[..., Served],
) -> None:
    server = serve(max_connections="10", head_timeout_seconds="60")
    held = [server.connect() for _ in range(10)]
    for connection in held:  # each a real client: it asks once and keeps the connection
        connection.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_answer(connection).startswith(b"HTTP/1.1 200")
    refused = server.get()
    assert refused.startswith(b"HTTP/1.1 503"), refused
    for connection in held[:2]:
        connection.close()
    deadline = time.monotonic() + PATIENCE
    while (answer := server.get()) != b"HTTP/1.1 200 OK" and time.monotonic() < deadline:
        time.sleep(0.1)  # the server notices the two closed connections
    assert answer == b"HTTP/1.1 200 OK"
    for connection in held[2:]:
        connection.close()
