"""Per-student variants of an op's constants and bias (comparisons.verification.variant_ops):
under a variant, leaky_relu's negative_slope and multiclass_hinge's margin are the variant's and
passed by keyword (correct code written the usual ways passes under 20 variants, each planted
bug keeps its diagnosis, a slope or margin copied from the shipped text fails), conv2d loses
its bias when the variant says so; the same (seed, student) gives bit-identical reports, and
without a variant the shipped ``forward(x)`` files pass as before."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import test_leaky_relu
import test_multiclass_hinge

from comparisons.cli.main import main
from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.errors import UsageError
from comparisons.grading.assignment import assignment_text
from comparisons.grading.rubric import load_rubric, parse_rubric
from comparisons.verification.isolation import verify_isolated
from comparisons.verification.loader import verify_file
from comparisons.verification.report import VerifyReport
from comparisons.verification.variants import (
    KEYWORD,
    NO_BIAS,
    Variant,
    active_spec,
    applied,
    derive_variant,
)

VARIANTS = [derive_variant(2026, f"student{i:02d}") for i in range(20)]
NP = "import numpy as np\n"
LEAKY_WHERE = ("def forward(x, negative_slope=0.01):\n"
               "    return np.where(x > 0, x, negative_slope * x), (x, negative_slope)\n")
LEAKY = {  # stem -> (source, expected {gradient: code}, pattern of a localized dx)
    "where": (LEAKY_WHERE + "def backward(dout, cache):\n    x, a = cache\n"
              "    return np.where(x > 0, dout, a * dout)\n", {}, None),
    "keyword_only_ge": ("def forward(x, *, negative_slope):\n    a = negative_slope\n"
                        "    return np.where(x >= 0, x, a * x), {'x': x, 'a': a}\n"
                        "def backward(dout, c):\n"
                        "    return dout * np.where(c['x'] >= 0, 1.0, c['a'])\n", {}, None),
    "inplace_copy": (LEAKY_WHERE + "def backward(dout, cache):\n    x, a = cache\n"
                     "    dx = dout.copy()\n    dx[x <= 0] *= a\n    return dx\n", {}, None),
    "max_min_list": ("def forward(x, negative_slope=0.01):\n    a = negative_slope\n"
                     "    return np.maximum(x, 0) + a * np.minimum(x, 0), (x, a)\n"
                     "def backward(dout, cache):\n    x, a = cache\n"
                     "    return (dout * (x > 0) + a * dout * (x <= 0)).tolist()\n", {}, None),
    "float32": ("DTYPE = 'float32'\ndef forward(x, negative_slope=0.01):\n"
                "    a = x.dtype.type(negative_slope)\n"
                "    return np.where(x > 0, x, a * x), (x, a)\n"
                "def backward(dout, cache):\n    x, a = cache\n"
                "    return dout * np.where(x > 0, x.dtype.type(1), a)\n", {}, None),
    "slope_forgotten": (LEAKY_WHERE + "def backward(dout, cache):\n"
                        "    return dout * (cache[0] > 0)\n",
                        {"dx": "localized"},
                        "x < 0 (the negative side: dx = negative_slope · dout there)"),
    "no_derivative": (LEAKY_WHERE + "def backward(dout, cache):\n    return dout\n",
                      {"dx": "missing_activation_derivative"}, None),
    "kink_zero": (LEAKY_WHERE + "def backward(dout, cache):\n    x, a = cache\n"
                  "    return dout * np.where(x > 0, 1.0, np.where(x < 0, a, 0.0))\n",
                  {"dx": "localized"}, "x == 0 (leaky ReLU kink)"),
}
HINGE_FORWARD = ("def forward(scores, y, *, margin=1.0):\n    n = scores.shape[0]\n"
                 "    m = np.maximum(0, scores - scores[np.arange(n), y][:, None] + margin)\n"
                 "    m[np.arange(n), y] = 0\n    return m.sum() / n, (scores, y, m, margin)\n"
                 "def backward(dloss, cache):\n    s, y, m, margin = cache\n    n = s.shape[0]\n"
                 "    rows = np.arange(n)\n")
HINGE = {
    "vectorised": (HINGE_FORWARD + "    b = (m > 0).astype(s.dtype)\n"
                   "    b[rows, y] = -b.sum(axis=1)\n    return b * dloss / n\n", {}, None),
    "ge_at_kink": (HINGE_FORWARD + "    full = s - s[rows, y][:, None] + margin\n"
                   "    b = (full >= 0).astype(s.dtype)\n    b[rows, y] = 0\n"
                   "    b[rows, y] = -b.sum(axis=1)\n    return b * dloss / n\n", {}, None),
    "loops": (HINGE_FORWARD + "    d = np.zeros_like(s)\n    for i in range(n):\n"
              "        for j in range(s.shape[1]):\n"
              "            if j != y[i] and s[i, j] - s[i, y[i]] + margin > 0:\n"
              "                d[i, j] += 1\n                d[i, y[i]] -= 1\n"
              "    return d * dloss / n\n", {}, None),
    "onehot_list": (HINGE_FORWARD + "    a = np.where(m > 0, 1.0, 0.0)\n"
                    "    onehot = np.eye(s.shape[1])[y]\n"
                    "    k = a.sum(axis=1, keepdims=True)\n"
                    "    return ((a - onehot * k) * dloss / n).tolist()\n",
                    {}, None),
    "float32": ("DTYPE = 'float32'\n" + HINGE_FORWARD + "    b = (m > 0).astype(np.float32)\n"
                "    b[rows, y] = -b.sum(axis=1)\n    return b * np.float32(dloss / n)\n",
                {}, None),
    "count_forgotten": (HINGE_FORWARD + "    b = (m > 0).astype(s.dtype)\n    b[rows, y] = -1\n"
                        "    return b * dloss / n\n", {"dscores": "localized"}, None),
    "divided_by_c": (HINGE_FORWARD + "    b = (m > 0).astype(s.dtype)\n"
                     "    b[rows, y] = -b.sum(axis=1)\n    return b * dloss / (n * s.shape[1])\n",
                     {"dscores": "scaled"}, None),
}
FILES = {**{f"leaky_relu_{k}": ("leaky_relu", *v) for k, v in LEAKY.items()},
         **{f"multiclass_hinge_{k}": ("multiclass_hinge", *v) for k, v in HINGE.items()}}


def _write(tmp_path: Path, stem: str, source: str) -> Path:
    path = tmp_path / f"{stem}.py"
    path.write_text(NP + source)
    return path


def _verify(path: Path, op: str, v: Variant | None, **kw: object) -> VerifyReport:
    dtype = "float32" if "DTYPE = 'float32'" in path.read_text() else "float64"
    with applied(v, **kw):  # type: ignore[arg-type]
        return verify_file(path, op, dtype=dtype, seed=0 if v is None else v.input_seed(0))


def _wrong(report: VerifyReport) -> dict[str, str]:
    assert report.error is None, report.error
    return {g.name: g.diagnosis for g in report.gradients if not g.passed}


@pytest.mark.parametrize("stem", list(FILES))
def test_keyword_constants_under_twenty_variants(tmp_path: Path, stem: str) -> None:
    op, source, expect, pattern = FILES[stem]
    path = _write(tmp_path, stem, source)
    name = KEYWORD[op].name
    assert {v.param(op, name) for v in VARIANTS} == set(KEYWORD[op].values)
    for v in VARIANTS:
        report = _verify(path, op, v)
        assert _wrong(report) == expect, f"{v.student}: {report}"
        assert report.passed == (not expect)
        if pattern is not None:
            details = report.gradient("dx").details
            assert (details["pattern"], details["pattern_match"]) == (pattern, "exact")
        if stem.endswith("divided_by_c"):
            assert "1/C" in report.gradient("dscores").details["factor_labels"]
    assert name not in active_spec(BUILTIN_OPS[op]).keywords  # no variant active here
    if "keyword_only" not in stem:  # called forward(x) without a variant, its default used
        assert _wrong(_verify(path, op, None)) == expect


def test_the_kink_and_mistakes_use_the_variants_value(tmp_path: Path) -> None:
    """The exact-kink cases stay at the kink at every margin, in float32 too; the kink rule's
    low end is the variant's slope (dx = 0.01 · dout at x == 0 is outside [0.07, 1])."""
    other = next(v for v in VARIANTS if v.param("leaky_relu", "negative_slope") != 0.01)
    path = _write(tmp_path, "kink_shipped", LEAKY_WHERE + "def backward(dout, cache):\n"
                  "    x, a = cache\n    return dout * np.where(x > 0, 1.0, np.where(x < 0, a,"
                  " 0.01))\n")
    report = _verify(path, "leaky_relu", other)
    assert _wrong(report) == {"dx": "localized"}
    assert report.gradient("dx").details["pattern"] == "x == 0 (leaky ReLU kink)"
    copied = _write(tmp_path, "slope_shipped", LEAKY_WHERE + "def backward(dout, cache):\n"
                    "    return dout * np.where(cache[0] > 0, 1.0, 0.01)\n")
    report = _verify(copied, "leaky_relu", other)  # the backward's slope copied from the text
    assert _wrong(report) == {"dx": "localized"}
    assert report.gradient("dx").details["pattern"] == FILES["leaky_relu_slope_forgotten"][3]
    for stem in ("multiclass_hinge_vectorised", "multiclass_hinge_float32"):
        hinge = _write(tmp_path, stem, FILES[stem][1])
        for v in VARIANTS[:6]:
            report = _verify(hinge, "multiclass_hinge", v)
            assert report.passed and "margin exactly 0" in report.cases, str(report)
            (note,) = report.gradient("dscores").notes  # the > 0 choice at an exact kink
            assert note.startswith("subgradient_at_kink"), note


