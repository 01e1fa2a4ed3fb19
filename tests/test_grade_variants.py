"""Per-student variants (``grade --variant-seed``): derived from (seed, student) by a stable
hash, they keep each op's size invariants, never turn a correct derivation into a failure
(every correct file passes under 20 variants), keep planted bugs caught with their codes,
give bit-identical reports for the same student and other numbers for another, and reach
the gradebook, the feedback and ``--show-variant``."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from _op_gallery import inline_paths
from test_grade import LAB_RUBRIC, student_notebook

from comparisons.cli.main import main
from comparisons.core.builtin_ops import ACTIVATIONS, BUILTIN_OPS, DECLARATIONS
from comparisons.core.errors import UsageError
from comparisons.grading.assignment import assignment_text, student_variant
from comparisons.grading.rubric import Rubric, load_rubric, parse_rubric
from comparisons.verification import variants
from comparisons.verification.isolation import verify_isolated
from comparisons.verification.loader import import_file, verify_file
from comparisons.verification.report import VerifyReport
from comparisons.verification.variants import (
    APART,
    FIXED_DIMS,
    HYPER,
    KEYWORD,
    ODD_PRIMES,
    Variant,
    applied,
    derive_variant,
    variant_from_json,
    varied_spec,
)

HERE = Path(__file__).parent
ROOT = HERE.parent
CORRECT = sorted((HERE / "verify_correct").glob("*.py")) + inline_paths("CORRECT")
PLANTED = sorted((HERE / "verify_gallery").glob("*.py")) + inline_paths("PLANTED")
VARIANTS = [derive_variant(2026, f"student{i:02d}") for i in range(20)]
SEED_DEPENDENT: dict[str, set[str]] = {}
"""Planted bugs whose code may depend on the input seed (none now: the buffered
``dW[idx[n]] += dout[n]`` of embedding_fancy_plus_equals is named on every seed); a bug
listed here must still be wrong under every variant."""


def _module(path: Path) -> ModuleType:
    return import_file(path)[1]


def _verify(path: Path, variant: Variant, dtype: str = "float64") -> VerifyReport:
    """``path`` under ``variant``; a shipped-signature file (``forward(x)``) of an op whose
    constant a variant passes by keyword (:data:`KEYWORD`) under the variant's sizes and inputs
    with that constant as shipped (tests/test_variants_ops.py runs the keyword)."""
    op = getattr(_module(path), "OP", None)
    if op in KEYWORD:
        variant = dataclasses.replace(variant, params=tuple(
            p for p in variant.params if p[:2] != (op, KEYWORD[op].name)))
    with applied(variant):
        return verify_file(path, dtype=dtype, seed=variant.input_seed(0))


def _variant(rubric: Rubric, student: str) -> Variant:
    variant = student_variant(rubric, student)
    assert variant is not None
    return variant


def test_the_same_seed_and_student_give_the_same_variant_in_any_process() -> None:
    code = ("import json; from comparisons.verification.variants import derive_variant; "
            "print(json.dumps(derive_variant(2026, 'ada').to_json()))")
    here = derive_variant(2026, "ada")
    for hash_seed in ("1", "2"):  # Python's hash() differs between these processes
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True, cwd=ROOT).stdout
        assert json.loads(out) == here.to_json()
    assert variant_from_json(json.loads(json.dumps(here.to_json()))) == here
    assert derive_variant(2027, "ada") != here and derive_variant(2026, "adb") != here


def test_fifty_students_get_different_numbers() -> None:
    variants = [derive_variant(7, f"id{i:03d}") for i in range(50)]
    spec = BUILTIN_OPS["two_layer"]
    drawn = set()
    for v in variants:
        s = varied_spec(spec, v)
        inputs = s.make_inputs(np.random.default_rng(v.input_seed(0)), s.cases[0],
                               np.dtype("float64"))
        drawn.add(inputs["X"].tobytes() + inputs["W1"].tobytes() + str(inputs["lam"]).encode())
    assert len(drawn) == 50
    assert len({v.input_seed(0) for v in variants}) == 50
    sizes = {tuple(tuple(c.dims.values()) for c in varied_spec(spec, v).cases) for v in variants}
    assert len(sizes) >= 25
    assert {v.activation for v in variants} == set(ACTIVATIONS)
    assert {v.bias for v in variants} == {True, False}
    for op, names in HYPER.items():
        for name, values in names.items():
            assert {v.param(op, name) for v in variants} == set(values)


def _odd_prime(v: int) -> bool:
    return v in ODD_PRIMES


@pytest.mark.parametrize("op", list(BUILTIN_OPS))
def test_case_sizes_keep_the_ops_invariants(op: str) -> None:
    shipped = BUILTIN_OPS[op].cases
    changed = 0
    for v in VARIANTS:
        cases = varied_spec(BUILTIN_OPS[op], v).cases
        assert [c.label for c in cases] == [c.label for c in shipped]
        for old, new in zip(shipped, cases):
            a, b = dict(old.dims), dict(new.dims)
            assert a.keys() == b.keys()
            free = [k for k in a if k not in FIXED_DIMS.get(op, ()) and _odd_prime(a[k])]
            for k in a:
                if k not in free:  # 1, 2, no odd prime, structure: as shipped
                    assert b[k] == a[k], (op, old.label, k)
                else:
                    assert _odd_prime(b[k]) and b[k] >= a[k], (op, old.label, k, b[k])
            for k in free:
                for j in free:  # equal stay equal, distinct stay distinct, order kept
                    assert np.sign(a[k] - a[j]) == np.sign(b[k] - b[j]), (op, old.label, k, j)
                assert b[k] not in {b[j] for j in a if j not in free and not _odd_prime(a[j])}
                if op in APART:
                    assert b[k] not in {a[j] for j in FIXED_DIMS[op]}
            if op == "embedding":  # V above the u distinct indices the draw uses
                size = b["N"] * b["T"]
                assert b["V"] > size - max(1, size // 4)
            changed += a != b
    assert changed > 0


def test_hyper_parameters_are_every_scalar_input_and_reach_the_inputs() -> None:
    scalars = {(d.name, i.name) for d in DECLARATIONS.values() for i in d.inputs
               if i.dtype == "const" and i.draw is None and isinstance(i.value, float)}
    assert scalars == {(op, n) for op, names in HYPER.items() for n in names}
    for op, name in scalars:
        shipped = next(i.value for i in DECLARATIONS[op].inputs if i.name == name)
        assert HYPER[op][name][0] == shipped
        for v in VARIANTS[:5]:
            spec = varied_spec(BUILTIN_OPS[op], v)
            inputs = spec.make_inputs(np.random.default_rng(0), spec.cases[0],
                                      np.dtype("float64"))
            assert inputs[name] == v.param(op, name)


def test_without_a_variant_verify_is_unchanged() -> None:
    path = HERE / "verify_gallery" / "two_layer_no_l2.py"
    before = verify_file(path).to_json()
    with applied(VARIANTS[0]):
        varied = verify_file(path).to_json()
    with applied(None):
        assert verify_file(path).to_json() == before
    assert verify_file(path).to_json() == before
    assert varied != before  # the variant reached verify (same seed, other cases and lam)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_every_correct_file_passes_under_variants(path: Path) -> None:
    """5 of the 20 variants for each file of tests/verify_correct, 3 for the ops' inline ones
    (convolutions and norms, each verify several times slower), a different 5 (3) for the
    next file, so the files together try every variant and make test stays short."""
    dtype = getattr(_module(path), "DTYPE", "float64")
    k = CORRECT.index(path)
    step = 4 if path.parent == HERE / "verify_correct" else 7
    for v in VARIANTS[k % step::step]:
        report = _verify(path, v, dtype)
        assert report.passed, f"{v.student}: {report}"


@pytest.mark.parametrize("path", PLANTED, ids=lambda p: p.stem)
def test_planted_bugs_keep_their_codes_under_variants(path: Path) -> None:
    module = _module(path)
    expect, also = dict(module.EXPECT), set(getattr(module, "ALSO_WRONG", ()))
    for v in VARIANTS[:4]:
        report = _verify(path, v)
        assert report.error is None, report.error
        wrong = {g.name: g.diagnosis for g in report.gradients if not g.passed}
        assert set(wrong) == set(expect) | also, f"{v.student}: {report}"
        for name, code in expect.items():
            assert wrong[name] in SEED_DEPENDENT.get(path.stem, {code}), f"{v.student}: {report}"
        if path.stem not in SEED_DEPENDENT:
            first = getattr(module, "FIRST_DIVERGENCE", None)
            assert report.first_divergence == first
            for name, label in getattr(module, "FACTOR", {}).items():
                assert label in report.gradient(name).details["factor_labels"]


def test_the_same_variant_gives_a_bit_identical_isolated_report() -> None:
    path = HERE / "verify_gallery" / "two_layer_no_l2.py"
    runs = []
    for v in (VARIANTS[0], VARIANTS[0], VARIANTS[1]):
        with applied(v):
            runs.append(json.dumps(verify_isolated(path, seed=v.input_seed(0)).to_json()))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


ACTIVATION_SOURCE = {
    "relu": "return np.maximum(x, 0), x",
    "sigmoid": "s = 1 / (1 + np.exp(-x))\n    return s, s",
    "tanh": "t = np.tanh(x)\n    return t, t",
    "leaky_relu": "return np.where(x > 0, x, negative_slope * x), (x, negative_slope)"}
ACTIVATION_ARGS = {"leaky_relu": "x, negative_slope=0.01"}
"""A forward's parameters where they are more than x: the variant passes the slope by keyword."""
ACTIVATION_BACKWARD = {
    "relu": "dout * (c > 0)", "sigmoid": "dout * c * (1 - c)", "tanh": "dout * (1 - c**2)",
    "leaky_relu": "dout * np.where(c[0] > 0, 1.0, c[1])"}
