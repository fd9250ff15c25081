"""The run: check the arguments, cut every file a few at a time (asking again while the
server says "later"), settle what became of each file, then report and sum up.

Every request carries an ``Idempotency-Key`` made from the file's content, the model and
the options (not the file's name), so a second run over the same folder — after an
interruption, say — cuts nothing twice: the server answers what it answered the first time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import TextIO

from api.cli.extract.answers import describe
from api.cli.extract.client import HttpCutter, api_base
from api.cli.extract.copies import download, keep_refused
from api.cli.extract.cutter import (
    Cutter,
    DownloadFailed,
    ModelRef,
    PagesDone,
    Result,
    Submission,
)
from api.cli.extract.inputs import InputFile, find_input_files
from api.cli.extract.plan import Options, Plan, UsageError, idempotency_key
from api.cli.extract.progress import JobPages, Tally, progress_bar
from api.cli.extract.report import Row, report_format, write_report

ATTEMPTS = 5
EXIT_INTERRUPTED = 130


def extract_command(
    plan: Plan,
    *,
    server: str | None,
    api_key: str | None,
    local_cutter: Callable[[], Cutter],
    environ: Mapping[str, str] = os.environ,
    out: TextIO = sys.stdout,
    progress: TextIO = sys.stderr,
) -> int:
    """Run ``zonecut extract`` and answer its exit status: 0 when every file was filed, 1
    when any was refused or failed. :class:`UsageError` (status 2) before anything is cut
    for arguments that cannot work together, a missing path or an unknown model."""
    if plan.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if plan.report is not None:
        report_format(plan.report)
    if api_key and not server:
        raise UsageError("--api-key goes with --server (without it the local instance is used)")
    if plan.options.pages_each and not server:
        raise UsageError("--pages-each needs --server")
    if server:
        api_base(server)
        api_key = api_key or environ.get("ZONECUT_API_KEY")
        if not api_key:
            raise UsageError("--server needs an API key: --api-key KEY or ZONECUT_API_KEY")
    files = find_input_files(plan.paths)
    cutter: Cutter = HttpCutter(server, api_key or "", jobs=plan.jobs) if server else local_cutter()
    try:
        return run_extract(plan, cutter, files, out=out, progress=progress)
    finally:
        cutter.close()


def run_extract(
    plan: Plan,
    cutter: Cutter,
    files: Sequence[InputFile],
    *,
    out: TextIO = sys.stdout,
    progress: TextIO = sys.stderr,
    pause: Callable[[float], None] = time.sleep,
) -> int:
    """Cut every file with the plan's model, ``plan.jobs`` at a time, with a progress
    bar on ``progress`` and the summary on ``out``; write the report, the refused copies
    and the crops the plan asks for. Answers the exit status (130 when interrupted)."""
    model = cutter.resolve_model(plan.model)
    if model.zone_count == 0:
        raise UsageError(f"model '{model.name}' has no zones yet: draw them first")
    if not files:
        out.write(f"no pictures or documents found in {' '.join(plan.paths)}\n")
        return 0
    started = time.monotonic()
    results: dict[int, Result] = {}
    tally = Tally()
    interrupted = False
    bar = progress_bar(progress, len(files), model.name)
    jobs = JobPages(bar, tally)
    pool = ThreadPoolExecutor(max_workers=plan.jobs, thread_name_prefix="extract")
    futures: dict[Future[Result], int] = {}
    try:
        for index, file in enumerate(files):
            told = functools.partial(jobs.told, index)
            futures[pool.submit(_cut_one, cutter, model, plan, file, pause, told)] = index
        for future in as_completed(futures):
            index = futures[future]
            result = _settle(files[index], future.result(), plan)
            results[index] = result
            tally.add(result)
            if result.status != "filed":
                bar.write(f"{result.status}: {files[index].shown}: {result.reason}", file=progress)
            jobs.counts_changed()
            bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
        bar.write("interrupted: finishing the files under way…", file=progress)
        cutter.interrupt()
        pool.shutdown(wait=True, cancel_futures=True)
        for future, index in futures.items():
            if index not in results and future.done() and not future.cancelled():
                results[index] = _settle(files[index], future.result(), plan)
                tally.add(results[index])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    rows = [Row.of(files[index], results[index]) for index in sorted(results)]
    if plan.report is not None:
        write_report(plan.report, rows)
    out.write(tally.summary(len(rows), time.monotonic() - started) + "\n")
    if interrupted:
        out.write(
            f"interrupted after {len(rows)} of {len(files)} files; run the same command "
            "again to go on (nothing is cut twice)\n"
        )
        return EXIT_INTERRUPTED
    return 0 if tally.refused == tally.failed == 0 else 1


def _settle(file: InputFile, result: Result, plan: Plan) -> Result:
    """The file's result once a refused file is copied aside (when the plan says so)."""
    if result.status == "refused" and plan.refused_dir is not None:
        return keep_refused(file, result, plan.refused_dir)
    return result


def _cut_one(
    cutter: Cutter,
    model: ModelRef,
    plan: Plan,
    file: InputFile,
    pause: Callable[[float], None],
    pages_done: PagesDone | None = None,
) -> Result:
    """Read, hash and cut one file (asking again while the server says "later"; a file
    cut as a job tells ``pages_done`` how far it is), then bring its crops home if the
    plan says so. Never raises: a problem is the file's."""
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        return Result("failed", reason=f"cannot read the file: {exc.strerror or exc}")
    key = idempotency_key(hashlib.sha256(data).hexdigest(), model.id, plan.options)
    submission = Submission(file.path.name, data, key)
    try:
        result = cut_with_retries(cutter, model, submission, plan.options, pause, pages_done)
    except Exception as exc:  # one file's trouble must not end the run
        return Result("failed", reason=describe(exc))
    if result.status != "filed" or plan.download_dir is None:
        return result
    try:
        for extraction_id in result.extraction_ids:
            download(cutter, extraction_id, plan.download_dir)
    except (DownloadFailed, OSError) as exc:
        return Result(
            "failed",
            result.extraction_ids,
            result.crops,
            f"filed, but the crops could not be downloaded: {exc}",
        )
    return result


def cut_with_retries(
    cutter: Cutter,
    model: ModelRef,
    submission: Submission,
    options: Options,
    pause: Callable[[float], None] = time.sleep,
    pages_done: PagesDone | None = None,
    attempts: int = ATTEMPTS,
) -> Result:
    """Cut one file, asking again after ``Retry-After`` (or a growing pause) while the
    server is busy, unavailable, still cutting the same file or out of reach."""
    for attempt in range(1, attempts + 1):
        answer = cutter.cut(model, submission, options, pages_done)
        if isinstance(answer, Result):
            return answer
        if attempt < attempts:
            pause(answer.after if answer.after is not None else min(2.0 ** (attempt - 1), 8.0))
    return Result("failed", reason=f"{answer.reason} (gave up after {attempts} attempts)")