def test_a_leaky_phi_is_assigned_with_its_slope() -> None:
    rubric = parse_rubric({"variant_seed": 11, "item": [{"name": "phi", "op": "activation"}]},
                          "r")
    student = next(s for s in (f"s{i}" for i in range(100))
                   if derive_variant(11, s).activation == "leaky_relu")
    slope = derive_variant(11, student).param("leaky_relu", "negative_slope")
    text = assignment_text(rubric, student)
    assert "φ = leaky_relu: forward(x, *, negative_slope) -> (out, cache)" in text
    assert f"negative_slope = {slope:g}, passed by keyword" in text


def active_spec_signature(op: str, v: Variant) -> str:
    """The signature and convention a student reads under ``v``: the keyword and its value."""
    with applied(v):
        spec = active_spec(BUILTIN_OPS[op])
    value = v.param(op, KEYWORD[op].name)
    assert f"{value:g}" in spec.convention
    return spec.signature


@pytest.mark.parametrize("op, shipped", [
    ("leaky_relu", "def forward(x):\n    return np.where(x > 0, x, 0.01 * x), x\n"
                   "def backward(dout, x):\n    return dout * np.where(x > 0, 1.0, 0.01)\n"),
    ("multiclass_hinge", HINGE_FORWARD.replace(", *, margin=1.0", "").replace(
        "+ margin)", "+ 1.0)").replace(", margin)\n", ", 1.0)\n") +
     "    b = (m > 0).astype(s.dtype)\n    b[rows, y] = -b.sum(axis=1)\n"
     "    return b * dloss / n\n"),
])
def test_a_shipped_constant_copied_from_the_text_fails_under_a_variant(
        tmp_path: Path, op: str, shipped: str) -> None:
    path = _write(tmp_path, f"{op}_shipped", shipped)
    assert _verify(path, op, None).passed  # right without a variant
    name = KEYWORD[op].name
    for v in VARIANTS[:8]:
        report = _verify(path, op, v)
        assert not report.passed and report.error is not None
        assert name in report.error, report.error  # forward(x) got the keyword it lacks
    assert name in active_spec_signature(op, VARIANTS[0])


