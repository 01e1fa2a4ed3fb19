"""``scaled`` factors named by what they equal in the case, the shapes that keep them apart,
and the upstream convention stated by ``verify --list`` and every equation."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.ops import call_forward, make_dout, reference_run
from comparisons.core.tolerances import tolerance
from comparisons.verification.candidates import EXTRA_CASES, context_for
from comparisons.verification.diagnose import DiagnosisContext, diagnose
from comparisons.verification.factors import factor_table
from comparisons.verification.listing import list_text
from comparisons.verification.loader import import_file, verify_file
from comparisons.verification.patterns import scaled_finding

TOL = tolerance("autograd", np.float64)
GALLERY = Path(__file__).parent / "verify_gallery"
# Every size distinct, prime and != 2; no scalar equal to a size-derived value.
DIMS = {"N": 5, "d": 7, "h": 11, "q": 3, "N·q": 15, "n": 13}
FULL = DiagnosisContext(dims=DIMS, mean_over="N·q", dropout_p=0.3, lam=0.37, dout=1.7,
                        loss=0.61)
P, LAM, DOUT, ELL = 0.3, 0.37, 1.7, 0.61
# label -> (value in FULL, words of its usual cause, what the message says it equals here)
VOCABULARY = {
    "N·q": (15, "the 1/(N·q) is missing", "N·q = 15 in this case"),
    "1/(N·q)": (1 / 15, "1/(N·q) of the mean applied twice", "1/(N·q) = 0.06667 in this case"),
    "N": (5, "dividing by q instead of N·q", "N = 5 in this case, the batch size"),
    "1/N": (1 / 5, "an extra 1/N", "1/N = 0.2 in this case"),
    "q": (3, "dividing by N instead of N·q: the mean over all N·q elements was taken over N "
          "only", "q = 3 in this case, the number of outputs"),
    "1/q": (1 / 3, "an extra 1/q", "1/q = 0.3333 in this case"),
    "2": (2, "the 1/2 convention", "factor 2"),
    "1/2": (0.5, "the 1/2 convention used where the loss has none", "factor 0.5"),
    "N·q/2": (7.5, "combined with the 1/2 convention", "N·q/2 = 7.5 in this case"),
    "2/(N·q)": (2 / 15, "applied twice, combined with a factor 2", "2/(N·q) = 0.1333"),
    "d": (7, "a sum over the axis of size d", "d = 7 in this case, the number of inputs"),
    "1/d": (1 / 7, "a mean over the axis of size d", "1/d = 0.1429 in this case"),
    "h": (11, "a sum over the axis of size h", "h = 11 in this case, the number of hidden"),
    "1/h": (1 / 11, "a mean over the axis of size h", "1/h = 0.09091 in this case"),
    "n/(n - 1)": (13 / 12, "the unbiased variance", "n = 13, the count the variance"),
    "(n - 1)/n": (12 / 13, "the biased variance (divided by n)", "(n - 1)/n = 0.9231"),
    "1 - p": (1 - P, "1/(1 - p) is missing", "p = 0.3, the drop probability"),
    "1/(1 - p)": (1 / (1 - P), "1/(1 - p) is applied twice", "1/(1 - p) = 1.429"),
    "(1 - p)/p": ((1 - P) / P, "1/p where 1/(1 - p) is due", "CS231n's p is the keep"),
    "p/(1 - p)": (P / (1 - P), "keep and drop probabilities confused", "p/(1 - p) = 0.4286"),
    "lam": (LAM, "lam applied twice", "lam = 0.37 in this case, the weight-decay strength"),
    "1/lam": (1 / LAM, "lam left out", "1/lam = 2.703 in this case"),
    "dout": (DOUT, "dout multiplied in twice", "dout = 1.7 in this case, the upstream"),
    "1/dout": (1 / DOUT, "dout not multiplied in", "1/dout = 0.5882 in this case"),
    "2ℓ": (2 * ELL, "the 1/(2ℓ) is missing", "2ℓ = 1.22 in this case: ℓ = 0.61, the loss"),
    "1/(2ℓ)": (1 / (2 * ELL), "the 1/(2ℓ) applied twice", "1/(2ℓ) = 0.8197 in this case"),
}


def _e(shape: tuple[int, ...] = (4, 3)) -> np.ndarray:
    return np.random.default_rng(0).normal(size=shape)


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("label", sorted(VOCABULARY))
def test_every_factor_is_named_by_what_it_equals_here_with_its_cause(label, sign):
    value, cause, here = VOCABULARY[label]
    e = _e()
    found = scaled_finding(sign * value * e, e, "do", TOL, FULL)
    assert found is not None and found.code == "scaled"
    expected_label = label if sign > 0 else "-" + label
    assert found.details["factor_labels"] == [expected_label]  # no other factor coincides
    assert found.factor == pytest.approx(sign * value, rel=1e-12)
    assert f"it equals {expected_label} × the reference" in found.message
    assert cause in found.message and here in found.message, found.message
    assert "No usual cause" not in found.message
    assert ("the sign is flipped" in found.message) == (sign < 0)


def test_the_vocabulary_is_every_label_of_the_table():
    positive = [f.label for f in factor_table(FULL) if not f.label.startswith("-")]
    assert sorted(positive) == sorted(VOCABULARY) and len(set(positive)) == len(positive)


def test_a_size_or_upstream_of_1_names_nothing():
    ctx = DiagnosisContext(dims={"N": 1, "D": 3, "N·D": 3}, mean_over="N·D", dout=1.0)
    assert all(abs(f.value) != 1.0 for f in factor_table(ctx))
    assert {"N", "1/N", "dout", "1/dout"}.isdisjoint(f.label for f in factor_table(ctx))


def test_the_full_diagnosis_names_q_for_lab_1s_slip():
    rng = np.random.default_rng(1)
    o, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    d = diagnose(2 * (o - Y) / 5, 2 * (o - Y) / 15, name="do", tol=TOL, context=FULL)
    assert d.code == "scaled" and d.details["factor_labels"] == ["q"]
    assert d.details["factor_values"] == {"q": 3} and "1/2 convention" not in d.message


def test_factors_equal_in_one_case_are_all_named():
    # N = 1: N·q = q, and both causes are true of this case; the mean's label comes first.
    ctx = DiagnosisContext(dims={"N": 1, "q": 3, "N·q": 3}, mean_over="N·q")
    e = _e()
    d = diagnose(3 * e, e, name="do", tol=TOL, context=ctx)
    assert d.details["factor_labels"] == ["N·q", "q"] and "here it also equals q" in d.message
    assert "the 1/(N·q) is missing" in d.message and "dividing by N instead" in d.message


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"dims": {"N": 0}}, "dims['N']"), ({"dims": {"N": 2.5}}, "dims['N']"),
    ({"dims": {"N": True}}, "dims['N']"), ({"dims": {"N": 5, "N·q": 15}}, "dims['N·q']"),
    ({"dims": {"N": 5, "q": 3, "N·q": 16}}, "product"), ({"mean_over": "N"}, "mean_over"),
    ({"dout": float("inf")}, "dout"), ({"loss": float("nan")}, "loss"),
])
def test_context_refuses_bad_dims_and_values(kwargs, word):
    with pytest.raises(ValueError, match=re.escape(word)):
        DiagnosisContext(**kwargs)


def _cases(op: str):
    spec = BUILTIN_OPS[op]
    return [(c, None) for c in spec.cases] + list(EXTRA_CASES.get(op, ()))


def _contexts(op: str, seed: int = 0):
    """(case, gradient, context) of every case of ``op``, built as verify builds them."""
    spec, rng = BUILTIN_OPS[op], np.random.default_rng(seed)
    for case, transform in _cases(op):
        inputs = spec.make_inputs(rng, case, np.dtype("float64"))
        inputs = transform(inputs) if transform else inputs
        out, _ = call_forward(spec, spec.forward, inputs)
        dout = make_dout(spec, out, rng)  # a scalar dout != 1 adds dout and 1/dout
        _, ref = reference_run(spec, inputs, dout)
        for g in spec.grads + spec.intermediates:
            yield case, g, context_for(op, g, inputs, dout, ref, spec.equations.get(g))


# A batch statistic's smallest batch (N = 2, or D = 2 for a row statistic) is an awkward case of
# its own, as N = 1 is for the others: 2 and N coincide there, both named; verify reports the
# first failing case, whose sizes are distinct (test below).
SMALLEST = {("batchnorm", "N=2"), ("layernorm", "D=2")}


@pytest.mark.parametrize("op", sorted(BUILTIN_OPS))
def test_builtin_case_sizes_are_distinct_and_not_2_where_they_name_factors(op):
    for case, g, ctx in _contexts(op):
        if (op, case.label) in SMALLEST:
            continue
        sizes = [v for k, v in ctx.named_dims().items() if "·" not in k and v > 1]
        if not sizes:
            continue
        assert 2 not in sizes, (op, case.label, g, sizes)
        if (op, case.label) == ("linear", "square W"):  # D_in = D_out, to catch transposes
            sizes.remove(ctx.named_dims()["D_out"])
        assert len(set(sizes)) == len(sizes), (op, case.label, g, sizes)


@pytest.mark.parametrize("op", sorted(BUILTIN_OPS))
def test_no_two_factors_coincide_in_a_builtin_case_without_a_size_1(op):
    for case, _, ctx in _contexts(op):
        dims = ctx.named_dims()
        if (any(v == 1 for v in dims.values()) or (op, case.label) == ("linear", "square W")
                or (op, case.label) in SMALLEST):
            continue  # N = 1 makes N·q = q: the same factor, both named (see above)
        table = factor_table(ctx)
        for a, b in itertools.combinations(table, 2):
            assert abs(a.value - b.value) > 1e-3 * abs(b.value), (op, case.label, a, b)


def test_the_first_case_of_every_sized_op_has_every_size_above_1():
    # verify reports the first failing case: it must name q, not "q or N·q".
    for op in ("linear", "softmax_cross_entropy", "mse", "log_rmse", "two_layer", "batchnorm",
               "layernorm"):
        assert all(v > 1 for v in BUILTIN_OPS[op].cases[0].dims.values()), op


def _factor_files() -> list[Path]:
    return [p for p in sorted(GALLERY.glob("*.py")) if hasattr(import_file(p)[1], "FACTOR")]


@pytest.mark.parametrize("path", _factor_files(), ids=lambda p: p.stem)
def test_gallery_factor_is_the_first_name(path: Path):
    report = verify_file(path)
    for name, label in import_file(path)[1].FACTOR.items():
        row = report.gradient(name)
        assert row.details["factor_labels"][0] == label, row.message
        assert f"equals {label} × the reference" in row.message


@pytest.mark.parametrize(("stem", "grad", "cause"), [
    ("two_layer_do_per_example", "do", "dividing by N instead of N·q"),
    ("two_layer_do_sum", "do", "the mean over all N·q elements: the 1/(N·q) is missing"),
    ("mse_batch_mean", "dpred", "dividing by N instead of N·D"),
    ("linear_db_mean", "db", "a mean over the batch where a sum is due"),
    ("softmax_ce_sum", "dlogits", "the mean over all N elements: the 1/N is missing"),
])
def test_gallery_factor_has_the_cause_of_its_op(stem, grad, cause):
    assert cause in verify_file(GALLERY / f"{stem}.py").gradient(grad).message


def test_a_scalar_objectives_upstream_value_names_factors():
    spec = BUILTIN_OPS["mse"]
    inputs = spec.make_inputs(np.random.default_rng(0), spec.cases[0], np.dtype("float64"))
    _, ref = reference_run(spec, inputs, np.asarray(1.7))
    ctx = context_for("mse", "dpred", inputs, np.asarray(1.7), ref, None)
    assert ctx.dout == 1.7 and ctx.mean_over == "N·D"
    d = diagnose(ref["dpred"] / 1.7, ref["dpred"], name="dpred", tol=TOL, context=ctx)
    assert d.details["factor_labels"] == ["1/dout"]


def test_gallery_names_the_factors_real_slips_make():
    labels = {label for p in _factor_files() for label in import_file(p)[1].FACTOR.values()}
    assert {"q", "N·q", "N·D", "D", "(1 - p)/p", "2ℓ", "1/N", "N", "2", "1/2"} <= labels


def test_list_and_every_equation_state_the_upstream_convention():
    text = list_text()
    assert "judged at dJ = 1, the gradient of the objective itself" in text
    assert "dout, the upstream gradient, same shape as out" in text
    for name, spec in BUILTIN_OPS.items():
        arg = re.search(r"backward\((\w+)", spec.signature).group(1)
        assert spec.convention in text
        if spec.scalar_output:
            assert f"{arg} = 1: the gradient of" in spec.convention, name
            assert all(eq.endswith(f"(with {arg} = 1)") for eq in spec.equations.values()), name
        else:
            assert "dout is the upstream gradient, same shape as out" in spec.convention, name
            assert all("dout: the upstream gradient" in eq for eq in spec.equations.values())
        assert set(spec.equations) == set(spec.grads + spec.intermediates), name


def test_a_hint_quotes_the_convention():
    report = verify_file(GALLERY / "two_layer_no_l2.py")
    assert "(with dJ = 1)" in report.gradient("dW2").message
