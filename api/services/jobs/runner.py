"""The runner: threads of a process that take jobs up and cut them, polling the jobs table.

The embedded default runs it inside every ``zonecut serve`` process; ``zonecut worker``
runs it alone. Any number of processes, on any number of machines, may run it over one
database: a job is taken up by a row claim (:func:`.queue.claim_next`), held by its
instance's lease, and resumed elsewhere when that lease lapses. A job queued in this
process wakes the runner at once; jobs queued elsewhere are found at the next look,
every ``poll`` seconds.

Why polling the table rather than a queue library: the state must live in Zonecut's own
tables anyway (to resume and to cut nothing twice) and liveness is the leases'; what a
library such as procrastinate would add on PostgreSQL is a LISTEN/NOTIFY wake-up instead
of the poll, and its own schema and worker beside ours — and it has no SQLite broker for
the embedded default. One poll a second per process is a single indexed query.

Stopping (:meth:`JobRunner.stop`) lets each thread finish the page it is cutting, then
gives its job back so that another instance takes it up at once.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from api.services.jobs.queue import claim_next, remove_expired_uploads, sweep_uploads
from api.services.jobs.work import JobWork, run_job

log = logging.getLogger(__name__)
# how often the uploads of ended and abandoned jobs are looked for
SWEEP_EVERY = 5.0


class JobRunner:
    """``workers`` threads cutting jobs, and the sweep of expired and abandoned uploads."""

    def __init__(
        self,
        work: JobWork,
        *,
        workers: int = 1,
        poll: float = 1.0,
        lease: timedelta = timedelta(seconds=15),
    ) -> None:
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._woken = 0
        self._work = JobWork(
            work.pipeline, work.uploads, work.keep_uploads, stopping=self._stop.is_set
        )
        self._poll = poll
        self._lease = lease
        self._threads = [
            threading.Thread(target=self._run, args=(number,), name=f"jobs-{number}", daemon=True)
            for number in range(workers)
        ]

    def start(self) -> None:
        """Start the threads."""
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        with self._wake:
            self._woken += 1
            self._wake.notify_all()

    def stop(self, wait: float = 30.0) -> bool:
        """Stop after the page being cut (each job given back); whether every thread
        ended within ``wait`` seconds."""
        self._stop.set()
        self.wake()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=wait)
        return not any(thread.is_alive() for thread in self._threads)

    def _run(self, number: int) -> None:
        holder = self._work.holder
        sessions = self._work.pipeline.sessions
        next_sweep = 0.0
        while not self._stop.is_set():
            with self._wake:
                seen = self._woken
            try:
                job_id = claim_next(sessions, holder, self._lease)
                if job_id is not None:
                    log.info("job %s taken up", job_id)
                    run_job(self._work, job_id)
                    continue
                if number == 0 and time.monotonic() >= next_sweep:
                    sweep_uploads(sessions, self._work.uploads, self._lease)
                    remove_expired_uploads(sessions, self._work.uploads)
                    next_sweep = time.monotonic() + SWEEP_EVERY
            except Exception:  # the database may be away for a while: try again
                log.warning("the job runner could not look for work", exc_info=True)
            with self._wake:
                if self._woken == seen and not self._stop.is_set():
                    self._wake.wait(self._poll)