@pytest.mark.parametrize("path", [p for p in test_leaky_relu.CORRECT] +
                         [p for p in test_multiclass_hinge.CORRECT])
def test_without_a_variant_the_shipped_galleries_pass_as_before(tmp_path: Path,
                                                                path: str) -> None:
    module = test_leaky_relu if path in test_leaky_relu.CORRECT else test_multiclass_hinge
    file = tmp_path / f"{path}.py"
    file.write_text(module.CORRECT[path])
    dtype = "float32" if "float32" in path else "float64"
    before = verify_file(file, dtype=dtype)
    with applied(None):
        again = verify_file(file, dtype=dtype)
    assert before.passed, str(before)
    assert json.dumps(before.to_json()) == json.dumps(again.to_json())


CONV_FORWARD = """from numpy.lib.stride_tricks import sliding_window_view


def windows(x, kh, kw, s, p):
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    return xp, sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::s, ::s]


def forward(x, W, *, stride, padding):
    _, win = windows(x, *W.shape[2:], stride, padding)
    return np.einsum("nchwkl,fckl->nfhw", win, W), (x, W, stride, padding)


def backward(dout, cache):
    x, W, s, p = cache
    xp, win = windows(x, *W.shape[2:], s, p)
    oh, ow = dout.shape[2:]
    dW = np.einsum("nchwkl,nfhw->fckl", win[:, :, :oh, :ow], dout)
    dxp = np.zeros_like(xp)
    KERNEL = W
    for k in range(W.shape[2]):
        for l in range(W.shape[3]):
            dxp[:, :, k:k + s * oh:s, l:l + s * ow:s] += np.einsum(
                "nfhw,fc->nchw", dout, KERNEL[:, :, k, l])
    dx = dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]]
"""
CONV = {
    "einsum": (CONV_FORWARD + "    return dx, dW\n", {}),
    "lists": (CONV_FORWARD + "    return dx.tolist(), [list(f) for f in dW]\n", {}),
    "float32": ("DTYPE = 'float32'\n" + CONV_FORWARD + "    return dx.astype(x.dtype), dW\n", {}),
    "dx_flipped": (CONV_FORWARD.replace("KERNEL = W", "KERNEL = W[:, :, ::-1, ::-1]") +
                   "    return dx, dW\n", {"dx": "kernel_flipped"}),
    "dW_convolution": (CONV_FORWARD + "    return dx, dW[:, :, ::-1, ::-1]\n",
                       {"dW": "kernel_flipped"}),
}


