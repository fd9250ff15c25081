"""``zonecut serve``: migrate, print the first admin's setup link, then run uvicorn.

On SIGTERM it drains (:mod:`api.edge.drain`): a grace, then the requests in flight.

uvicorn speaks HTTP/1 through :class:`api.edge.connections.GuardedHttpProtocol`, which
holds each connection to the limits of DESIGN "Limits before trust" (head size and time,
connections per process) before a request reaches the app.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.settings import Settings


def workers_default() -> int:
    """``ZONECUT_WORKERS``, else the CPU count up to 4."""
    return int(os.environ.get("ZONECUT_WORKERS", 0)) or min(os.cpu_count() or 1, 4)


def serve(args: argparse.Namespace) -> None:
    """Apply pending migrations once, then serve the API (and the web app) with uvicorn."""
    from api.cli.usage import load_settings
    from api.logs import log_config

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _migrate(settings)
    _print_setup_link(settings, args.host, args.port)
    # Workers write their metrics here and /metrics adds them up; a fresh folder each start.
    # Set before anything imports prometheus_client (api.metrics reads the same name).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="zonecut-metrics-")
    # A request's threads (cutting, filing, the thread pool) each get a malloc arena of
    # their own by default, and every arena keeps what a picture freed: a worker's memory
    # would grow with its threads, not with its work. Two arenas hold it to the budget.
    # glibc reads it when a process starts: it applies to the worker processes started
    # below (with --workers 1, set it in the environment of `zonecut serve` itself).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    from uvicorn.config import STARTUP_FAILURE

    from api.edge.connections import ConnectionLimits, GuardedHttpProtocol
    from api.edge.drain import DrainingConfig, DrainingMultiprocess, DrainingServer

    # A picklable factory: with several workers, uvicorn hands its config to each process.
    protocol: Any = partial(GuardedHttpProtocol, limits=ConnectionLimits.of(settings))
    config = DrainingConfig(
        "api.main:app",
        drain_grace_seconds=settings.drain_grace_seconds,
        timeout_graceful_shutdown=settings.drain_seconds,
        host=args.host,
        port=args.port,
        http=protocol,
        workers=args.workers,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    # As uvicorn.run does, with servers that drain on SIGTERM (api.edge.drain).
    if config.workers > 1:
        DrainingMultiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = DrainingServer(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _migrate(settings: Settings) -> None:
    """Apply pending migrations; a database already at head is left as it is without
    loading Alembic, which would stay in this process's memory (with ``--workers 1`` it is
    the worker)."""
    from api.db import is_at_head, make_engine, upgrade_database

    engine = make_engine(settings.effective_database_url)
    try:
        behind = not is_at_head(engine)
    finally:
        engine.dispose()
    if behind:
        upgrade_database(settings.effective_database_url)


def _print_setup_link(settings: Settings, host: str, port: int) -> None:
    """While no admin exists, print a one-time link that lets the first person make one.

    Printed here, by the process that starts the workers, so it is printed once; a new
    link replaces the last one at every start. Only the token's hash is stored.
    """
    from api.db import make_engine, make_sessionmaker
    from api.services.identity.accounts import issue_setup_token

    engine = make_engine(settings.effective_database_url)
    try:
        token = issue_setup_token(make_sessionmaker(engine))
    finally:
        engine.dispose()
    if token is None:
        return
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    print(
        "\nNo admin account yet. Open this link to create one (it works once):\n"
        f"\n    http://{shown_host}:{port}/setup#token={token}\n",
        flush=True,
    )
