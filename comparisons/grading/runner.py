"""Every task of a run, ``jobs`` at a time, each in the process it belongs in.

- A built-in op's item: :func:`comparisons.verification.isolation.verify_isolated`, the
  student's file in a sandboxed child (its limits: ``total_timeout`` the rubric's timeout,
  ``call_timeout`` at most 10 s, memory, CPU, output, and ``no_import``), forked ahead by a
  shared :class:`~comparisons.verification.isolation.Spares`; the verdict is computed here, in
  the grader, which alone holds the reference, the tolerances and the diagnosis: nothing the
  student's code does can change it.
- A convention's item likewise, through
  :func:`comparisons.verification.conventions.isolated.verify_convention_isolated`.
- A lab's item: :func:`comparisons.grading.labs.grade_lab`, its plain ``comparisons.verify``
  checks through ``verify_isolated``, its other checks run in the grader with the student's
  functions in one sandboxed child per student and lab.
- Sandboxed items are graded by ``jobs`` grader processes
  (:class:`~comparisons.grading.workers.Graders`), each with its own spares: the grader's own
  Python (the reference, finite differences, the diagnosis) holds the GIL, so threads of one
  process could verify only one submission at a time.
- Every item with ``isolated=False`` (``grade --no-isolation``), and all of them on Windows
  (the sandbox is POSIX only): :func:`comparisons.grading.pool.run_forked`, a forked process
  of its own whose wall time the grader limits (no other limit: ``no_import`` cannot be
  applied there, and ``grade`` refuses ``--no-import`` with ``--no-isolation``; on Windows
  it is not applied).

Unsandboxed, one thread per job waits on its forked process (the GIL is free while it waits).
Either way ``on_done`` runs in the calling thread, in completion order, so rows are appended
by one writer.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any

from comparisons.core.errors import UsageError
from comparisons.grading.labs import grade_lab
from comparisons.grading.pool import Task, run_forked, warm_context
from comparisons.grading.workers import Graders
from comparisons.verification.conventions.isolated import verify_convention_isolated
from comparisons.verification.isolation import Limits, Spares, verify_isolated
from comparisons.verification.variants import applied

CALL_TIMEOUT = 10.0
"""The longest one call into a student's code may take (less when the timeout is shorter)."""
SANDBOX = sys.platform != "win32"


def limits_for(timeout: float, no_import: tuple[str, ...] = ()) -> Limits:
    """The sandbox's limits for a submission under the run's wall-time ``timeout``."""
    return Limits(call_timeout=min(CALL_TIMEOUT, timeout), total_timeout=timeout,
                  no_import=no_import)


def isolated_one(task: Task, limits: Limits, spares: Spares | None) -> dict[str, Any]:
    """Verify one file in the sandbox; plain data as :func:`~comparisons.grading.pool.grade_one`
    returns it (a limit hit is in the report's ``error``)."""
    if task.lab is not None:
        return grade_lab(task.path, task.lab, task.checks,
                         functools.partial(verify_isolated, dtype=task.dtype, seed=task.seed,
                                           limits=limits, spares=spares),
                         limits=limits, spares=spares)
    try:
        if task.convention is not None:
            report: Any = verify_convention_isolated(task.path, task.convention,
                                                     dtype=task.dtype, seed=task.seed,
                                                     limits=limits, spares=spares)
        else:
            report = verify_isolated(task.path, task.op, dtype=task.dtype, seed=task.seed,
                                     limits=limits, spares=spares)
    except UsageError as exc:
        return {"status": "error", "reason": str(exc)}
    return {"status": "verified", "report": report.to_json(), "text": str(report)}


def sandboxed_row(task: Task, limits: Limits, spares: Spares) -> dict[str, Any]:
    """One sandboxed task in a grader process: :func:`isolated_one` under the task's variant
    (the verdict, computed here, checks the variant)."""
    with applied(task.variant, bias_varies=task.bias_varies):
        return isolated_one(task, limits, spares)


def run_tasks(tasks: Sequence[Task], jobs: int, timeout: float,
              on_done: Callable[[Task, dict[str, Any], float], None], *,
              isolated: bool = True, no_import: tuple[str, ...] = ()) -> None:
    """Run every task, ``jobs`` at a time; ``on_done(task, result, seconds)`` as each ends."""
    limits = limits_for(timeout, no_import)
    if isolated and SANDBOX:
        with Graders(min(jobs, len(tasks)) or 1, sandboxed_row, limits) as graders:
            graders.run(tasks, on_done)
        return
    ctx = warm_context()

    def one(task: Task) -> tuple[dict[str, Any], float]:
        start = time.perf_counter()
        result = run_forked(ctx, task, timeout)
        return result, time.perf_counter() - start

    pool = ThreadPoolExecutor(jobs, thread_name_prefix="grade")
    futures: dict[Future[tuple[dict[str, Any], float]], Task] = {
        pool.submit(one, t): t for t in tasks}
    try:
        for future in as_completed(futures):
            result, seconds = future.result()
            on_done(futures[future], result, seconds)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