@pytest.mark.parametrize("stem", list(CONV))
def test_conv2d_without_its_bias_under_variants(tmp_path: Path, stem: str) -> None:
    """Each file under 4 of the 20 variants (a different 4 for the next file: together all
    20; a convolution's verify takes ~0.6 s)."""
    source, expect = CONV[stem]
    path = _write(tmp_path, f"conv2d_{stem}", source)
    k = list(CONV).index(stem)
    for v in VARIANTS[k::len(CONV)]:
        off = dataclasses.replace(v, bias=False)
        report = _verify(path, "conv2d", off, bias_varies=True)
        assert [g.name for g in report.gradients] == ["dx", "dW"]
        assert _wrong(report) == expect, f"{v.student}: {report}"
    on = _verify(path, "conv2d", dataclasses.replace(VARIANTS[0], bias=True), bias_varies=True)
    assert on.error is not None  # with its bias the task is forward(x, W, b, ...)
    assert "db" not in NO_BIAS["conv2d"].signature and "b[f]" not in NO_BIAS["conv2d"].convention


def test_a_rubric_may_vary_conv2ds_bias_but_not_a_norms_beta() -> None:
    rubric = parse_rubric({"variant_seed": 1, "item": [
        {"op": "conv2d", "bias": "variant", "points": {"dx": 1, "dW": 1}}]}, "r")
    assert rubric.items[0].bias_varies
    with pytest.raises(UsageError, match="db"):
        parse_rubric({"item": [{"op": "conv2d", "bias": "variant", "points": {"db": 1}}]}, "r")
    with pytest.raises(UsageError, match="bias"):
        parse_rubric({"item": [{"op": "batchnorm", "bias": "variant"}]}, "r")


@pytest.mark.parametrize("op, stem", [("leaky_relu", "leaky_relu_where"),
                                      ("multiclass_hinge", "multiclass_hinge_vectorised"),
                                      ("conv2d", "einsum")])
