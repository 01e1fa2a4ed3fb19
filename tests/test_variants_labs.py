"""What a lab is graded on under a per-student variant: its comparisons.verify checks on the
student's own case sizes, inputs and λ / p (the notebook's functions receive them), never a
φ, a bias or a keyword constant other than the notebook's text asks for. Every gradable lab's
solution passes under ten variants, and every feedback file says which variant was graded
and what of it a lab item uses."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from comparisons.cli.main import main
from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.errors import UsageError
from comparisons.core.ops import OpSpec
from comparisons.grading.assignment import assignment_text
from comparisons.grading.labs import NOTEBOOKS, grade_lab, lab_exercises
from comparisons.grading.rubric import parse_rubric
from comparisons.verification import variants
from comparisons.verification.loader import import_source, verify_file
from comparisons.verification.runner import verify
from comparisons.verification.variants import (
    HYPER,
    KEYWORD,
    NO_BIAS,
    Variant,
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
GRADER_VERIFIES = {("07_batch_normalization", "node_mu"), ("07_batch_normalization", "unbiased")}
"""Exercises whose shipped check runs in the grader (comparisons.grading.lab_checks) and calls
a verify that may resolve a built-in op, which the active variant then varies; every other
such check (check_value, a custom ``against`` with the lab's own reference) compares the
student's values on the notebook's own inputs, the same under any variant."""


def check_sources(lab: str) -> dict[str, str]:
    """Exercise ID -> the source of its shipped check cells."""
    nb = json.loads((NOTEBOOKS / f"{lab}.ipynb").read_text())
    out: dict[str, str] = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {})
        if "check" in meta.get("tags", []):
            src = cell["source"]
            out[meta.get("exercise")] = out.get(meta.get("exercise"), "") + (
                "".join(src) if isinstance(src, list) else src)
    return out


@pytest.mark.parametrize("lab", LABS)
def test_a_correct_lab_passes_under_ten_variants(tmp_path: Path, lab: str) -> None:
    """Each plain-verify exercise's solution, imported up to its cell once, verified as the
    grader verifies it (its pair against its op) without a variant and under ten."""
    path = tmp_path / f"{lab}.ipynb"
    solved_notebook(lab, path)
    for ident, ex in lab_exercises(lab)[0].items():
        if ex.plan is not None:  # its check runs in the grader: see the next test
            continue
        module = import_source(path, cell=ex.cell_id)[1]
        pair = getattr(module, ex.forward), getattr(module, ex.backward)
        assert verify(*pair, ex.against).passed
        for v in VARIANTS:
            with applied(v):
                report = verify(*pair, ex.against, seed=v.input_seed(0))
            assert report.passed, f"{lab} {ident} {v.student}: {report}"
        sizes = {tuple(c.dims.items()) for v in VARIANTS
                 for c in varied_spec(BUILTIN_OPS[ex.against], v).cases}
        assert len(sizes) > len(BUILTIN_OPS[ex.against].cases)  # the sizes did vary


def test_the_checks_run_in_the_grader_pass_under_variants(tmp_path: Path, monkeypatch) -> None:
    """The grader-run checks a variant can reach (:data:`GRADER_VERIFIES`) pass on the
    solution under three variants as without one; no other grader-run check calls a verify
    against a built-in op (a new one belongs in GRADER_VERIFIES, tested here)."""
    for lab in LABS:
        for ident, ex in lab_exercises(lab)[0].items():
            source = check_sources(lab).get(ident, "")
            builtin = any(f'against="{op}"' in source for op in BUILTIN_OPS)
            if ex.plan is not None and (builtin or "modes.verify" in source):
                assert (lab, ident) in GRADER_VERIFIES, (lab, ident)
    lab = "07_batch_normalization"
    path = tmp_path / f"{lab}.ipynb"
    solved_notebook(lab, path)
    ids = tuple(i for la, i in sorted(GRADER_VERIFIES) if la == lab)
    resolved: list[str] = []
    original = variants.varied_spec

    def recording(spec: OpSpec, variant: Variant) -> OpSpec:
        resolved.append(spec.name)
        return original(spec, variant)

    monkeypatch.setattr(variants, "varied_spec", recording)
    for v in (None, *VARIANTS[:3]):
        with applied(v):
            result = grade_lab(path, lab, ids, functools.partial(
                verify_file, dtype="float64", seed=0 if v is None else v.input_seed(0)))
        verdicts = {f["function"]: f["passed"] for f in result["report"]["functions"]}
        assert verdicts == dict.fromkeys(ids, True), (v, result["text"])
    assert resolved.count("batchnorm") == 3  # node_mu's check verified each variant's sizes


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
