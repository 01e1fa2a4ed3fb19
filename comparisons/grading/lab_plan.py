"""What the grader runs, in its own process, to check one exercise of a shipped lab.

The shipped notebook is read as a list of top-level statements, each with the kind of cell it
is in (an exercise cell, a check cell, any other cell). For an exercise, the check is its
check cells run whole, plus the *backward slice* of the earlier statements they need: walking
back from the check, a statement of a non-exercise cell is kept when it defines (or edits in
place: ``p.grad = ...``, ``p.step()``) a name still needed, and then what it reads is needed.
Names the exercise cells define (the shipped ones, up to the exercise) are the student's:
never run here, they are bound to the sandbox's proxies. So a lab's training loops, figures
and prints are not run; ``data = load_ames()`` is, when a check reads ``data``.

Kept statements that read nothing of the student's, define no function, lambda or class and
sit outside check cells are the *setup*: run once per lab and exercise
(:func:`setup_namespace`) and copied for each student (:func:`copied`), so lab 5's data set
is loaded once, not per submission.

Reads are a statement's global names (``symtable``: names local to a function it defines do
not count), builtins excluded.
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
import symtable
import threading
import types
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from comparisons.verification.notebook import strip_magics

BUILTINS = frozenset(dir(builtins))
VERIFIERS = ("verify", "verify_unbiased")
"""Calls whose first argument is a forward (its cache stays in the child)."""
_LOCK = threading.Lock()
_SETUPS: dict[tuple[str, ...], dict[str, Any]] = {}


@dataclass(frozen=True)
class Statement:
    """One top-level statement of the shipped notebook."""

    kind: str                      # "exercise", "check" or "other"
    ident: str | None              # the exercise ID of an exercise or check cell
    cell_id: str | None
    source: str
    code: types.CodeType
    defines: frozenset[str]        # names it binds
    edits: frozenset[str]          # names it edits in place (and reads)
    reads: frozenset[str]          # global names it reads
    pure: bool                     # no def, lambda or class inside


@dataclass(frozen=True)
class ExercisePlan:
    """One exercise's check: the exercise cell's id, the student's names up to it, the
    statements run here (``setup`` once per lab, ``steps`` per student), the forwards, and the
    lambdas of the check cells by name (their source, sent to the child when passed there)."""

    ident: str
    cell_id: str
    student_names: frozenset[str]
    setup: tuple[Statement, ...]
    steps: tuple[Statement, ...]
    forwards: tuple[str, ...]
    lambdas: dict[str, str]


def _reads(source: str) -> frozenset[str]:
    """Global names ``source`` reads (in nested functions too), builtins excluded."""
    top = symtable.symtable(source, "<cell>", "exec")
    found, stack = set(), [top]
    while stack:
        table = stack.pop()
        for sym in table.get_symbols():
            if sym.is_referenced() and (table is top or sym.is_global()):
                found.add(sym.get_name())
        stack.extend(table.get_children())
    return frozenset(found - BUILTINS)


def _defines(node: ast.stmt) -> tuple[frozenset[str], frozenset[str]]:
    """(names bound, names edited in place) by one top-level statement."""
    bound: set[str] = set()
    edited: set[str] = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        bound.add(node.name)
    elif isinstance(node, ast.Import | ast.ImportFrom):
        bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    else:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                bound.add(sub.id)
            elif isinstance(sub, ast.Attribute | ast.Subscript) and isinstance(
                    sub.ctx, ast.Store | ast.Del):
                base = sub.value
                while isinstance(base, ast.Attribute | ast.Subscript):
                    base = base.value
                if isinstance(base, ast.Name):
                    edited.add(base.id)
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)):  # SGD([p]).step(), x.sort()
            edited |= {n.id for n in ast.walk(node.value)
                       if isinstance(n, ast.Name) and n.id not in BUILTINS}
    return frozenset(bound), frozenset(edited)


def _source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def statements(path: Path) -> list[Statement]:
    """Every top-level statement of the notebook's code cells (magics stripped), in order."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    out = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {})
        tags, ident = meta.get("tags", []), meta.get("exercise")
        kind = ("exercise" if "exercise" in tags else "check" if "check" in tags else "other")
        text, _ = strip_magics(_source(cell), number)
        if text is None:
            continue
        name = f"{path.name} [cell {number}]"
        for node in ast.parse(text).body:
            src = ast.get_source_segment(text, node) or ""
            bound, edited = _defines(node)
            pure = not any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda |
                                      ast.ClassDef) for n in ast.walk(node))
            code = compile(ast.Module([node], []), name, "exec")
            out.append(Statement(kind, ident if isinstance(ident, str) else None,
                                 cell.get("id"), src, code, bound, edited, _reads(src), pure))
    return out


