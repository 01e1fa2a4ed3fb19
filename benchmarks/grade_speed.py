"""How fast ``backprop-lab grade`` grades a class, beside one ``backprop-lab verify`` per file.

    python -m benchmarks.grade_speed [--students 300] [--jobs 2] [--loop 8] [--tiny]

A class of two_layer submissions is written to a temporary folder: every correct variant of
tests/verify_correct, every planted bug of tests/verify_gallery, and a few hostile files (an
exception at import, ``sys.exit`` and ``os._exit`` in the backward, a 20 MB print, one
endless loop under a 2 s ``--timeout``), cycled to ``--students``. Measured in one run:

- ``grade``: the whole command in a fresh process (interpreter, torch import, the sandbox's
  children, every submission, gradebook, feedback and summary written): submissions per
  second; the same with ``--no-isolation`` (a forked process per submission, the verdict
  beside the student's code) for the isolation's cost;
- the loop: ``backprop-lab verify FILE`` in a fresh process for ``--loop`` of the files,
  its mean seconds per file extrapolated to the class; the ratio of the two throughputs;
- per submission: the mean time of a row (sandboxed: the child, every call's round trip and
  the verification) beside the mean in-process ``verify_file`` time of the same files;
- the isolation's own cost: the same files verified in this process, each in turn with
  ``verify_file`` and with ``verify_isolated`` (warm ``Spares``): the mean difference of wall
  time, and of CPU time (this process's, plus the child's from ``/proc`` on Linux).

Targets: >= 20 submissions/s with ``--jobs 2`` and >= 50x the loop. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from comparisons.verification.isolation import Limits, Spares, verify_isolated
from comparisons.verification.loader import verify_file
from comparisons.verification.sandbox.process import Sandbox

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 20.0
TARGET_RATIO = 50.0
HEAD = "OP = 'two_layer'\ndef forward(X, Y, W1, W2, lam):\n    return (X @ W1.T).sum(), X\n"
HOSTILE = {
    "import_raises": "raise ImportError('half-written file')\n",
    "sys_exit": HEAD + "def backward(dJ, cache):\n    import sys\n    sys.exit(0)\n",
    "os_exit": HEAD + "def backward(dJ, cache):\n    import os\n    os._exit(0)\n",
    "print_flood": HEAD + "def backward(dJ, cache):\n    print('x' * 20_000_000)\n"
                          "    return {}\n",
}
HANG = HEAD + "def backward(dJ, cache):\n    while True:\n        pass\n"


def sources() -> list[tuple[str, str]]:
    """(kind, text) of every distinct submission: correct, each planted bug, hostile."""
    found = [("correct", p.read_text())
             for p in sorted((ROOT / "tests" / "verify_correct").glob("two_layer_*.py"))]
    found += [("bug", p.read_text())
              for p in sorted((ROOT / "tests" / "verify_gallery").glob("two_layer_*.py"))]
    return found + [("hostile", text) for text in HOSTILE.values()]


def write_class(folder: Path, students: int, hang: bool) -> list[Path]:
    """``students`` files cycling through :func:`sources` (one endless loop if ``hang``)."""
    folder.mkdir(parents=True)
    pool = sources()
    paths = []
    for i in range(students):
        text = HANG if hang and i == students // 2 else pool[i % len(pool)][1]
        path = folder / f"s{i:04d}.py"
        path.write_text(text)
        paths.append(path)
    return paths


def time_grade(folder: Path, out: Path, jobs: int,
               *extra: str) -> tuple[float, list[dict[str, Any]]]:
    """Seconds of one whole ``grade`` command, and its rows."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "comparisons", "grade", str(folder), "--against",
                    "two_layer", "--out", str(out), "--jobs", str(jobs), "--timeout", "2",
                    "--no-progress", *extra], check=True, capture_output=True, timeout=1800)
    seconds = time.perf_counter() - start
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return seconds, rows


def time_loop(paths: list[Path]) -> float:
    """Mean seconds of one ``backprop-lab verify FILE`` process over ``paths``."""
    runs = []
    for path in paths:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "comparisons", "verify", str(path), "--against",
                        "two_layer"], capture_output=True, timeout=120)
        runs.append(time.perf_counter() - start)
    return statistics.mean(runs)


def in_process_seconds(paths: list[Path]) -> float:
    """Mean in-process verify_file seconds of the correct and buggy files among ``paths``."""
    verify_file(paths[0], "two_layer")  # first call's one-off costs left out
    runs = []
    for path in paths:
        start = time.perf_counter()
        verify_file(path, "two_layer")
        runs.append(time.perf_counter() - start)
    return statistics.mean(runs)


