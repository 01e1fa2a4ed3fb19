"""Each submission verified in its own process, ``jobs`` at a time, under a wall-time limit.

The processes are forked from a warm server (:mod:`comparisons.grading.server`, where the
server has imported NumPy, torch and the verification once): a fresh process per submission
costs a fork, not an ``import torch``, and nothing one student's code does to its process
(patching numpy, the report class, ``atexit`` hooks) reaches the next student's.

The parent enforces the limit: a submission still running after ``timeout`` seconds is
killed and is a ``timeout`` row ("exceeded 10 s"); a process that ends without sending a
result (``os._exit``, a segfault, the memory killer) is a ``crashed`` row with its exit code.
The grader keeps going either way. The child's stdout and stderr go to ``os.devnull`` (an
output flood costs nothing) and it works in a temporary directory of its own.

What this does not do (the sandbox of ``comparisons.verification``'s isolation work does):
the verdict is still computed in the child, beside the student's code, so code that forges
its own report can forge its own grade (never another student's); no memory, CPU, process,
file or network limits are set here.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import torch

from comparisons.core.errors import UsageError
from comparisons.grading.server import start
from comparisons.verification.conventions.run import verify_convention_file
from comparisons.verification.loader import verify_file

LINGER = 5.0
"""Seconds a process that sent its result may take to exit before it is killed."""


@dataclass(frozen=True)
class Task:
    """One verification: ``path`` against ``op`` (or under ``convention``) with the item's
    ``seed`` and ``dtype``."""

    key: str
    path: Path
    op: str
    dtype: str
    seed: int
    convention: str | None = None


def grade_one(path: Path, op: str, dtype: str, seed: int,
              convention: str | None = None) -> dict[str, Any]:
    """Verify one file (in the calling process) and return plain data for the parent:
    ``{"status": "verified", "report": JSON, "text": str}`` or, when verify cannot load it
    (a syntax error, no forward), ``{"status": "error", "reason": one line}``. A convention's
    report is its JSON (``"functions"``, one section each)."""
    try:
        if convention is not None:
            report: Any = verify_convention_file(path, convention, dtype=dtype, seed=seed)
        else:
            report = verify_file(path, op, dtype=dtype, seed=seed)
    except UsageError as exc:
        return {"status": "error", "reason": str(exc)}
    return {"status": "verified", "report": report.to_json(), "text": str(report)}


def _child(conn: Connection, task: Task) -> None:
    """The process of one submission: quiet, in a scratch folder, one thread; sends the result
    (the parent kills a process that lingers after its result)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory(prefix="backprop-lab-grade-") as scratch:
            os.chdir(scratch)
            result = grade_one(task.path, task.op, task.dtype, task.seed, task.convention)
    except BaseException as exc:  # the grader's own failure in this process, said as such
        result = {"status": "error", "reason": f"the grader failed: {type(exc).__name__}"}
    conn.send(result)
    conn.close()  # multiprocessing then ends the process without running atexit hooks


def _noop() -> None:
    """Started once so that the fork server (and its imports) exist before the clock runs."""


@dataclass
class Running:
    """A submission's process, its pipe, its task and when it started."""

    task: Task
    process: Any
    conn: Connection
    start: float


def _start(ctx: Any, task: Task) -> Running:
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(send, task), daemon=True)
    process.start()
    send.close()
    return Running(task, process, receive, time.perf_counter())


def _crashed(run: Running) -> dict[str, Any]:
    run.process.join(1)
    if run.process.is_alive():  # it closed its pipe and went on
        run.process.kill()
        run.process.join(5)
    return {"status": "crashed", "reason": f"the process ended (exit code "
            f"{run.process.exitcode}) without a report: os._exit, a crash or a kill"}


def _finish(run: Running, timeout: float, exiting: list[tuple[Any, float]]
            ) -> dict[str, Any] | None:
    """The result when ``run`` is over (done, dead or out of time), else None. A process that
    sent its result is left to exit on its own (``exiting``: reaped later, not waited for)."""
    if not run.conn.poll() and run.process.is_alive():
        if time.perf_counter() - run.start <= timeout:
            return None
        run.process.kill()
        run.process.join(5)
        return {"status": "timeout", "reason": f"exceeded {timeout:g} s (wall time)"}
    if run.conn.poll():  # its result, or the end of the pipe of a process that is gone
        try:
            result: dict[str, Any] = run.conn.recv()
        except (EOFError, OSError):
            return _crashed(run)
        exiting.append((run.process, time.perf_counter() + LINGER))
        return result
    return _crashed(run)


def _reap(exiting: list[tuple[Any, float]], wait_all: bool = False) -> None:
    """Join the processes that have exited; kill those lingering past their time."""
    for item in list(exiting):
        process, deadline = item
        if wait_all:
            process.join(max(0.0, deadline - time.perf_counter()))
        if process.is_alive() and time.perf_counter() > deadline:
            process.kill()
        if not process.is_alive():
            process.join()
            exiting.remove(item)


def run_tasks(tasks: Iterable[Task], jobs: int, timeout: float,
              on_done: Callable[[Task, dict[str, Any], float], None]) -> None:
    """Run every task, ``jobs`` processes at a time; ``on_done(task, result, seconds)`` in the
    parent as each one ends, in completion order."""
    ctx = start()
    warm = ctx.Process(target=_noop)
    warm.start()
    warm.join()
    pending = list(tasks)[::-1]
    running: list[Running] = []
    exiting: list[tuple[Any, float]] = []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                running.append(_start(ctx, pending.pop()))
            now = time.perf_counter()
            soonest = min(r.start + timeout - now for r in running)
            wait([r.conn for r in running] + [r.process.sentinel for r in running],
                 timeout=max(0.0, soonest) + 0.01)
            _reap(exiting)
            for run in list(running):
                result = _finish(run, timeout, exiting)
                if result is not None:
                    running.remove(run)
                    run.conn.close()
                    on_done(run.task, result, time.perf_counter() - run.start)
        _reap(exiting, wait_all=True)
    finally:
        for run in running:  # interrupted: leave no process behind
            run.process.kill()
        for process, _ in exiting:
            process.kill()