def test_the_same_variant_gives_a_bit_identical_isolated_report(tmp_path: Path, op: str,
                                                                 stem: str) -> None:
    path = _write(tmp_path, stem, FILES[stem][1] if stem in FILES else CONV[stem][0])
    runs = []
    for v in (VARIANTS[1], VARIANTS[1], VARIANTS[2]):
        v = dataclasses.replace(v, bias=False)
        with applied(v, bias_varies=op in NO_BIAS):
            report = verify_isolated(path, op, seed=v.input_seed(0))
        assert report.passed, str(report)
        runs.append(json.dumps(report.to_json()))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_a_class_is_graded_on_its_slopes_margins_biases_and_says_so(tmp_path: Path) -> None:
    """op items of leaky_relu, multiclass_hinge and conv2d (bias = "variant") and a CS231n
    convention item, graded in the sandbox: keyword-aware correct files pass, a file that
    takes no keyword fails, and each feedback file states the variant its items used."""
    rubric_path = tmp_path / "rubric.toml"
    rubric_path.write_text(
        'variant_seed = 3\n[[item]]\nname = "leaky"\nop = "leaky_relu"\nfile = "leaky.py"\n'
        '[[item]]\nname = "svm"\nop = "multiclass_hinge"\nfile = "svm.py"\n'
        '[[item]]\nname = "conv"\nop = "conv2d"\nbias = "variant"\nfile = "conv.py"\n'
        '[[item]]\nname = "layers"\nconvention = "cs231n"\nfile = "layers.py"\n'
        'points = { affine = 1, relu = 1 }\n')
    rubric = load_rubric(rubric_path)
    students = ["ada", "bo", "cy"]
    for student in students:
        folder = tmp_path / "class" / student
        folder.mkdir(parents=True)
        v = derive_variant(3, student)
        leaky = "where" if student != "cy" else None  # cy keeps the shipped forward(x)
        (folder / "leaky.py").write_text(
            NP + (LEAKY[leaky][0] if leaky else
                  "def forward(x):\n    return np.where(x > 0, x, 0.01 * x), x\n"
                  "def backward(dout, x):\n    return dout * np.where(x > 0, 1.0, 0.01)\n"))
        (folder / "svm.py").write_text(NP + HINGE["vectorised"][0])
        conv = (CONV["einsum"][0] if not v.bias else
                CONV_FORWARD.replace("def forward(x, W, *,", "def forward(x, W, b, *,")
                .replace('return np.einsum("nchwkl,fckl->nfhw", win, W),',
                         'return np.einsum("nchwkl,fckl->nfhw", win, W) + b[:, None, None],')
                + "    return dx, dW, dout.sum(axis=(0, 2, 3))\n")
        (folder / "conv.py").write_text(NP + conv)
        (folder / "layers.py").write_text(
            (Path(__file__).parent / "cs231n_layers" / "correct_layers.py").read_text())
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "class"), "--rubric", str(rubric_path), "--out",
                 str(out), "--jobs", "2", "--no-progress"]) == 0
    rows = {(r["student"], r["item"]): r for r in
            map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    for student in students:
        v = derive_variant(3, student)
        for item in ("svm", "conv", "layers"):
            assert rows[student, item]["status"] == "passed", rows[student, item]
        leaky = rows[student, "leaky"]  # cy's forward(x) is called with the keyword: 0 points
        assert (leaky["status"], leaky["score"]) == (("error", 0) if student == "cy" else
                                                     ("passed", leaky["max"]))
        feedback = (out / "feedback" / f"{student}.md").read_text()
        assert all(line[2:] in feedback
                   for line in assignment_text(rubric, student).splitlines()[1:])
        assert f"negative_slope = {v.param('leaky_relu', 'negative_slope'):g}" in feedback
        assert f"margin = {v.param('multiclass_hinge', 'margin'):g}" in feedback
        assert ("with its bias" if v.bias else "without a bias") in feedback
        assert "convention items: the course's case sizes" in feedback
    assert "negative_slope" in rows["cy", "leaky"]["report"]["error"]