VARIANT_RUBRIC = """title = "HW 4"
variant_seed = 11

[[item]]
name = "phi"
op = "activation"
file = "activation.py"

[[item]]
name = "network"
op = "two_layer"
file = "two_layer.py"
"""


def _activation_file(name: str) -> str:
    return (f"import numpy as np\ndef forward({ACTIVATION_ARGS.get(name, 'x')}):\n"
            f"    {ACTIVATION_SOURCE[name]}\n"
            f"def backward(dout, c):\n    return {ACTIVATION_BACKWARD[name]}\n")


def test_a_class_is_graded_on_each_students_variant(tmp_path: Path, capsys) -> None:
    rubric_path = tmp_path / "rubric.toml"
    rubric_path.write_text(VARIANT_RUBRIC)
    rubric = load_rubric(rubric_path)
    ids = [f"s{i}" for i in range(40)]
    first = ids[0]
    mine = _variant(rubric, first).activation
    other = next(s for s in ids if _variant(rubric, s).activation != mine)
    copier = next(s for s in ids if s not in (first, other)
                  and _variant(rubric, s).activation != mine)
    network = HERE / "verify_correct" / "two_layer_book_nodes.py"
    for student, act_of in ((first, first), (other, other), (copier, first)):
        (tmp_path / "class" / student).mkdir(parents=True)
        act = _variant(rubric, act_of).activation
        (tmp_path / "class" / student / "activation.py").write_text(_activation_file(act))
        shutil.copy(network, tmp_path / "class" / student / "two_layer.py")
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "class"), "--rubric", str(rubric_path), "--out",
                 str(out), "--jobs", "2", "--no-progress"]) == 0
    rows = {(r["student"], r["item"]): r for r in
            map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert rows[first, "phi"]["status"] == rows[other, "phi"]["status"] == "passed"
    assert rows[copier, "phi"]["status"] == "failed"  # a neighbour's activation is not theirs
    assert all(rows[s, "network"]["status"] == "passed" for s in (first, other, copier))
    for student in (first, copier):
        variant = _variant(rubric, student)
        feedback = (out / "feedback" / f"{student}.md").read_text()
        assert f"φ = {variant.activation}" in feedback
        assert f"lam = {variant.param('two_layer', 'lam'):g}" in feedback
        capsys.readouterr()
        assert main(["grade", "--show-variant", student, "--rubric", str(rubric_path)]) == 0
        shown = capsys.readouterr().out
        assert shown == assignment_text(rubric, student)
        assert all(line[2:] in feedback for line in shown.splitlines()[1:])


@pytest.mark.parametrize("argv, needle", [
    (["--show-variant", "ada", "--against", "two_layer"], "--variant-seed"),
    (["--show-variant", "ada", "--variant-seed", "3"], "--rubric"),
    (["--against", "two_layer", "--variant-seed", "-1"], "--variant-seed"),
])
def test_variant_options_are_checked(tmp_path: Path, capsys, argv: list[str],
                                     needle: str) -> None:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["grade", *argv, "--out", str(tmp_path / "o")]))
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_an_activation_item_without_a_variant_seed_is_a_usage_error(tmp_path: Path,
                                                                     capsys) -> None:
    rubric_path = tmp_path / "rubric.toml"
    rubric_path.write_text(VARIANT_RUBRIC.replace("variant_seed = 11\n", ""))
    (tmp_path / "class").mkdir()
    shutil.copy(HERE / "verify_correct" / "tanh_recompute.py", tmp_path / "class" / "a.py")
    capsys.readouterr()
    assert main(["grade", str(tmp_path / "class"), "--rubric", str(rubric_path), "--out",
                 str(tmp_path / "out"), "--no-progress"]) == 2
    assert "variant seed" in capsys.readouterr().err


