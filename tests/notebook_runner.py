"""Running the course notebooks in the tests: solutions substituted, then each exercise as shipped.

Solutions live in ``notebooks/solutions/NAME.py``: blocks opened by ``# %% solution ID``, each
the source that replaces exercise cell ID (:func:`load_solutions`, :func:`with_solutions`).
:func:`run_notebook` executes a notebook headless with this interpreter's ipykernel (nbclient;
the dev extra), then re-runs every exercise *as shipped* followed by its checks in the same
kernel, so one run shows both the solved and the unsolved verdicts.
"""

from __future__ import annotations

import copy
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comparisons.labs.checks import STATUS

SOLUTION = re.compile(r"^# %% solution (?P<id>[\w-]+)[ \t]*$", re.MULTILINE)


def load_solutions(path: str | Path) -> dict[str, str]:
    """Solution source per exercise id from a ``# %% solution ID`` file (ValueError on dupes)."""
    text = Path(path).read_text(encoding="utf-8")
    parts = SOLUTION.split(text)
    ids, sources = parts[1::2], parts[2::2]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{path}: expected one solution per exercise, got duplicates {dupes}")
    return {i: s.strip("\n") + "\n" for i, s in zip(ids, sources)}


def cells_of(nb: Any, tag: str) -> list[tuple[int, str]]:
    """``(index, exercise id)`` of the cells tagged ``tag`` ("exercise" or "check")."""
    return [(i, c.metadata.get("exercise", "")) for i, c in enumerate(nb.cells)
            if tag in c.metadata.get("tags", [])]


def with_solutions(nb: Any, solutions: dict[str, str]) -> Any:
    """A copy of ``nb`` whose exercise cells hold the solutions (ValueError if ids differ)."""
    ids = [i for _, i in cells_of(nb, "exercise")]
    if sorted(ids) != sorted(solutions):
        raise ValueError(f"solutions: expected exactly the exercise ids {sorted(ids)}, "
                         f"got {sorted(solutions)}")
    solved = copy.deepcopy(nb)
    for index, ex in cells_of(solved, "exercise"):
        solved.cells[index].source = solutions[ex].rstrip("\n")
    return solved


def _kernel_manager_class() -> Any:
    """An AsyncKernelManager whose kernel is ipykernel on *this* interpreter (no kernelspec)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ThisPython(AsyncKernelManager):  # type: ignore[misc]
        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f",
                                    "{connection_file}"], display_name="backprop-lab",
                              language="python")

    return ThisPython


@dataclass
class NotebookRun:
    """An executed notebook, its wall time, and per exercise the check lines of its shipped
    rerun: ``(id, "correct" | "not yet correct", summary)``."""

    nb: Any
    seconds: float
    unsolved: dict[str, list[tuple[str, str, str]]]


def run_notebook(nb: Any, shipped: Any, cwd: str | Path, timeout: int = 300) -> NotebookRun:
    """Execute ``nb`` top to bottom (a cell error raises nbclient's CellExecutionError), then,
    in the same kernel, each exercise cell of ``shipped`` followed by its check cells."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_manager_class=_kernel_manager_class(),
                            resources={"metadata": {"path": str(cwd)}})
    unsolved: dict[str, list[tuple[str, str, str]]] = {}
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        checks = cells_of(shipped, "check")
        for index, ex in cells_of(shipped, "exercise"):
            client.nb = copy.deepcopy(shipped)  # execute_cell stores into client.nb.cells
            client.nb.cells = [client.nb.cells[index]] + [client.nb.cells[i]
                                                          for i, c in checks if c == ex]
            for k, cell in enumerate(client.nb.cells):
                client.execute_cell(cell, k)
            unsolved[ex] = [(m["id"], m["status"], m["text"]) for cell in client.nb.cells[1:]
                            for m in STATUS.finditer(output_text(cell))]
        client.nb = nb
    return NotebookRun(nb, seconds, unsolved)


def output_text(cell: Any) -> str:
    """Everything a code cell printed or displayed as text (streams and text/plain)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)
