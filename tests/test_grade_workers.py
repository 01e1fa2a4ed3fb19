"""grade's grader processes (comparisons.grading.workers): every task gets exactly one row,
in whatever order they end, and a grader that dies or hangs is a row of its own, replaced,
while the rest of the class is graded.

The verifiers below stand in for the sandboxed verification: they are module-level (the
graders are forked from the warm server and receive them by name) and misbehave on purpose
for the tasks named so: the graders' own code failing, which the sandbox exists to prevent,
is what these rows guard against.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_ctrl_c_stops_the_graders_quietly_and_keeps_the_rows(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group (the parent, the graders): one line, exit 130,
    the rows graded so far kept for a rerun, no grader's traceback, no process left."""
    folder = tmp_path / "class"
    folder.mkdir()
    correct = sorted((Path(__file__).parent / "verify_correct").glob("two_layer_*.py"))
    for i in range(60):
        (folder / f"s{i:02d}.py").write_text(correct[i % len(correct)].read_text())
    rows = tmp_path / "out" / "results.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "comparisons", "grade", str(folder),
                             "--against", "two_layer", "--out", str(tmp_path / "out"),
                             "--jobs", "2", "--no-progress"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (rows.exists() and rows.read_text().count("\n") >= 2):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert out.strip() == "backprop-lab: interrupted", out
    kept = rows.read_text().splitlines()
    assert 2 <= len(kept) < 60 and all(json.loads(line)["status"] == "passed" for line in kept)
    deadline = time.monotonic() + 10
    while running_in_group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running_in_group(proc.pid) == []  # nothing of its group is left running


def running_in_group(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that still run (zombies awaiting their reaper aside),
    read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


EVIL = ("from pathlib import Path\n"
        "Path({marker!r}).write_text('imported in the grader')\n"
        "raise ImportError('not numpy')\n")


@pytest.mark.parametrize("command, extra", [
    ([sys.executable, "-m", "comparisons"], []),
    ([str(Path(sys.executable).with_name("backprop-lab"))], ["--no-isolation"])])
def test_a_numpy_py_in_the_working_folder_never_runs_in_the_grader(
        tmp_path: Path, command: list[str], extra: list[str]) -> None:
    """An instructor grading from a folder that holds a student's ``numpy.py`` (their
    working folder is first on ``sys.path`` under ``python -m``, and the warm server is a
    ``python -c``): neither the grader, the server nor a grader process imports it; the
    relative SUBMISSIONS folder still grades under --no-isolation (its processes work in a
    scratch folder)."""
    if not Path(command[0]).exists():
        pytest.skip("no backprop-lab script beside this interpreter")
    marker = tmp_path / "pwned"
    work = tmp_path / "work"
    (work / "class").mkdir(parents=True)
    (work / "numpy.py").write_text(EVIL.format(marker=str(marker)))
    correct = sorted((Path(__file__).parent / "verify_correct").glob("two_layer_*.py"))[0]
    (work / "class" / "ada.py").write_text(correct.read_text())
    proc = subprocess.run([*command, "grade", "class", "--against", "two_layer", "--out",
                           str(tmp_path / "out"), "--no-progress", *extra], cwd=work,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not marker.exists()
    row = json.loads((tmp_path / "out" / "results.jsonl").read_text().splitlines()[0])
    assert row["status"] == "passed", row


def test_no_isolation_leaves_no_scratch_folder_behind_a_crash(tmp_path: Path) -> None:
    """--no-isolation: a submission that os._exit()s cannot clean its own scratch folder; the
    grader removes it (the temporary folder is empty after the run)."""
    folder, temp = tmp_path / "class", tmp_path / "temp"
    folder.mkdir()
    temp.mkdir()
    correct = sorted((Path(__file__).parent / "verify_correct").glob("two_layer_*.py"))[0]
    (folder / "ada.py").write_text(correct.read_text())
    (folder / "bo.py").write_text(correct.read_text() + "\n\ndef backward(dJ, cache):\n"
                                  "    import os\n    os._exit(0)\n")
    proc = subprocess.run([sys.executable, "-m", "comparisons", "grade", str(folder),
                           "--against", "two_layer", "--out", str(tmp_path / "out"),
                           "--no-progress", "--no-isolation"], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TMPDIR": str(temp)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    statuses = {json.loads(line)["student"]: json.loads(line)["status"]
                for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()}
    assert statuses == {"ada": "passed", "bo": "crashed"}
    assert [p.name for p in temp.glob("backprop-lab-grade-*")] == []
