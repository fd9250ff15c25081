"""Attacks on sign-in: guesses raced past the throttle, strangers locking people out,
addresses that change, and floods that make the server hash until it runs out of memory.

Clients choose their address through ``X-Forwarded-For``: the test servers trust their
loopback peer as the proxy, as a replica trusts the proxy in ``deploy/``.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from api.services.identity import passwords
from tests.api.conftest import ADMIN_KEY, PASSWORD, REPOSITORY, RunningApi, bearer
from tests.api.factories import assert_problem
from tests.api.processes import free_port, start_server, stop

MIB = 1024 * 1024


def login(
    client: httpx.Client, username: str, password: str = PASSWORD, address: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else None
    body = {"username": username, "password": password}
    return client.post("/auth/login", json=body, headers=headers)


def at_once(count: int, send: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """``send(i)`` for every i in ``count`` threads released together."""
    barrier = threading.Barrier(count)

    def one(i: int) -> httpx.Response:
        barrier.wait()
        return send(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


class Served:
    """`zonecut serve` in processes of its own, with its admin client."""

    def __init__(self, base_url: str, process: Any) -> None:
        self.base_url = base_url
        self.process = process
        self.admin = httpx.Client(base_url=base_url, headers=bearer(ADMIN_KEY), timeout=60)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=120)

    def create_user(self, username: str) -> None:
        body = {"username": username, "password": PASSWORD, "role": "operator"}
        assert self.admin.post("/users", json=body).status_code == 201

    def rss(self) -> int:
        """Resident memory of the server and its worker processes, in bytes."""
        root = psutil.Process(self.process.pid)
        total = 0
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):  # a worker just ended
                total += process.memory_info().rss
        return total


@pytest.fixture
def serve(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(workers: int = 1, **env: str) -> Served:
        port = free_port()
        environment = {
            "ZONECUT_DATA_DIR": str(tmp_path / f"data{len(started)}"),
            "ZONECUT_DATABASE_URL": database_url,
            "ZONECUT_ADMIN_API_KEY": ADMIN_KEY,
            "ZONECUT_FRONTEND_DIR": str(tmp_path / "none"),
            "ZONECUT_LOG_LEVEL": "warning",
            **env,
        }
        log = tmp_path / f"serve{len(started)}.log"
        process = start_server(environment, port, log, workers=workers)
        served = Served(f"http://127.0.0.1:{port}/api/v1", process)
        started.append(served)
        return served

    yield start
    for served in started:
        served.admin.close()
        stop(served.process)


def test_guesses_sent_at_once_are_counted_before_any_is_judged(
    serve: Callable[..., Served],
) -> None:
    # Two worker processes on one database: the count is the database's, not a process's.
    server = serve(workers=2)
    server.create_user("ada")
    with server.client() as client:
        for _ in range(4):
            assert login(client, "ada", "guess").status_code == 401
    # one failure left before the lock: of 12 guesses at once, one is judged
    clients = [server.client() for _ in range(12)]
    answers = at_once(12, lambda i: login(clients[i], "ada", f"guess {i}"))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] + [429] * 11, statuses
    for answer in answers:
        if answer.status_code == 429:
            assert_problem(answer, 429, "try again")
            assert 0 < int(answer.headers["retry-after"]) <= 15 * 60
    # and the right password after them is refused unchecked
    assert_problem(login(clients[0], "ada"), 429, "try again")
    for client in clients:
        client.close()


def test_a_stranger_cannot_lock_out_a_browser_that_signed_in_before(api: RunningApi) -> None:
    api.create_user("ada")
    api.create_user("grace")
    laptop = api.new_client()
    assert login(laptop, "ada", address="198.51.100.7").status_code == 200
    other_browser = api.new_client()
    assert login(other_browser, "grace", address="198.51.100.8").status_code == 200

    # 100 wrong passwords for ada from 20 addresses, 5 each: ada is locked for strangers
    stranger = [api.new_client() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        statuses = list(
            pool.map(
                lambda i: login(stranger[i % 4], "ada", "guess", f"203.0.113.{i // 5}").status_code,
                range(100),
            )
        )
    assert statuses == [401] * 100
    assert_problem(login(api.new_client(), "ada", address="192.0.2.1"), 429, "try again")
    # a device cookie of another user is no help
    assert_problem(login(other_browser, "ada", address="198.51.100.8"), 429)

    # ada's own browser signs in, where it did before and from anywhere else
    assert login(laptop, "ada", address="198.51.100.7").status_code == 200
    assert login(laptop, "ada", address="192.0.2.77").status_code == 200
    assert laptop.get("/auth/me").json()["name"] == "ada"


def test_failures_count_per_address_and_ipv6_addresses_by_their_64_prefix(
    api: RunningApi,
) -> None:
    api.create_user("ada")
    for i in range(1, 6):  # five addresses of one /64 are one client
        assert login(api.new_client(), "ada", "guess", f"2001:db8:1:2::{i}").status_code == 401
    locked = login(api.new_client(), "ada", address="2001:db8:1:2:abcd:ef01:2345:6789")
    assert_problem(locked, 429, "try again")
    # another /64, or an IPv4 address, is someone else: not locked out
    assert login(api.new_client(), "ada", address="2001:db8:1:3::1").status_code == 200
    assert login(api.new_client(), "ada", address="192.0.2.10").status_code == 200


def test_one_address_cannot_try_many_usernames(api: RunningApi) -> None:
    api.create_user("ada")
    guesser = api.new_client()
    with ThreadPoolExecutor(2) as pool:
        statuses = list(
            pool.map(
                lambda i: login(guesser, f"name{i}", "guess", "203.0.113.9").status_code,
                range(30),
            )
        )
    assert statuses == [401] * 30
    assert_problem(login(guesser, "someone-new", "guess", "203.0.113.9"), 429, "try again")
    assert_problem(login(guesser, "ada", address="203.0.113.9"), 429)
    assert login(api.new_client(), "ada", address="203.0.113.10").status_code == 200


def test_the_proxy_overwrites_the_forwarded_address_instead_of_appending() -> None:
    # Zonecut believes the first X-Forwarded-For entry of a trusted proxy; one that appends
    # to what the client sent would let every guess choose its own address.
    conf = (REPOSITORY / "deploy" / "nginx.conf").read_text()
    setters = re.findall(r"proxy_set_header\s+X-Forwarded-For\s+(\S+);", conf, re.IGNORECASE)
    assert setters == ["$remote_addr"]


def test_a_flood_of_sign_ins_hashes_a_few_passwords_at_a_time(
    serve: Callable[..., Served],
) -> None:
    server = serve(workers=1, ZONECUT_HASH_CONCURRENCY="2", ZONECUT_HASH_WAIT_SECONDS="1")
    clients = [server.client() for _ in range(48)]
    assert login(clients[0], "warm-up", "guess").status_code == 401
    before = server.rss()
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, server.rss())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        # random names from as many addresses: no throttle stands in the way
        answers = at_once(
            48,
            lambda i: login(clients[i], uuid.uuid4().hex, "guess", f"198.18.{i}.1"),
        )
    finally:
        done.set()
        sampler.join()
    for client in clients:
        client.close()
    statuses = {answer.status_code for answer in answers}
    assert statuses <= {401, 503}, statuses
    for answer in answers:
        if answer.status_code == 503:
            assert_problem(answer, 503, "try again")
            assert int(answer.headers["retry-after"]) >= 1
    growth = peak - before
    print(f"resident memory: {before / MIB:.0f} MiB, peak growth {growth / MIB:.0f} MiB")
    assert growth < 400 * MIB, f"grew {growth / MIB:.0f} MiB"


def test_a_sign_in_beyond_the_hashing_limit_is_503_and_not_counted(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(hash_concurrency=1, hash_wait_seconds=0.2)
    api.create_user("ada")
    with passwords.hashing_slot():  # the one slot is busy
        for _ in range(6):
            busy = login(api.new_client(), "ada", "guess")
            assert_problem(busy, 503, "try again")
            assert int(busy.headers["retry-after"]) >= 1
    assert login(api.new_client(), "ada").status_code == 200


def test_an_admin_unlocks_a_user(api: RunningApi) -> None:
    user = api.create_user("ada")
    for _ in range(5):
        login(api.new_client(), "ada", "guess")
    assert_problem(login(api.new_client(), "ada"), 429)

    unlock = f"/users/{user['id']}/unlock"
    assert_problem(api.as_role("editor").post(unlock), 403, "admin")
    assert_problem(api.new_client().post(unlock), 401)
    assert_problem(api.client.post(f"/users/{uuid.uuid4()}/unlock"), 404)
    response = api.client.post(unlock)
    assert response.status_code == 204, response.text
    events = api.client.get("/audit", params={"action": "user.unlock"}).json()["items"]
    assert [(e["actor"], e["target"]) for e in events] == [("key:bootstrap", user["id"])]
    assert login(api.new_client(), "ada").status_code == 200
