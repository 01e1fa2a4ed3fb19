"""Whole-process wall time of ``backprop-lab check`` and ``backprop-lab verify FILE``, as a user
runs them (interpreter start, imports, argument parsing included), beside a bare
``python -c "import torch"`` process, the floor that every command pays.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import verify_speed
from comparisons.cli.main import SUBCOMMANDS

ROOT = Path(__file__).resolve().parent.parent
VERIFY_EXAMPLES = ROOT / "comparisons" / "verify" / "examples"


def time_process(args: list[str], runs: int) -> dict[str, Any]:
    """Median wall seconds of ``python ARGS`` over ``runs`` runs, and the last exit code."""
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, *args], capture_output=True, cwd=ROOT,
                              check=False, timeout=600)
        times.append(time.perf_counter() - start)
        code = proc.returncode
    return {"command": " ".join(["python", *args]), "seconds": statistics.median(times),
            "runs": runs, "exit_code": code}


def verify_example() -> Path | None:
    """The file ``verify`` is timed on: verify_speed's example if present, else the first
    file in comparisons/verification/examples/; None when there is none."""
    try:
        preferred: Path | None = Path(verify_speed.EXAMPLE)
    except AttributeError:
        preferred = None
    if preferred is not None and preferred.is_file():
        return preferred
    found = sorted(VERIFY_EXAMPLES.glob("*.py")) if VERIFY_EXAMPLES.is_dir() else []
    return found[0] if found else None


def bench_processes(runs: int) -> dict[str, Any]:
    """check, verify (or a note why not), and the bare torch import, each a fresh process."""
    out: dict[str, Any] = {
        "import_torch": time_process(["-c", "import torch"], runs),
        "check": time_process(["-m", "comparisons", "check", "--quiet"], runs),
    }
    example = verify_example()
    if "verify" not in SUBCOMMANDS:
        out["verify"] = {"skipped": "backprop-lab has no verify subcommand yet"}
    elif example is None:
        out["verify"] = {"skipped": f"no example file in {VERIFY_EXAMPLES.relative_to(ROOT)}"}
    else:
        rel = example.relative_to(ROOT) if example.is_relative_to(ROOT) else example
        out["verify"] = time_process(["-m", "comparisons", "verify", str(rel)], runs)
    return out