def test_a_variant_is_a_frozen_value() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        VARIANTS[0].seed = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="variant_seed"):
        derive_variant(-1, "ada")
    with pytest.raises(ValueError, match="student"):
        derive_variant(1, "")


SPY = """
_two_layer_forward, _shapes = two_layer_forward, set()
def two_layer_forward(*args):
    if tuple(args[2].shape) not in _shapes:  # once each: the printed text is capped
        _shapes.add(tuple(args[2].shape))
        print("W1 shape", tuple(args[2].shape))
    return _two_layer_forward(*args)
"""


def spied_notebook(path: Path) -> None:
    """A solved lab whose two_layer_forward prints the W1 shape it is called with (in the
    sandbox: the grader's own processes are not this one, so the test reads what the
    student's code saw)."""
    student_notebook(path, {"linear", "two_layer"})
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("exercise") == "two_layer" and "exercise" in cell[
                "metadata"].get("tags", []):
            cell["source"] = "".join(cell["source"]) + SPY
    path.write_text(json.dumps(nb))


def test_a_lab_is_graded_on_each_students_variant(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    for student in ("ada", "bo"):
        spied_notebook(folder / f"{student}.ipynb")
    (tmp_path / "rubric.toml").write_text(LAB_RUBRIC)
    assert main(["grade", str(folder), "--rubric", str(tmp_path / "rubric.toml"), "--out",
                 str(tmp_path / "out"), "--no-progress", "--variant-seed", "5"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text()
            .splitlines()]
    assert sorted(r["score"] for r in rows) == [5.0, 5.0]  # no false alarm in a lab variant
    rubric = dataclasses.replace(load_rubric(tmp_path / "rubric.toml"), variant_seed=5)
    seen = {}
    for row in rows:
        part = next(f for f in row["report"]["functions"] if f["function"] == "two_layer")
        seen[row["student"]] = {line for line in part["printed"].splitlines()
                                if line.startswith("W1 shape")}
        spec = variants.varied_spec(BUILTIN_OPS["two_layer"], _variant(rubric, row["student"]))
        wanted = {f"W1 shape {(c.dims['h'], c.dims['d'])}" for c in spec.cases}
        assert wanted <= seen[row["student"]], row["student"]  # the student's own sizes
    assert seen["ada"] != seen["bo"]
    lam = _variant(rubric, "ada").param("two_layer", "lam")
    assert f"lam = {lam:g}" in (tmp_path / "out" / "feedback" / "ada.md").read_text()
    assert "in 'lab 1'" in assignment_text(rubric, "ada")


def test_a_gradescope_submission_is_graded_on_its_submitters_variant(tmp_path: Path) -> None:
    rubric_path = tmp_path / "rubric.toml"
    rubric_path.write_text(VARIANT_RUBRIC)
    rubric = load_rubric(rubric_path)
    email = "ada@example.edu"
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission_metadata.json").write_text(json.dumps(
        {"users": [{"email": email, "name": "Ada", "sid": "1"}]}))
    act = _variant(rubric, email).activation
    (tmp_path / "submission" / "activation.py").write_text(_activation_file(act))
    shutil.copy(HERE / "verify_correct" / "two_layer_book_nodes.py",
                tmp_path / "submission" / "two_layer.py")
    results = tmp_path / "results.json"
    assert main(["grade", str(tmp_path / "submission"), "--rubric", str(rubric_path), "--out",
                 str(tmp_path / "out"), "--gradescope", str(results), "--no-progress"]) == 0
    data = json.loads(results.read_text())
    assert all(t["status"] == "passed" for t in data["tests"]), data
    assert f"φ = {act}" in data["output"]