def child_cpu(sandbox: Sandbox) -> float:
    """CPU seconds the sandbox's child used so far (0 where /proc cannot tell)."""
    try:
        stat = Path(f"/proc/{sandbox.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


class MeasuredSpares(Spares):
    """Spares whose children record their CPU time (``child_cpu``) when they are closed."""

    def __init__(self) -> None:
        super().__init__(1)
        self.child_cpu: list[float] = []

    def take(self, limits: Limits) -> Sandbox:
        """A started child, measured as it closes."""
        sandbox = super().take(limits)
        close = sandbox.close

        def measured_close() -> None:
            self.child_cpu.append(child_cpu(sandbox))
            close()

        sandbox.close = measured_close  # type: ignore[method-assign]
        return sandbox


def isolation_cost(paths: list[Path]) -> dict[str, float]:
    """Mean wall and CPU seconds of ``verify_file`` and of ``verify_isolated`` (warm spares)
    over ``paths``, each file in turn both ways (a load that drifts hits both alike)."""
    wall = {"in": 0.0, "iso": 0.0}
    cpu = {"in": 0.0, "iso": 0.0}
    spares = MeasuredSpares()
    with spares:
        verify_isolated(paths[0], "two_layer", spares=spares)  # one-off costs left out
        spares.child_cpu.clear()
        for path in paths:
            for key in ("in", "iso"):
                start, clock = time.perf_counter(), time.process_time()
                if key == "in":
                    verify_file(path, "two_layer")
                else:
                    verify_isolated(path, "two_layer", spares=spares)
                wall[key] += time.perf_counter() - start
                cpu[key] += time.process_time() - clock
    n = len(paths)
    return {"in_wall": wall["in"] / n, "iso_wall": wall["iso"] / n, "in_cpu": cpu["in"] / n,
            "parent_cpu": cpu["iso"] / n, "child_cpu": sum(spares.child_cpu) / n}


def main(argv: list[str] | None = None) -> int:
    """Print the measurements; exit 0 (a missed target is reported, not an error)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--loop", type=int, default=8, help="files run as verify processes")
    parser.add_argument("--tiny", action="store_true", help="20 students, 2 loop files")
    args = parser.parse_args(argv)
    students, loop_n = (20, 2) if args.tiny else (args.students, args.loop)
    with tempfile.TemporaryDirectory(prefix="grade-speed-") as tmp:
        paths = write_class(Path(tmp) / "class", students, hang=not args.tiny)
        seconds, rows = time_grade(Path(tmp) / "class", Path(tmp) / "out", args.jobs)
        bare, _ = time_grade(Path(tmp) / "class", Path(tmp) / "bare", args.jobs,
                             "--no-isolation")
        plain = [p for p, s in zip(paths, range(students)) if s % len(sources()) < 20]
        loop = time_loop(plain[:loop_n])
        verified = {r["file"] for r in rows if r["status"] in ("passed", "failed")}
        forked = statistics.mean(r["elapsed"] for r in rows if r["file"] in verified)
        inside = in_process_seconds([p for p in plain[:40] if str(p) in verified])
        cost = isolation_cost([p for p in plain[:40] if str(p) in verified])
        shutil.rmtree(Path(tmp) / "out", ignore_errors=True)
    rate, loop_rate = students / seconds, 1.0 / loop
    statuses = {s: sum(r["status"] == s for r in rows) for s in sorted({r["status"] for r in rows})}
    print(f"grade --jobs {args.jobs}: {students} submissions in {seconds:.1f} s = {rate:.1f}/s "
          f"(target >= {TARGET_RATE:g}: {'met' if rate >= TARGET_RATE else 'NOT met'}); "
          f"statuses {statuses}")
    print(f"loop of verify processes: {loop:.2f} s per file over {loop_n} files = "
          f"{loop_rate:.2f}/s, {students * loop:.0f} s extrapolated to the class")
    print(f"ratio grade / loop: {rate / loop_rate:.0f}x (target >= {TARGET_RATIO:g}: "
          f"{'met' if rate / loop_rate >= TARGET_RATIO else 'NOT met'})")
    print(f"--no-isolation (a forked process per submission, the verdict beside the code): "
          f"{students / bare:.1f}/s, {(seconds - bare) / students * 1000:+.0f} ms of wall time "
          f"per submission for the sandbox over it")
    print(f"per submission (sandboxed row): {forked * 1000:.0f} ms vs {inside * 1000:.0f} ms "
          f"in-process verify_file")
    ms = {k: v * 1000 for k, v in cost.items()}
    print(f"the isolation's own cost per submission (same files, same process, in turn): "
          f"wall {ms['iso_wall']:.0f} ms isolated vs {ms['in_wall']:.0f} ms in-process "
          f"(+{ms['iso_wall'] - ms['in_wall']:.0f} ms); CPU {ms['parent_cpu']:.0f} ms parent + "
          f"{ms['child_cpu']:.0f} ms child vs {ms['in_cpu']:.0f} ms in-process "
          f"(+{ms['parent_cpu'] + ms['child_cpu'] - ms['in_cpu']:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
