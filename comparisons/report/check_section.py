"""The check-suite section of the demo: the table as text and JSON under the output folder.

The report shows the table (one row per op, tensor and witness: a few hundred lines) collapsed
behind its one-line summary, so the pictures come first.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from comparisons.check.suite import format_table, run_suite
from comparisons.core.io import write_json

LABELS = {"rows": "checks run (op × tensor × witness)", "failed": "checks failed"}


def run_section(out: Path, *, quiet: bool = False, seed: int = 0) -> dict[str, Any]:
    """Run the float64 suite; write ``check.txt`` and ``check.json``; return the summary."""
    result = run_suite("float64", seed, progress=not quiet and sys.stderr.isatty())
    table = format_table(result)
    (out / "check.txt").write_text(table + "\n")
    write_json(out / "check.json", result.to_json())
    if not quiet:
        print(table.splitlines()[-1])
    n_fail = sum(not c.passed for c in result.checks)
    return {"passed": result.passed, "rows": len(result.checks), "failed": n_fail,
            "files": ["check.txt", "check.json"], "command": f"backprop-lab check --seed {seed}",
            "folded": {"check.txt": summary_line(len(result.checks) - n_fail, n_fail)},
            "labels": LABELS}


def summary_line(passed: int, failed: int) -> str:
    """The line the check table is collapsed behind: ``check: N passed, M failed``."""
    return f"check: {passed} passed, {failed} failed"
