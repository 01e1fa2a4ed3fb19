"""The shipped labs as rubric items: each exercise whose check is ``comparisons.verify`` is a
test, graded on a student's copy of the notebook (executed or not).

A shipped notebook (``notebooks/NAME.ipynb``) tags an exercise cell ``exercise`` with the
metadata ``"exercise": ID`` and the check cell below it ``check`` with the same ID. A check
of the form ``check(comparisons.verify(FORWARD, BACKWARD, against="OP"), "ID", ...)`` is
gradable: the student's notebook is verified in the sandbox up to the exercise's cell (its id
as shipped), its ``FORWARD``/``BACKWARD`` against ``OP``, and the verdict is the grader's.
The student's check cells are never run, so editing one changes nothing. Checks of another
form (a ``reference=`` of the lab's own, ``check_value``) are not gradable here and are
listed by :func:`lab_exercises` as such.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comparisons.core.errors import UsageError

NOTEBOOKS = Path(os.environ.get("BACKPROP_LAB_NOTEBOOKS")
                 or Path(__file__).resolve().parents[2] / "notebooks")
"""Where the shipped labs are: ``$BACKPROP_LAB_NOTEBOOKS``, else the project's ``notebooks/``
(the Gradescope bundle carries them and its run_autograder sets the variable)."""


@dataclass(frozen=True)
class Exercise:
    """A gradable exercise: the shipped exercise cell's id, the pair's names and the op."""

    exercise: str
    cell_id: str
    forward: str
    backward: str
    against: str


def shipped_notebook(lab: str) -> Path:
    """``notebooks/LAB.ipynb``; UsageError naming the labs there when it does not exist."""
    path = NOTEBOOKS / f"{lab}.ipynb"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))) or "none found"
        raise UsageError(f"lab: expected a shipped lab ({known}), got {lab!r}")
    return path


def _verify_call(source: str) -> tuple[str, str, str] | None:
    """(forward, backward, against) of a ``comparisons.verify(F, B, against="OP")`` call in
    ``source`` that passes nothing else, else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        if name != "verify" or len(node.args) != 2:
            continue
        words = {k.arg: k.value for k in node.keywords}
        against = words.get("against")
        if (set(words) != {"against"} or not isinstance(against, ast.Constant)
                or not all(isinstance(a, ast.Name) for a in node.args)):
            return None
        f, b = (a.id for a in node.args if isinstance(a, ast.Name))
        return f, b, str(against.value)
    return None


def _source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def lab_exercises(lab: str) -> tuple[dict[str, Exercise], list[str]]:
    """The lab's gradable exercises by ID, and the IDs of those that are not gradable."""
    cells = json.loads(shipped_notebook(lab).read_text(encoding="utf-8")).get("cells", [])
    ids: dict[str, str] = {}
    found: dict[str, Exercise] = {}
    other: list[str] = []
    for cell in cells:
        meta = cell.get("metadata", {})
        ident, tags = meta.get("exercise"), meta.get("tags", [])
        if not isinstance(ident, str):
            continue
        if "exercise" in tags and cell.get("id"):
            ids[ident] = str(cell["id"])
        elif "check" in tags and ident in ids:
            call = _verify_call(_source(cell))
            if call is None:
                other.append(ident)
            else:
                found[ident] = Exercise(ident, ids[ident], *call)
    return found, [i for i in dict.fromkeys(other) if i not in found]


def grade_lab(path: Path, lab: str, checks: tuple[str, ...],
              verify: Callable[..., Any]) -> dict[str, Any]:
    """Verify each exercise ``checks`` of ``lab`` on the student's notebook ``path`` with
    ``verify(path, against, cell=..., names=(forward, backward))`` (verify_file or
    verify_isolated, dtype and seed bound). The report is a convention report's shape: one
    section per exercise (``"function"``: its ID), so it is scored and shown the same way."""
    exercises, _ = lab_exercises(lab)
    parts, texts = [], []
    for ident in checks:
        ex = exercises[ident]
        try:
            report = verify(path, ex.against, cell=ex.cell_id, names=(ex.forward, ex.backward))
        except UsageError as exc:  # the exercise's cell or functions are not in the copy
            parts.append({"function": ident, "op": ex.against, "passed": False,
                          "error": str(exc), "gradients": []})
            texts.append(f"== {ident} ==\n{exc}")
            continue
        parts.append({**report.to_json(), "function": ident})
        texts.append(f"== {ident} ==\n{report}")
    return {"status": "verified", "text": "\n\n".join(texts),
            "report": {"lab": lab, "passed": all(p["passed"] for p in parts), "error": None,
                       "functions": parts}}
