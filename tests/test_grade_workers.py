"""grade's grader processes (comparisons.grading.workers): every task gets exactly one row,
in whatever order they end, and a grader that dies or hangs is a row of its own, replaced,
while the rest of the class is graded.

The verifiers below stand in for the sandboxed verification: they are module-level (the
graders are forked from the warm server and receive them by name) and misbehave on purpose
for the tasks named so: the graders' own code failing, which the sandbox exists to prevent,
is what these rows guard against.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from comparisons.grading.pool import Task
from comparisons.grading.workers import Graders, deadline
from comparisons.verification.isolation import Limits, Spares

LIMITS = Limits(call_timeout=0.5, total_timeout=0.5)


def pid_row(task: Task, limits: Limits, spares: Spares) -> dict[str, Any]:
    """A row naming the grader process it was computed in (and the task's seed, doubled)."""
    if task.key == "dies":
        os._exit(3)
    if task.key == "hangs":
        time.sleep(60)
    if task.key == "raises":
        raise RuntimeError("a bug of ours")
    return {"status": "verified", "pid": os.getpid(), "twice": 2 * task.seed}


def tasks(*keys: str) -> list[Task]:
    return [Task(k, Path(f"/nowhere/{k}.py"), "linear", "float64", i)
            for i, k in enumerate(keys)]


def graded(keys: list[str], jobs: int, slack: float = 30.0) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}

    def done(task: Task, row: dict[str, Any], seconds: float) -> None:
        assert task.key not in rows  # one row per task
        assert seconds >= 0.0
        rows[task.key] = row

    with Graders(jobs, pid_row, LIMITS, slack=slack) as graders:
        graders.run(tasks(*keys), done)
    return rows


def test_every_task_is_one_row_computed_in_the_graders_not_here() -> None:
    keys = [f"s{i}" for i in range(12)]
    rows = graded(keys, jobs=2)
    assert set(rows) == set(keys)
    assert all(rows[k]["twice"] == 2 * i for i, k in enumerate(keys))  # each its own task
    pids = {rows[k]["pid"] for k in keys}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2  # at most one process per job


def test_a_grader_that_dies_is_that_tasks_row_and_is_replaced() -> None:
    rows = graded(["a", "dies", "b", "c", "d"], jobs=1)
    assert rows["dies"]["status"] == "error"
    assert "exit code 3" in rows["dies"]["reason"]
    assert all(rows[k]["status"] == "verified" for k in "abcd")
    assert rows["a"]["pid"] != rows["b"]["pid"]  # the one job's grader was replaced


def test_a_grader_failing_is_said_as_the_graders_failure() -> None:
    rows = graded(["raises", "a"], jobs=1)
    assert rows["raises"] == {"status": "error",
                              "reason": "the grader failed: RuntimeError: a bug of ours"}
    assert rows["a"]["status"] == "verified"


def test_a_stuck_grader_is_killed_past_its_deadline() -> None:
    start = time.perf_counter()
    rows = graded(["hangs", "a", "b"], jobs=2, slack=1.0)
    assert time.perf_counter() - start < 30  # not the 60 s the grader would sleep
    assert rows["hangs"]["status"] == "timeout"
    assert "did not end it" in rows["hangs"]["reason"]
    assert rows["a"]["status"] == rows["b"]["status"] == "verified"


@pytest.mark.parametrize("checks, expected", [((), 0.5 + 30.0), (("x", "y"), 1.5 + 30.0)])
def test_the_deadline_allows_each_exercise_its_own_timeout(checks: tuple[str, ...],
                                                           expected: float) -> None:
    task = Task("k", Path("x.py"), "linear", "float64", 0, lab="01", checks=checks)
    assert deadline(task, LIMITS) == pytest.approx(expected)
