"""A submission verified in a forked process of its own, under a wall-time limit.

The processes are forked from a warm server (:mod:`comparisons.grading.server`, where the
server has imported NumPy, torch and the verification once): a fresh process per submission
costs a fork, not an ``import torch``, and nothing one student's code does to its process
(patching numpy, the report class, ``atexit`` hooks) reaches the next student's.

The caller enforces the limit: a submission still running after ``timeout`` seconds is
killed and is a ``timeout`` row ("exceeded 10 s"); a process that ends without sending a
result (``os._exit``, a segfault, the memory killer) is a ``crashed`` row with its exit code.
The grader keeps going either way. The child's stdout and stderr go to ``os.devnull`` (an
output flood costs nothing) and it works in a temporary directory of its own.

What this does not do (the sandbox does, :mod:`comparisons.grading.runner` uses it for every
item): the verdict is computed in the child, beside the student's code, so code that
forges its own report can forge its own grade (never another student's); no memory, CPU,
process, file or network limit is set, and no import is refused (``no_import``). It serves
``grade --no-isolation`` (and every item on Windows).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import torch

from comparisons.core.errors import UsageError
from comparisons.grading.labs import grade_lab
from comparisons.grading.server import start
from comparisons.verification.conventions.run import verify_convention_file
from comparisons.verification.loader import verify_file
from comparisons.verification.variants import Variant, applied

LINGER = 5.0
"""Seconds a process that sent its result may take to exit before it is killed."""


@dataclass(frozen=True)
class Task:
    """One verification: ``path`` against ``op`` (or under ``convention``, or the exercises
    ``checks`` of ``lab``) with the item's ``seed`` and ``dtype``, under the student's
    ``variant`` (None: the shipped cases; ``bias_varies``: the item's ``bias = "variant"``)."""

    key: str
    path: Path
    op: str
    dtype: str
    seed: int
    convention: str | None = None
    lab: str | None = None
    checks: tuple[str, ...] = ()
    variant: Variant | None = None
    bias_varies: bool = False


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


def _child(conn: Connection, task: Task, scratch: str) -> None:
    """The process of one submission: quiet, in its scratch folder (the parent's: it removes
    it however the process ends), one thread; sends the result (the parent kills a process
    that lingers after its result)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        torch.set_num_threads(1)
        with applied(task.variant, bias_varies=task.bias_varies):
            os.chdir(scratch)
            if task.lab is not None:
                result = grade_lab(task.path, task.lab, task.checks,
                                   functools.partial(verify_file, dtype=task.dtype,
                                                     seed=task.seed))
            else:
                result = grade_one(task.path, task.op, task.dtype, task.seed, task.convention)
    except BaseException as exc:  # the grader's own failure in this process, said as such
        result = {"status": "error", "reason": f"the grader failed: {type(exc).__name__}"}
    conn.send(result)
    conn.close()  # multiprocessing then ends the process without running atexit hooks


def _noop() -> None:
    """Started once so that the fork server (and its imports) exist before the clock runs."""


@dataclass
class Running:
    """A submission's process, its pipe, its task, its scratch folder and when it started."""

    task: Task
    process: Any
    conn: Connection
    start: float
    scratch: str


def _start(ctx: Any, task: Task) -> Running:
    receive, send = ctx.Pipe(duplex=False)
    scratch = tempfile.mkdtemp(prefix="backprop-lab-grade-")
    process = ctx.Process(target=_child, args=(send, task, scratch), daemon=True)
    process.start()
    send.close()
    return Running(task, process, receive, time.perf_counter(), scratch)


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


def run_forked(ctx: Any, task: Task, timeout: float) -> dict[str, Any]:
    """Run one task in its own forked process and wait for it (at most ``timeout`` s)."""
    run = _start(ctx, task)
    exiting: list[tuple[Any, float]] = []
    try:
        while True:
            left = run.start + timeout - time.perf_counter()
            wait([run.conn, run.process.sentinel], timeout=max(0.0, left) + 0.01)
            result = _finish(run, timeout, exiting)
            if result is not None:
                return result
    finally:
        run.conn.close()
        _reap(exiting, wait_all=True)
        if run.process.is_alive():
            run.process.kill()
            run.process.join(5)
        shutil.rmtree(run.scratch, ignore_errors=True)  # also after os._exit or a crash


def warm_context() -> Any:
    """The fork server's context, started and ready (its imports done)."""
    ctx = start()
    warm = ctx.Process(target=_noop)
    warm.start()
    warm.join()
    return ctx