NO_BIAS_FILES = {
    "matmul": ("import numpy as np\ndef forward(x, W):\n    return x @ W.T, (x, W)\n"
               "def backward(dout, cache):\n    x, W = cache\n    return dout @ W, dout.T @ x\n",
               {}),
    "einsum_list": ("import numpy as np\ndef forward(x, W):\n"
                    "    return np.einsum('nd,od->no', x, W), [x, W]\n"
                    "def backward(dout, cache):\n"
                    "    return [np.einsum('no,od->nd', dout, cache[1]).tolist(),\n"
                    "            np.einsum('no,nd->od', dout, cache[0])]\n", {}),
    "dW_transposed": ("import numpy as np\ndef forward(x, W):\n    return x @ W.T, (x, W)\n"
                      "def backward(dout, cache):\n    x, W = cache\n"
                      "    return dout @ W, x.T @ dout\n", {"dW": "transposed"}),
    "dx_sign": ("import numpy as np\ndef forward(x, W):\n    return x @ W.T, (x, W)\n"
                "def backward(dout, cache):\n    x, W = cache\n"
                "    return -(dout @ W), dout.T @ x\n", {"dx": "sign_flipped"}),
}


@pytest.mark.parametrize("name", list(NO_BIAS_FILES))
def test_linear_without_its_bias_under_twenty_variants(tmp_path: Path, name: str) -> None:
    source, expect = NO_BIAS_FILES[name]
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    for v in VARIANTS:
        off = dataclasses.replace(v, bias=False)
        with applied(off, bias_varies=True):
            report = verify_file(path, "linear", seed=off.input_seed(0))
        assert report.error is None, report.error
        assert [g.name for g in report.gradients] == ["dx", "dW"]
        assert {g.name: g.diagnosis for g in report.gradients if not g.passed} == expect, (
            str(report))
    with applied(dataclasses.replace(VARIANTS[0], bias=True), bias_varies=True):
        on = verify_file(path, "linear")  # the task with a bias: forward(x, W, b)
    with applied(dataclasses.replace(VARIANTS[0], bias=False)):
        unvaried = verify_file(path, "linear")  # bias_varies not set: the bias stays
    assert on.error is not None and unvaried.error is not None


