"""Each submission verified in its own process, ``jobs`` at a time, under a wall-time limit.

The processes are forked from a warm server (multiprocessing's ``forkserver``, where the
server has imported NumPy, torch and the verification once): a fresh process per submission
costs a fork, not an ``import torch``, and nothing one student's code does to its process
(patching numpy, the report class, ``atexit`` hooks) reaches the next student's. Where
``forkserver`` does not exist (Windows) the processes are spawned (correct, slower).

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

import multiprocessing
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
from comparisons.verification.conventions.run import verify_convention_file
from comparisons.verification.loader import verify_file

WARM_MODULES = ["numpy", "torch", "comparisons.verification.loader",
                "comparisons.verification.conventions.run", "comparisons.grading.pool"]
"""What the fork server imports once, before any submission's process is forked from it."""


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


def context() -> Any:
    """The multiprocessing context: a warm fork server where there is one, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(WARM_MODULES)
        return ctx
    return multiprocessing.get_context("spawn")


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


def _finish(run: Running, timeout: float) -> dict[str, Any] | None:
    """The result when ``run`` is over (done, dead or out of time), else None."""
    if run.conn.poll():
        try:
            result: dict[str, Any] = run.conn.recv()
        except (EOFError, OSError):
            run.process.join(5)
            result = {"status": "crashed", "reason": f"the process ended (exit code "
                      f"{run.process.exitcode}) without a report: os._exit, a crash or a kill"}
        run.process.join(5)
        if run.process.is_alive():
            run.process.kill()
        return result
    if not run.process.is_alive():
        code = run.process.exitcode
        return {"status": "crashed", "reason": f"the process ended (exit code {code}) without "
                                               f"a report: os._exit, a crash or a kill"}
    if time.perf_counter() - run.start > timeout:
        run.process.kill()
        run.process.join(5)
        return {"status": "timeout", "reason": f"exceeded {timeout:g} s (wall time)"}
    return None


def run_tasks(tasks: Iterable[Task], jobs: int, timeout: float,
              on_done: Callable[[Task, dict[str, Any], float], None]) -> None:
    """Run every task, ``jobs`` processes at a time; ``on_done(task, result, seconds)`` in the
    parent as each one ends, in completion order."""
    ctx = context()
    warm = ctx.Process(target=_noop)
    warm.start()
    warm.join()
    pending = list(tasks)[::-1]
    running: list[Running] = []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                running.append(_start(ctx, pending.pop()))
            now = time.perf_counter()
            soonest = min(r.start + timeout - now for r in running)
            wait([r.conn for r in running] + [r.process.sentinel for r in running],
                 timeout=max(0.0, soonest) + 0.01)
            for run in list(running):
                result = _finish(run, timeout)
                if result is not None:
                    running.remove(run)
                    run.conn.close()
                    on_done(run.task, result, time.perf_counter() - run.start)
    finally:
        for run in running:  # interrupted: leave no process behind
            run.process.kill()
