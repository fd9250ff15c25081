"""``zonecut worker``: the job runner and the webhook sender alone, without HTTP.

For deployments that keep cutting apart from serving: run the servers with
``ZONECUT_JOB_RUNNER=false`` and as many workers as wanted, on the same database and
store. A worker is an instance like a server's process (a heartbeat, the sweeps); on
SIGTERM or Ctrl-C it finishes the page it is cutting, gives its job back and leaves.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging.config
import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.settings import Settings


def worker(args: argparse.Namespace) -> None:
    """Run jobs and deliveries until stopped."""
    from api.cli.usage import load_settings
    from api.db import upgrade_database
    from api.logs import log_config

    settings = load_settings()
    overrides: dict[str, object] = {"job_runner": True}
    if args.threads is not None:
        overrides["job_workers"] = args.threads
    settings = settings.model_copy(update=overrides)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logging.config.dictConfig(log_config(settings.log_level))
    upgrade_database(settings.effective_database_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    from api.main import create_app
    from api.services.leases import Heartbeat

    app = create_app(settings)
    # its instance named as a worker in the instances table ("worker pid 123 on host")
    app.state.heartbeat = Heartbeat(
        app.state.sessionmaker, every=settings.heartbeat_every, kind="worker"
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log = logging.getLogger("zonecut")
    async with app.router.lifespan_context(app):
        log.info("worker ready: %d job thread(s)", settings.job_workers)
        await stop.wait()
        log.info("worker stopping: the pages being cut are finished first")
