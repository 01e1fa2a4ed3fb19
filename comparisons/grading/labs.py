"""The shipped labs as rubric items: every exercise is a test, graded on a student's copy of
the notebook (executed or not).

A shipped notebook (``notebooks/NAME.ipynb``) tags an exercise cell ``exercise`` with the
metadata ``"exercise": ID`` and the check cell(s) below it ``check`` with the same ID. Every
exercise with a check cell is gradable, and its check is always the SHIPPED one:

- a check of exactly the form ``check(comparisons.verify(FORWARD, BACKWARD, against="OP"),
  "ID", ...)`` is verified in the sandbox up to the exercise's cell (its id as shipped), its
  ``FORWARD``/``BACKWARD`` against ``OP`` (the item's seed, dtype and variant);
- any other check (``check_value``, a ``reference=`` of the lab's own, lab 7's
  ``bn.step_check``, ``modes.*``, several check cells) runs in the grader with the student's
  functions proxied from the sandbox (:mod:`comparisons.grading.lab_checks`), with the seeds
  and dtypes the shipped cell writes; a student's variant changes the cases of the built-in
  ops its ``comparisons.verify`` calls check (lab 7's batch norm), not its fixed inputs.

Either way the expected values and the verdict are the grader's, and the student's check
cells are never run, so editing one changes nothing.
"""

from __future__ import annotations

import ast
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comparisons.core.errors import UsageError
from comparisons.grading.lab_checks import grade_exercises
from comparisons.grading.lab_plan import ExercisePlan, exercise_plans
from comparisons.verification.isolation import Limits, Spares

NOTEBOOKS = Path(os.environ.get("BACKPROP_LAB_NOTEBOOKS")
                 or Path(__file__).resolve().parents[2] / "notebooks")
"""Where the shipped labs are: ``$BACKPROP_LAB_NOTEBOOKS``, else the project's ``notebooks/``
(the Gradescope bundle carries them and its run_autograder sets the variable)."""


@dataclass(frozen=True)
class Exercise:
    """A gradable exercise: the shipped exercise cell's id, the pair's names and the op (for a
    check run in the grader, ``plan`` is set and the names and op are empty)."""

    exercise: str
    cell_id: str
    forward: str
    backward: str
    against: str
    plan: ExercisePlan | None = None


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
    """The lab's exercises by ID (every one with a check cell), and the IDs of those that are
    not gradable (none of the shipped labs': an exercise without a check cell)."""
    path = shipped_notebook(lab)
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    plans = exercise_plans(path.resolve(), path.stat().st_mtime)
    ids: dict[str, str] = {}
    calls: dict[str, list[tuple[str, str, str] | None]] = {}
    for cell in cells:
        meta = cell.get("metadata", {})
        ident, tags = meta.get("exercise"), meta.get("tags", [])
        if not isinstance(ident, str):
            continue
        if "exercise" in tags and cell.get("id"):
            ids[ident] = str(cell["id"])
        elif "check" in tags and ident in ids:
            calls.setdefault(ident, []).append(_verify_call(_source(cell)))
    found: dict[str, Exercise] = {}
    for ident, cell_id in ids.items():
        checks = calls.get(ident, [])
        if len(checks) == 1 and checks[0] is not None:
            found[ident] = Exercise(ident, cell_id, *checks[0])
        elif ident in plans:
            found[ident] = Exercise(ident, cell_id, "", "", "", plans[ident])
    return found, [i for i in ids if i not in found]


def _failed(ident: str, op: str, error: str) -> dict[str, Any]:
    return {"function": ident, "op": op, "passed": False, "error": error, "gradients": []}


def without_checks(path: Path, lab: str, folder: Path) -> Path:
    """A copy of the student's notebook in ``folder`` whose check cells (tagged ``check`` or
    with a shipped check cell's id) are empty: they are never run, in the child either, so an
    edited one (``check(True, ...)``, a ``raise``) cannot stop the import of a later exercise.
    No shipped cell reads a name only a check cell defines (tests/test_grade_labs_every.py).
    UsageError (one line) for a file that is not a notebook."""
    shipped = json.loads(shipped_notebook(lab).read_text(encoding="utf-8")).get("cells", [])
    check_ids = {c.get("id") for c in shipped if "check" in (c.get("metadata") or {}).get(
        "tags", [])} - {None}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells = [dict(c) for c in data["cells"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a Jupyter notebook ({type(exc).__name__})") from None
    for cell in cells:
        tags = (cell.get("metadata") or {}).get("tags") or ()
        if cell.get("cell_type") == "code" and ("check" in tags or cell.get("id") in check_ids):
            cell["source"] = ""
    copy = folder / path.name
    copy.write_text(json.dumps({**data, "cells": cells}), encoding="utf-8")
    return copy


def _shown(value: Any, copy: Path, path: Path) -> Any:
    """``value`` (a section, a text) with the copy's path said as the student's."""
    return json.loads(json.dumps(value).replace(json.dumps(str(copy))[1:-1],
                                                json.dumps(str(path))[1:-1]))


def grade_lab(path: Path, lab: str, checks: tuple[str, ...], verify: Callable[..., Any], *,
              limits: Limits | None = None, spares: Spares | None = None) -> dict[str, Any]:
    """Grade each exercise ``checks`` of ``lab`` on the student's notebook ``path``.

    ``verify(path, against, cell=..., names=(forward, backward))`` (verify_file or
    verify_isolated, dtype and seed bound) verifies a plain ``comparisons.verify`` check; any
    other check runs here with the student's code in the sandbox, under ``limits`` and
    ``spares`` (default: the sandbox's defaults, a fresh child).
    Both see the copy of :func:`without_checks`. The report is a convention report's shape:
    one section per exercise (``"function"``: its ID), so it is scored and shown the same
    way."""
    with tempfile.TemporaryDirectory(prefix="backprop-lab-lab-") as folder:
        try:
            copy = without_checks(path, lab, Path(folder))
        except UsageError as exc:
            parts = [_failed(i, "", str(exc)) for i in checks]
            texts = [f"== {i} ==\n{exc}" for i in checks]
        else:
            parts, texts = _shown(_graded(copy, lab, checks, verify, limits, spares), copy,
                                  path)
    return {"status": "verified", "text": "\n\n".join(texts),
            "report": {"lab": lab, "passed": bool(parts) and all(p["passed"] for p in parts),
                       "error": None,
                       "functions": parts}}


def _graded(path: Path, lab: str, checks: tuple[str, ...], verify: Callable[..., Any],
            limits: Limits | None, spares: Spares | None
            ) -> tuple[list[dict[str, Any]], list[str]]:
    """(sections, texts) of the exercises ``checks`` on the notebook ``path``."""
    exercises, _ = lab_exercises(lab)
    plans = [ex.plan for ex in exercises.values() if ex.plan is not None and ex.exercise in checks]
    graded = grade_exercises(path, lab, plans, limits=limits, spares=spares) if plans else {}
    parts, texts = [], []
    for ident in checks:
        ex = exercises[ident]
        if ident in graded:
            parts.append(graded[ident][0])
            texts.append(f"== {ident} ==\n{graded[ident][1]}")
            continue
        try:
            report = verify(path, ex.against, cell=ex.cell_id, names=(ex.forward, ex.backward))
        except UsageError as exc:  # the exercise's cell or functions are not in the copy
            parts.append(_failed(ident, ex.against, str(exc)))
            texts.append(f"== {ident} ==\n{exc}")
            continue
        parts.append({**report.to_json(), "function": ident})
        texts.append(f"== {ident} ==\n{report}")
    return parts, texts
