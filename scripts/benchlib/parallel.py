"""Run one task in several processes at once, each with its own database connection.

Processes are forked after the parent closed its connections, get ready apart (their
inputs loaded, connected), then start together at a barrier. Each times itself on the
monotonic clock every process shares, so the wall time is from the first start to the
last end, without the parent's bookkeeping. Whatever ends the wait (an error, Ctrl+C),
no process outlives it: each is terminated, then killed, so none keeps a connection to
the scratch database.
"""

import logging
import multiprocessing
import queue
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections

START_WITHIN_SECONDS = 600
FINISH_WITHIN_SECONDS = 3 * 3600
POLL_SECONDS = 1.0
STOP_WITHIN_SECONDS = 5


@dataclass(frozen=True)
class Outcome:
    values: list[Any]
    wall: float
    # Log records at WARNING or above (lock conflicts retried, steps skipped), by message.
    warnings: Counter = field(default_factory=Counter)


class _WarningCounter(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: Counter = Counter()

    def emit(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is still a warning
            message = str(record.msg)
        self.messages[f"{record.name}: {message.splitlines()[0][:120]}"] += 1


def _child(task, prepare, item, barrier, results) -> None:
    # The parent stops a child with SIGTERM: die at once, the connection dropped with it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    counter = _WarningCounter()
    logging.getLogger().addHandler(counter)
    try:
        state = prepare(item) if prepare else item
        connection.ensure_connection()
        barrier.wait(timeout=START_WITHIN_SECONDS)
        started = time.perf_counter()
        value = task(state)
        ended = time.perf_counter()
        results.put(("ok", value, started, ended, counter.messages))
    except BaseException:  # reported to the parent, whatever it was
        barrier.abort()
        results.put(("error", traceback.format_exc(), 0.0, 0.0, counter.messages))
    finally:
        connections.close_all()


def _collect(processes, results) -> list[tuple]:
    """One report per process; an error if a process died without one."""
    reports = []
    deadline = time.monotonic() + FINISH_WITHIN_SECONDS
    while len(reports) < len(processes):
        try:
            reports.append(results.get(timeout=POLL_SECONDS))
            continue
        except queue.Empty:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"benchmark processes still running after {FINISH_WITHIN_SECONDS} s")
        if all(not process.is_alive() for process in processes):
            # A report may still be in the pipe after its process ended.
            try:
                reports.append(results.get(timeout=POLL_SECONDS))
            except queue.Empty:
                codes = [process.exitcode for process in processes]
                raise RuntimeError(f"a benchmark process died without a report: {codes}") from None
    return reports


def _stop(processes) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=STOP_WITHIN_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


def run_in_processes(
    task: Callable[[Any], Any], items: list[Any], *, prepare: Callable[[Any], Any] | None = None
) -> Outcome:
    """`task(prepare(item))` in one process per item, all started at once."""
    context = multiprocessing.get_context("fork")
    connections.close_all()
    barrier = context.Barrier(len(items))
    results = context.Queue()
    processes = [
        context.Process(target=_child, args=(task, prepare, item, barrier, results))
        for item in items
    ]
    try:
        for process in processes:
            process.start()
        reports = _collect(processes, results)
        for process in processes:
            process.join(timeout=60)
    finally:
        _stop(processes)
    errors = [report[1] for report in reports if report[0] == "error"]
    if errors:
        raise RuntimeError("a benchmark process failed:\n" + "\n".join(errors))
    warnings = Counter()
    for report in reports:
        warnings.update(report[4])
    return Outcome(
        values=[report[1] for report in reports],
        wall=max(report[3] for report in reports) - min(report[2] for report in reports),
        warnings=warnings,
    )
