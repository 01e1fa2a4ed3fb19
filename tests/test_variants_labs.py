"""What a lab is graded on under a per-student variant: its comparisons.verify checks on the
student's own case sizes, inputs and λ / p (the notebook's functions receive them), never a
φ, a bias or a keyword constant other than the notebook's text asks for. Every gradable lab's
solution passes under ten variants, and every feedback file says which variant was graded
and what of it a lab item uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comparisons.cli.main import main
from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.errors import UsageError
from comparisons.grading.assignment import assignment_text
from comparisons.grading.labs import NOTEBOOKS, lab_exercises
from comparisons.grading.rubric import parse_rubric
from comparisons.verification.loader import import_source
from comparisons.verification.runner import verify
from comparisons.verification.variants import (
    HYPER,
    KEYWORD,
    NO_BIAS,
    applied,
    derive_variant,
    varied_spec,
)

ROOT = Path(__file__).parent.parent
LABS = [p.stem for p in sorted(NOTEBOOKS.glob("*.ipynb")) if lab_exercises(p.stem)[0]]
STUDENTS = [f"student{i:02d}" for i in range(10)]
SEED = 2026


def solved_notebook(lab: str, path: Path) -> None:
    """The shipped lab with every exercise written from notebooks/solutions/LAB.py."""
    nb = json.loads((ROOT / "notebooks" / f"{lab}.ipynb").read_text())
    text = (ROOT / "notebooks" / "solutions" / f"{lab}.py").read_text()
    blocks = {b.split("\n", 1)[0].strip(): b.split("\n", 1)[1]
              for b in text.split("# %% solution ")[1:]}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {})
        if "exercise" in meta.get("tags", []) and meta.get("exercise") in blocks:
            cell["source"] = blocks[meta["exercise"]]
    path.write_text(json.dumps(nb))


VARIANTS = [derive_variant(SEED, s) for s in STUDENTS]
UNDEFINED_AT_CELL = {("07_batch_normalization", "node_mu")}
"""Exercises whose check names a function the notebook defines only after the exercise's cell
(batchnorm_backward_steps, after node_mu's): not gradable as ``verify`` up to that cell,
with or without a variant (a matter of comparisons.grading.labs, not of variants)."""


@pytest.mark.parametrize("lab", LABS)
def test_a_correct_lab_passes_under_ten_variants(tmp_path: Path, lab: str) -> None:
    """Each gradable exercise's solution, imported up to its cell once, verified as the
    grader verifies it (its pair against its op) without a variant and under ten."""
    path = tmp_path / f"{lab}.ipynb"
    solved_notebook(lab, path)
    checked = 0
    for ident, ex in lab_exercises(lab)[0].items():
        module = import_source(path, cell=ex.cell_id)[1]
        pair = getattr(module, ex.forward, None), getattr(module, ex.backward, None)
        if None in pair:
            assert (lab, ident) in UNDEFINED_AT_CELL, (lab, ident)
            continue
        assert verify(*pair, ex.against).passed
        for v in VARIANTS:
            with applied(v):
                report = verify(*pair, ex.against, seed=v.input_seed(0))
            assert report.passed, f"{lab} {ident} {v.student}: {report}"
        checked += 1
        sizes = {tuple(c.dims.items()) for v in VARIANTS
                 for c in varied_spec(BUILTIN_OPS[ex.against], v).cases}
        assert len(sizes) > len(BUILTIN_OPS[ex.against].cases)  # the sizes did vary
    assert checked >= 1


def test_a_lab_items_feedback_says_what_its_variant_is(tmp_path: Path) -> None:
    labs = ["04_dropout", "06_numerical_stability"]
    folder = tmp_path / "class"
    for student in STUDENTS[:2]:
        (folder / student).mkdir(parents=True)
        for lab in labs:
            solved_notebook(lab, folder / student / f"{lab}.ipynb")
    items = [{"name": f"lab {lab[:2]}", "lab": lab, "file": f"{lab}.ipynb"} for lab in labs]
    (tmp_path / "rubric.toml").write_text(f"variant_seed = {SEED}\n" + "".join(
        f'[[item]]\nname = "{i["name"]}"\nlab = "{i["lab"]}"\nfile = "{i["file"]}"\n'
        for i in items))
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--rubric", str(tmp_path / "rubric.toml"), "--out",
                 str(out), "--jobs", "2", "--no-progress"]) == 0
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all(r["status"] == "passed" for r in rows), rows
    rubric = parse_rubric({"variant_seed": SEED, "item": items}, "r")
    for student in STUDENTS[:2]:
        feedback = (out / "feedback" / f"{student}.md").read_text()
        shown = assignment_text(rubric, student).splitlines()[1:]
        assert f"your variant (variant seed {SEED})" in feedback
        assert shown and all(line[2:] in feedback for line in shown)
        v = derive_variant(SEED, student)
        assert f"p = {v.param('dropout', 'p'):g} (in 'lab 04'" in feedback
        assert "the functions lab 06_numerical_stability asks for" in feedback
        assert f"input seed {v.seed}" in feedback


def test_a_lab_asks_only_what_its_notebook_takes() -> None:
    """A lab's verify checks vary only the case sizes, the inputs and the HYPER values (inputs
    the notebook's functions receive): no shipped lab checks an op whose constant a variant
    passes by keyword (the notebook's forward(x) would be called with it: a false alarm), and
    a lab item cannot ask for a variant's bias or φ."""
    for lab in LABS:
        for ident, ex in lab_exercises(lab)[0].items():
            assert ex.against not in KEYWORD, (
                f"{lab}'s exercise {ident} checks {ex.against}, whose {KEYWORD[ex.against].name} "
                f"a variant passes by keyword: grade that lab with the variant's KEYWORD params "
                f"dropped (comparisons.verification.variants)")
    for op in {ex.against for lab in LABS for ex in lab_exercises(lab)[0].values()} & set(HYPER):
        assert op in {"two_layer", "l2_penalty", "dropout"}  # lam, lam, p: arguments in the text
    for key, value in (("bias", "variant"), ("op", "activation")):
        with pytest.raises(UsageError):
            parse_rubric({"variant_seed": 1, "item": [{"lab": LABS[0], key: value}]}, "r")
    assert set(NO_BIAS) == {"linear", "conv2d"}
