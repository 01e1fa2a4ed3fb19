"""Gradescope: ``results.json`` per its autograder specification, and the autograder zip.

``results.json`` (Gradescope's "Autograder Specifications", output format)::

    {"score": total, "execution_time": seconds (int), "output": Markdown summary,
     "output_format": "md", "stdout_visibility": "hidden",
     "tests": [{"name", "number", "score", "max_score", "status": "passed" | "failed",
                "output": Markdown, "output_format": "md",
                "visibility": "visible" | "after_due_date"}]}

One test per scored gradient (``"two-layer network: dW1"``), or one per all-or-nothing
item; a hidden item's tests are ``after_due_date`` and their output holds no message.

The autograder zip (``grade --gradescope-bundle RUBRIC.toml --out DIR`` writes
``DIR/autograder.zip``) has at its root ``setup.sh`` (installs the bundled copy of
backprop-lab with pip, torch's CPU wheels), ``run_autograder`` (grades
``$ROOT/submission`` into ``$ROOT/results/results.json``, where ``ROOT`` is
``$AUTOGRADER_ROOT`` or ``/autograder``; ``$BACKPROP_LAB`` names the command, default
``backprop-lab``), ``rubric.toml`` and ``backprop-lab/`` (the source, the labs' notebooks
too: a lab item is graded against them). When grading itself
fails, run_autograder still writes a results.json (score 0, the reason).
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

from comparisons.grading.assignment import student_variant, variant_lines
from comparisons.grading.feedback import item_blocks, points, section_blocks, to_markdown
from comparisons.grading.rubric import FORWARD, Item, Rubric
from comparisons.grading.scoring import sections

SOURCE_PARTS = ("pyproject.toml", "README.md", "constraints.txt", "handmade", "reference",
                "comparisons", "notebooks")
PROJECT_ROOT = Path(__file__).resolve().parents[2]

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
set -euo pipefail
SOURCE="${AUTOGRADER_ROOT:-/autograder}/source"
cd "$SOURCE/backprop-lab"
CONSTRAINTS=()
if [ -f constraints.txt ]; then CONSTRAINTS=(-c constraints.txt); fi
PIP=(python3 -m pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu
     "${CONSTRAINTS[@]}" .)
# an image whose Python is "externally managed" (PEP 668: Ubuntu 24.04) refuses a plain pip
# install; the image is this autograder's alone, so it may then install into it anyway
"${PIP[@]}" || "${PIP[@]}" --break-system-packages
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: grade $ROOT/submission into results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
BACKPROP_LAB="${BACKPROP_LAB:-backprop-lab}"
export BACKPROP_LAB_NOTEBOOKS="$ROOT/source/backprop-lab/notebooks"
mkdir -p "$ROOT/results"
cd "$ROOT"
$BACKPROP_LAB grade "$ROOT/submission" --rubric "$ROOT/source/rubric.toml" \\
    --out "$ROOT/results/backprop-lab" --gradescope "$ROOT/results/results.json" --jobs 1 \\
    > "$ROOT/results/backprop-lab.log" 2>&1
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    printf '{"score": 0, "output": "The autograder failed (exit %s); see its log.", ' \\
        "$status" > "$ROOT/results/results.json"
    printf '"output_format": "md", "tests": []}\\n' >> "$ROOT/results/results.json"
fi
exit 0
"""


def _test_output(item: Item, row: dict[str, Any], test: dict[str, Any]) -> str:
    """One test's Markdown: the gradient's diagnosis and message (none for a hidden item)."""
    if item.hidden:
        verdict = "right" if test["passed"] else f"wrong ({test['diagnosis']})"
        return f"{test['name']}: {verdict}. Hidden item: details after the due date."
    if test["passed"]:
        return f"{test['name']}: right."
    report = row.get("report")
    if report is None and item.total is None:  # nothing verified: the one reason, not a table
        return f"{test['name']}: not graded ({row['status']}). {row.get('reason') or ''}".strip()
    if item.total is not None or report is None or report.get("error"):
        return to_markdown(item_blocks(item, row))
    if item.convention is not None or item.lab is not None:
        found = sections(report).get(test["name"])
        if found is None:
            return f"{test['name']}: not found in the file ({test['diagnosis']})."
        return to_markdown(section_blocks(found))
    if test["name"] == FORWARD:
        fwd = report.get("forward") or {}
        return f"forward value wrong. {fwd.get('message') or ''}".strip()
    g: dict[str, Any] = next(
        (g for g in report.get("gradients", []) if g.get("name") == test["name"]), {})
    where = f" (case {g['case']})" if g.get("case") else ""
    text = f"**{test['name']}: {g.get('diagnosis')}**{where}. {g.get('message', '')}"
    if g.get("passed") and g.get("fd") == "FAIL":
        text += " Finite differences of your forward disagree with this gradient."
    if report.get("first_divergence"):
        text += f"\n\nfirst divergence: {report['first_divergence']}"
    return text


def results_json(rubric: Rubric, rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Gradescope's results.json for one submission's rows (in the rubric's item order)."""
    by_name = {r["item"]: r for r in rows}
    tests: list[dict[str, Any]] = []
    for k, item in enumerate(rubric.items, start=1):
        row = by_name[item.name]
        for j, t in enumerate(row["tests"], start=1):
            name = item.name if item.total is not None else f"{item.name}: {t['name']}"
            tests.append({"name": name, "number": f"{k}.{j}", "score": float(t["score"]),
                          "max_score": float(t["max"]),
                          "status": "passed" if t["passed"] else "failed",
                          "output": _test_output(item, row, t), "output_format": "md",
                          "visibility": "after_due_date" if item.hidden else "visible"})
    total = float(sum(t["score"] for t in tests))
    lines = [f"**{rubric.title}**: {points(total)} / {points(rubric.max_score)}", ""]
    hidden = {i.name for i in rubric.items if i.hidden}
    lines += [f"- {r['item']}: {points(r['score'])} / {points(r['max'])} ({r['status']}"
              f"{': ' + r['reason'] if r['reason'] and r['status'] != 'failed' else ''})"
              for r in rows if r["item"] not in hidden]
    variant = student_variant(rubric, rows[0]["student"]) if rows else None
    if variant is not None:  # which variant was graded
        lines += ["", f"Your variant (variant seed {variant.variant_seed}):",
                  *(f"- {line}" for line in variant_lines(rubric, variant))]
    return {"score": total, "execution_time": int(math.ceil(max(seconds, 0.0))),
            "output": "\n".join(lines), "output_format": "md", "stdout_visibility": "hidden",
            "tests": tests}


def _add_tree(archive: zipfile.ZipFile, path: Path, name: str) -> None:
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name != "__pycache__" and not child.name.endswith(".egg-info"):
                _add_tree(archive, child, f"{name}/{child.name}")
    elif path.suffix not in (".pyc", ".pyo"):
        archive.write(path, name)


def _add_script(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o100755 << 16  # a regular, executable file
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def write_bundle(rubric_path: Path, out: Path, source: Path = PROJECT_ROOT) -> Path:
    """``out/autograder.zip``: setup.sh, run_autograder, rubric.toml and the source."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "autograder.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", SETUP_SH)
        _add_script(archive, "run_autograder", RUN_AUTOGRADER)
        archive.write(rubric_path, "rubric.toml")
        for part in SOURCE_PARTS:
            if (source / part).exists():
                _add_tree(archive, source / part, f"backprop-lab/{part}")
    return path