def _slice(before: list[Statement], targets: list[Statement],
           student: frozenset[str]) -> list[Statement]:
    """The targets and the earlier non-exercise statements they need, in notebook order."""
    needed: set[str] = set()
    kept: list[Statement] = []
    for st in reversed(before):
        if st in targets:
            keep = True
        elif st.kind == "exercise":
            continue
        else:
            keep = bool((st.defines | st.edits) & needed)
        if keep:
            needed = (needed - st.defines) | st.reads | st.edits
            needed -= student
            kept.append(st)
    return kept[::-1]


def _forwards(targets: list[Statement]) -> tuple[str, ...]:
    found = []
    for st in targets:
        for node in ast.walk(ast.parse(st.source)):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in VERIFIERS:
                    found.append(node.args[0].id)
    return tuple(dict.fromkeys(found))


def _lambdas(targets: list[Statement], program: list[Statement]) -> dict[str, str]:
    """``NAME = lambda ...`` of the check cells: NAME -> a source that defines ``VALUE`` as
    the lambda, after the shipped imports it reads (run in the child when it is sent there)."""
    found = {}
    imports = [st for st in program if st.kind == "other" and st.source.startswith(
        ("import ", "from "))]
    for st in targets:
        node = ast.parse(st.source).body[0]
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Lambda)):
            text = ast.get_source_segment(st.source, node.value) or ""
            reads = _reads(text)
            lines = [i.source for i in imports if i.defines & reads]
            found[node.targets[0].id] = "\n".join([*lines, f"VALUE = {text}"]) + "\n"
    return found


def _split(kept: list[Statement], student: frozenset[str]
           ) -> tuple[tuple[Statement, ...], tuple[Statement, ...]]:
    """(setup, steps): a pure statement of an ordinary cell that reads nothing of the
    student's or of an earlier step, and rebinds nothing an earlier step read, is setup."""
    setup: list[Statement] = []
    steps: list[Statement] = []
    unsafe, step_reads = set(student), set[str]()
    for st in kept:
        if (st.kind == "other" and st.pure and not (st.reads | st.defines) & unsafe
                and not st.defines & step_reads):
            setup.append(st)
        else:
            steps.append(st)
            unsafe |= st.defines | st.edits
            step_reads |= st.reads
    return tuple(setup), tuple(steps)


@lru_cache(maxsize=32)
def exercise_plans(path: Path, mtime: float) -> dict[str, ExercisePlan]:
    """The plan of every exercise of the shipped notebook ``path`` (``mtime``: its cache key)."""
    program = statements(path)
    plans: dict[str, ExercisePlan] = {}
    student: set[str] = set()
    order = [st.ident for st in program if st.kind == "exercise" and st.ident]
    for ident in dict.fromkeys(order):
        first = next(i for i, st in enumerate(program) if st.kind == "exercise"
                     and st.ident == ident)
        student |= {n for st in program[:first] if st.kind == "exercise" for n in st.defines}
        student |= {n for st in program if st.kind == "exercise" and st.ident == ident
                    for n in st.defines}
        targets = [st for st in program[first:] if st.kind == "check" and st.ident == ident]
        if not targets:
            continue
        last = program.index(targets[-1])
        names = frozenset(student)
        kept = _slice(program[:last + 1], targets, names)
        setup, steps = _split(kept, names)
        plans[ident] = ExercisePlan(ident, str(program[first].cell_id), names, setup, steps,
                                    _forwards(targets), _lambdas(targets, program))
    return plans


def setup_namespace(lab: str, plan: ExercisePlan) -> dict[str, Any]:
    """The namespace after the plan's setup statements, run once per lab and exercise."""
    key = (lab, plan.ident, *(st.source for st in plan.setup))
    with _LOCK:
        if key not in _SETUPS:
            ns: dict[str, Any] = {"__name__": f"backprop_lab_check_{plan.ident}"}
            for st in plan.setup:
                exec(st.code, ns)  # noqa: S102 - the shipped notebook's own code
            _SETUPS[key] = ns
        return _SETUPS[key]


def copied(ns: dict[str, Any]) -> dict[str, Any]:
    """A copy of a setup namespace a student's check may change freely: values deep-copied,
    modules, functions and classes shared (they are not changed by a check)."""
    shared = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)
    memo = {id(v): v for v in ns.values() if isinstance(v, shared)}
    return {k: v if isinstance(v, shared) else copy.deepcopy(v, memo) for k, v in ns.items()}
