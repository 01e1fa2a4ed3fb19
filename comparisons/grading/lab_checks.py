"""Grade one exercise of a shipped lab whatever its check: the check runs here, the student's
code in the sandbox's child.

The child imports a copy of the student's notebook up to the exercise's cell (its id as
shipped), followed by one cell of ours (:data:`~.lab_wire.HELPERS`: functions that rebuild in
the child what the wire cannot carry). Here, in the grader, the plan of :mod:`.lab_plan` runs: the
shipped notebook's setup (copied from a once-per-lab run), then the statements the check
needs and the SHIPPED check cells, in a namespace where each name the exercise cells define is
a proxy of the student's function (:func:`comparisons.verification.isolation.open_isolated`)
and ``check`` records its result instead of printing it. The expected values, the comparison
and the verdict are computed here; the student's check cells are never run, so editing one,
or patching ``check_value`` in their copy, changes nothing.

What crosses to the child beyond plain data: :mod:`.lab_wire`. A value that cannot be sent,
an exit, a crash or a limit in the student's code is a failed item with the reason
("your xavier_uniform exceeded the 10 s time limit"), never a stopped grader.

Cost: one child per student and lab serves all these exercises (:func:`grade_exercises`),
imported up to the last one's cell; an exercise whose names a later exercise cell of the copy
redefines, every exercise when that import fails, and one whose call ended the child are
graded again each in a child of its own, up to its own cell, in notebook order (so a hostile
cell fails its own items and the later ones, whose import runs it too, without importing
them again; the earlier ones pass or fail on their own).
"""

from __future__ import annotations

import ast
import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from comparisons.core.errors import UsageError
from comparisons.grading.lab_plan import ExercisePlan, copied, setup_namespace
from comparisons.grading.lab_wire import HELPER_CELL, HELPERS, Sender, Unsendable, proxy_of
from comparisons.labs.checks import ValueCheck, outcome
from comparisons.verification.guard import ChildExit
from comparisons.verification.isolation import Limits, Spares, open_isolated

Graded = tuple[dict[str, Any], str]


class ImportFailed(UsageError):
    """Importing the copy up to an exercise's cell failed (an exit, a limit, an exception)."""