def test_a_class_is_graded_with_or_without_the_bias_of_its_variant(tmp_path: Path) -> None:
    rubric_path = tmp_path / "rubric.toml"
    rubric_path.write_text('variant_seed = 4\n[[item]]\nname = "layer"\nop = "linear"\n'
                           'bias = "variant"\npoints = { dx = 1, dW = 2, forward = 1 }\n')
    rubric = load_rubric(rubric_path)
    biased = HERE / "verify_correct" / "linear_einsum.py"
    ids = [f"s{i}" for i in range(40)]
    on = [s for s in ids if _variant(rubric, s).bias]
    off = [s for s in ids if not _variant(rubric, s).bias]
    (tmp_path / "class").mkdir()
    for student, bias in ((on[0], True), (off[0], False), (off[1], True)):  # off[1] copies
        target = tmp_path / "class" / f"{student}.py"
        if bias:
            shutil.copy(biased, target)
        else:
            target.write_text(NO_BIAS_FILES["matmul"][0])
    assert main(["grade", str(tmp_path / "class"), "--rubric", str(rubric_path), "--out",
                 str(tmp_path / "out"), "--no-progress"]) == 0
    rows = {r["student"]: r for r in
            map(json.loads, (tmp_path / "out" / "results.jsonl").read_text().splitlines())}
    assert rows[on[0]]["status"] == rows[off[0]]["status"] == "passed"
    assert rows[off[1]]["score"] == 0  # a neighbour's layer with a bias is not theirs
    assert "without a bias" in (tmp_path / "out" / "feedback" / f"{off[0]}.md").read_text()
    assert "with its bias" in assignment_text(rubric, on[0])
    with pytest.raises(UsageError, match="bias"):
        parse_rubric({"item": [{"op": "relu", "bias": "variant"}]}, "r")
    with pytest.raises(UsageError, match="db"):
        parse_rubric({"item": [{"op": "linear", "bias": "variant", "points": {"db": 1}}]}, "r")
