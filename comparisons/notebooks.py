"""The course notebooks' plumbing: the check an exercise cell ends with, and the runner of tests.

In a notebook, an exercise cell (tag ``exercise``, metadata ``{"exercise": ID}``) holds the
student's code; the cell beneath it (tag ``check``, same metadata) checks it::

    check(comparisons.verify(forward, backward, against="two_layer"), "two_layer")

:func:`check` prints one status line, ``[check ID] correct: ...`` or ``[check ID] not yet
correct: dW1 zero, ...``, then shows the report (a table in Jupyter). It accepts a
``VerifyReport``, a ``compare`` :class:`~comparisons.compare.Check` (or a list of them) and a
:class:`ValueCheck` from :func:`check_value`, which calls a student's function safely (an
exception becomes a "not yet correct" line, never a crashed notebook).

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from comparisons.compare import Check

STATUS = re.compile(r"^\[check (?P<id>[\w-]+)\] (?P<status>correct|not yet correct): (?P<text>.*)$",
                    re.MULTILINE)
SOLUTION = re.compile(r"^# %% solution (?P<id>[\w-]+)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class ValueCheck:
    """A student's value against the expected one: ``diagnosis`` is a verify code or "error"."""

    name: str
    passed: bool
    diagnosis: str
    message: str
    error: str | None = None

    def __str__(self) -> str:
        return self.error or self.message

    def _repr_html_(self) -> str:
        import html

        colour = "#d9f2d9" if self.passed else "#f8d0d0"
        return f"<pre style='background:{colour}'>{html.escape(str(self))}</pre>"


def check_value(fn: Any, args: Sequence[Any], expected: Any, *, name: str,
                context: Any = None) -> ValueCheck:
    """Call ``fn(*args)`` and diagnose its value against ``expected`` (float64, the forward
    tolerance). ``context``: a ``DiagnosisContext`` naming the usual mistakes."""
    from comparisons.tolerances import tolerance
    from comparisons.verify.diagnose import diagnose
    from comparisons.verify.guard import user_traceback

    try:
        given = fn(*args)
    except Exception as exc:  # the student's code may raise anything
        return ValueCheck(name, False, "error", f"{name}: your code raised {type(exc).__name__}",
                          f"your code raised an exception:\n{user_traceback(exc)}")
    try:
        arr = np.asarray(given, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or given is None:
        return ValueCheck(name, False, "wrong_shape", f"{name}: your code returned "
                          f"{type(given).__name__}, expected an array of shape "
                          f"{np.shape(expected)}")
    d = diagnose(arr, expected, name=name, tol=tolerance("forward", np.float64), context=context)
    return ValueCheck(name, d.passed, d.code, d.message)


def outcome(result: Any) -> tuple[bool, str]:
    """``(passed, summary)`` of any checkable result (see the module docstring)."""
    if isinstance(result, ValueCheck):
        if result.error is not None:
            return False, "your code raised an exception: " + _last_line(result.error)
        return result.passed, ("matches the expected value" if result.passed
                               else f"{result.name} {result.diagnosis}")
    if isinstance(result, Check):
        result = [result]
    if isinstance(result, list | tuple) and all(isinstance(c, Check) for c in result):
        bad = [f"{c.tensor} ({c.message})" for c in result if not c.passed]
        return not bad, "; ".join(bad) or f"all {len(result)} comparisons agree"
    if hasattr(result, "verdict") and hasattr(result, "gradients"):  # a VerifyReport
        if result.error is not None:
            return False, "your code raised an exception or returned the wrong structure: " \
                          + _last_line(result.error)
        verdict = result.verdict().removeprefix("verdict: ")
        return result.passed, verdict.removeprefix("PASSED: ").removeprefix("FAILED: ")
    raise TypeError(f"result: expected a VerifyReport, Check(s) or ValueCheck, got "
                    f"{type(result).__name__}")


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def check(result: Any, exercise: str) -> None:
    """Print the status line of exercise ``exercise``, then show ``result`` (HTML in Jupyter)."""
    passed, summary = outcome(result)
    print(f"[check {exercise}] {'correct' if passed else 'not yet correct'}: {summary}")
    shell = sys.modules.get("IPython")
    if shell is not None and shell.get_ipython() is not None:
        from IPython.display import display

        bundle = {"text/plain": _plain(result)}
        if hasattr(result, "_repr_html_"):
            bundle["text/html"] = result._repr_html_()
        display(bundle, raw=True)
    else:
        print(_plain(result))


def _plain(result: Any) -> str:
    if isinstance(result, Check):
        result = [result]
    if isinstance(result, list | tuple):
        return "\n".join(f"{'ok  ' if c.passed else 'FAIL'} {c.tensor}: {c.message}"
                         for c in result)
    return str(result)


# ---------------------------------------------------------------- running notebooks (tests)


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