def _cells(path: Path) -> tuple[dict[str, Any], list[Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data, list(data["cells"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a Jupyter notebook ({type(exc).__name__})") from None


def _is_cell_of(cell: Any, plan: ExercisePlan) -> bool:
    """The copy's exercise cell of ``plan``: its id as shipped (or its exercise tag)."""
    if not isinstance(cell, dict):
        return False
    meta = cell.get("metadata") or {}
    return cell.get("id") == plan.cell_id or (
        meta.get("exercise") == plan.ident and "exercise" in (meta.get("tags") or ()))


def student_copy(path: Path, plan: ExercisePlan, folder: Path) -> Path:
    """The student's notebook up to the exercise's cell, then HELPERS, in ``folder``.
    UsageError when the copy has no such cell."""
    data, cells = _cells(path)
    hits = [i for i, c in enumerate(cells) if _is_cell_of(c, plan)]
    if not hits:
        raise UsageError(f"{path}: expected the exercise cell {plan.ident!r} (cell id "
                         f"{plan.cell_id}, as shipped), got no such cell")
    helper: dict[str, Any] = {"cell_type": "code", "id": HELPER_CELL, "metadata": {}, "outputs": [],
              "execution_count": None, "source": HELPERS}
    copy = folder / path.name
    copy.write_text(json.dumps({**data, "cells": [*cells[:hits[-1] + 1], helper]}))
    return copy


def redefined_later(path: Path, plans: list[ExercisePlan]) -> set[str]:
    """The exercises whose names an exercise cell of the copy after theirs defines again
    (graded in a child of their own, which stops at their cell)."""
    _, cells = _cells(path)
    later: list[tuple[int, set[str]]] = []
    for i, cell in enumerate(cells):
        meta = (cell.get("metadata") or {}) if isinstance(cell, dict) else {}
        if "exercise" not in (meta.get("tags") or ()):
            continue
        text = cell.get("source", "")
        try:
            tree = ast.parse("".join(text) if isinstance(text, list) else str(text))
        except SyntaxError:
            return {p.ident for p in plans}
        later.append((i, {n.name for n in tree.body if isinstance(
            n, ast.FunctionDef | ast.ClassDef)} | {t.id for n in tree.body if isinstance(
                n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}))
    clash = set()
    for plan in plans:
        at = [i for i, c in enumerate(cells) if _is_cell_of(c, plan)]
        if at and any(i > at[-1] and names & plan.student_names for i, names in later):
            clash.add(plan.ident)
    return clash


@contextmanager
def student_child(path: Path, plan: ExercisePlan, forwards: tuple[str, ...],
                  limits: Limits | None, spares: Spares | None) -> Iterator[tuple[Any, str]]:
    """(the child's module, the copy's path) with the copy imported up to ``plan``'s cell;
    UsageError as open_isolated, or with the import's failure as its message."""
    with tempfile.TemporaryDirectory(prefix="backprop-lab-lab-") as folder, ExitStack() as stack:
        copy = student_copy(path, plan, Path(folder))
        try:
            opened = stack.enter_context(open_isolated(
                copy, limits=limits, spares=spares, cell=HELPER_CELL, forwards=forwards))
        except UsageError as exc:  # a syntax error: said of the student's file
            raise UsageError(str(exc).replace(str(copy), str(path))) from None
        if opened.module is None:
            raise ImportFailed(str(opened.error).replace(str(copy), str(path)))
        yield opened.module, str(copy)


def run_plan(lab: str, plan: ExercisePlan, module: Any, exits: list[str]
             ) -> list[tuple[str, Any]]:
    """Run the plan here with the student's proxies; the results ``check`` was given."""
    ns = copied(setup_namespace(lab, plan))
    sender = Sender(module, {}, {})
    for name in sorted(plan.student_names):
        if callable(getattr(module, name, None)):
            ns[name] = proxy_of(getattr(module, name), name, sender, exits)
            sender.proxies[id(ns[name])] = name
    recorded: list[tuple[str, Any]] = []
    for st in plan.steps:
        ns["check"] = lambda result, exercise, **_: recorded.append((exercise, result))
        exec(st.code, ns)  # noqa: S102 - the shipped notebook's code, student code proxied
        sender.lambdas = {id(ns[n]): src for n, src in plan.lambdas.items() if n in ns}
    return recorded


def check_in(lab: str, plan: ExercisePlan, module: Any) -> tuple[list[Any], str | None, bool]:
    """(results, error, whether the child ended) of the plan run on ``module``."""
    exits: list[str] = []
    try:
        results = [r for e, r in run_plan(lab, plan, module, exits) if e == plan.ident]
    except (ChildExit, Unsendable, Exception) as exc:  # noqa: BLE001 - a per-item failure
        return [], exits[0] if exits else _failure(exc, plan), isinstance(exc, ChildExit)
    return results, None, any(e.startswith("your ") for e in exits)


def section_of(ident: str, results: list[Any], error: str | None) -> dict[str, Any]:
    """The report's section of the exercise (a convention section's shape)."""
    reports = [r for r in results if hasattr(r, "verdict") and hasattr(r, "gradients")]
    base = reports[0].to_json() if reports else {"op": "", "gradients": []}
    checks = [{"name": r.name, "passed": r.passed, "diagnosis": r.diagnosis,
               "message": r.message} for r in results if isinstance(r, ValueCheck)]
    errors = [e for e in (error, *(getattr(r, "error", None) for r in results)) if e]
    if not results and error is None:
        errors = [f"the check of {ident} did not run"]
    passed = not errors and all(outcome(r)[0] for r in results)
    return {**base, "function": ident, "passed": passed,
            "error": errors[0] if errors else None, "checks": checks,
            "gradients": [g for r in reports for g in r.to_json()["gradients"]]}


def _graded(plan: ExercisePlan, results: list[Any], error: str | None, copy: str,
            path: Path) -> Graded:
    text = "\n".join([*(str(r) for r in results), *([error] if error else [])])
    error = None if error is None else error.replace(copy, str(path))
    return section_of(plan.ident, results, error), text.replace(copy, str(path))


def grade_alone(path: Path, lab: str, plan: ExercisePlan, limits: Limits | None,
                spares: Spares | None) -> tuple[Graded, bool]:
    """The exercise graded in a child of its own, imported up to its cell; and whether the
    import failed."""
    try:
        with student_child(path, plan, plan.forwards, limits, spares) as (module, copy):
            results, error, _ = check_in(lab, plan, module)
            return _graded(plan, results, error, copy, path), False
    except UsageError as exc:
        return (section_of(plan.ident, [], str(exc)), str(exc)), isinstance(exc, ImportFailed)
    except Exception as exc:  # noqa: BLE001 - the sandbox itself (none on Windows): this item
        why = f"the sandbox could not run {plan.ident}: {type(exc).__name__}: {exc}"
        return (section_of(plan.ident, [], why), why), False


def grade_exercises(path: Path, lab: str, plans: list[ExercisePlan], *,
                    limits: Limits | None = None, spares: Spares | None = None
                    ) -> dict[str, Graded]:
    """Each plan's (section, text) for the student's notebook ``path`` (plans in notebook
    order): one shared child, the fallbacks of the module docstring."""
    done: dict[str, Graded] = {}
    try:
        alone = redefined_later(path, plans)
    except UsageError as exc:
        return {p.ident: (section_of(p.ident, [], str(exc)), str(exc)) for p in plans}
    shared = [p for p in plans if p.ident not in alone]
    if len(shared) > 1:
        forwards = tuple(dict.fromkeys(f for p in shared for f in p.forwards))
        try:
            with student_child(path, shared[-1], forwards, limits, spares) as (module, copy):
                for plan in shared:
                    results, error, ended = check_in(lab, plan, module)
                    if ended:
                        break
                    done[plan.ident] = _graded(plan, results, error, copy, path)
        except Exception:  # noqa: BLE001 - each alone: the failure is said per item there
            pass
    failed: Graded | None = None  # a later exercise's import runs the cell that failed
    for plan in plans:
        if plan.ident in done:
            continue
        if failed is not None:
            done[plan.ident] = {**failed[0], "function": plan.ident}, failed[1]
            continue
        done[plan.ident], import_failed = grade_alone(path, lab, plan, limits, spares)
        failed = done[plan.ident] if import_failed else None
    return done


def _failure(exc: BaseException, plan: ExercisePlan) -> str:
    """Why the check could not run, in one line."""
    if isinstance(exc, NameError) and getattr(exc, "name", None) in plan.student_names:
        return (f"your notebook does not define {exc.name} as a function (exercise "
                f"{plan.ident} does)")
    return f"the check of {plan.ident} could not run: {type(exc).__name__}: {exc}"
