"""The diagnosis engine of ``backprop-lab verify``: every code on synthetic float64 gradients."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from comparisons.core.tolerances import tolerance
from comparisons.verification.diagnose import CODES, Diagnosis, DiagnosisContext, diagnose

TOL = tolerance("autograd", np.float64)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _diag(
    g: NDArray[np.float64],
    e: NDArray[np.float64],
    ctx: DiagnosisContext | None = None,
    name: str = "dW",
) -> Diagnosis:
    """Diagnose and check the invariants every Diagnosis must keep."""
    d = diagnose(g, e, name=name, tol=TOL, context=ctx)
    assert d.code in CODES
    assert d.passed == (d.code == "ok")
    assert d.message.startswith(name) or name in d.message
    json.dumps(d.to_json(), allow_nan=False)  # always JSON-ready
    return d


def test_ok_within_tolerance_and_not_beyond():
    e = _rng().normal(size=(3, 4))
    d = _diag(e * (1 + TOL.rtol / 4), e)
    assert d.code == "ok" and d.max_abs_err is not None and d.max_rel_err <= TOL.rtol
    assert _diag(e * (1 + 1e3 * TOL.rtol), e).code == "scaled"


def test_all_zero_expected_ok_versus_zero():
    e, r = np.zeros((2, 3)), _rng().normal(size=(2, 3))
    assert [_diag(np.zeros((2, 3)), e).code, _diag(np.zeros((2, 3)), r).code] == ["ok", "zero"]
    assert _diag(r, e).code != "ok"


def test_tolerance_is_duck_typed():
    e = _rng().normal(size=5)
    tol = SimpleNamespace(rtol=TOL.rtol, atol=TOL.atol)
    assert diagnose(-e, e, name="db", tol=tol).code == "sign_flipped"


@pytest.mark.parametrize("shape", [(4, 4), (3, 5)])  # square; W is (D_out, D_in)
def test_transposed_square_and_non_square(shape):
    e = _rng().normal(size=shape)
    d = _diag(e.T, e, DiagnosisContext(equation="dW = dout^T x"))
    assert d.code == "transposed" and "dW = dout^T x" in d.message
    assert (d.max_abs_err is None) == (shape[0] != shape[1])
    if shape[0] != shape[1]:
        assert "(5, 3)" in d.message and "(3, 5)" in d.message


def test_reversed_shape_with_other_values_says_what_transposing_gives():
    e = _rng().normal(size=(3, 5))
    d = _diag(2 * e.T, e)
    assert d.code == "wrong_shape" and d.details["after_transpose"] == "scaled"
    assert "reverse" in d.message


@pytest.mark.parametrize("extra", ["given", "expected"])
def test_size_one_axis_is_wrong_shape_not_broadcast(extra):
    e = _rng().normal(size=6)
    g, e = (e[None, :], e) if extra == "given" else (e, e[None, :])
    d = _diag(g, e, name="db")
    assert d.code == "wrong_shape" and d.details["values_right"]
    assert "broadcasting" in d.message and str(e.shape) in d.message


@pytest.mark.parametrize("how", ["sum", "mean"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_not_summed_over_batch_by_shape(how, keepdims):
    per_example = _rng().normal(size=(8, 5))  # db contributions of N = 8 examples
    e = getattr(per_example, how)(axis=0, keepdims=keepdims)
    d = _diag(per_example, e, name="db")
    assert d.code == "not_summed_over_batch" and d.details["reduction"] == how
    assert "(8, 5)" in d.message and how in d.message


def test_not_summed_over_batch_by_candidate():
    rng = _rng()
    dout, x = rng.normal(size=(6, 3)), rng.normal(size=(6, 4))
    e = dout.T @ x
    one = np.outer(dout[0], x[0])  # only the first example's contribution
    ctx = DiagnosisContext(candidates={"not_summed_over_batch": one})
    assert _diag(one, e, ctx).code == "not_summed_over_batch"


@pytest.mark.parametrize(
    ("make", "code", "word"),
    [
        (lambda e, r: -e, "sign_flipped", "sign"),
        (lambda e, r: np.zeros_like(e), "zero", "zeros"),
        (lambda e, r: r.normal(size=e.shape), "unknown", "max abs error"),
        (lambda e, r: np.ones((2, 7)), "wrong_shape", "(2, 7)"),
    ],
)
def test_simple_codes(make, code, word):
    rng = _rng()
    e = rng.normal(size=(3, 3))
    d = _diag(make(e, rng), e)
    assert d.code == code and word in d.message


@pytest.mark.parametrize(
    ("label", "words"),
    [("2", "1/2 convention"), ("1/2", "1/2 convention"), ("N", "mean"), ("1/N", "mean")],
)
def test_scaled_nice_factors_with_the_legacy_batch_size(label, words):
    n = 7  # batch_size = N, the mean's count (DiagnosisContext before dims existed)
    f = {"2": 2.0, "1/2": 0.5, "N": float(n), "1/N": 1.0 / n}[label]
    e = _rng().normal(size=(4, 3))
    d = _diag(f * e, e, DiagnosisContext(batch_size=n))
    assert d.code == "scaled" and d.factor == pytest.approx(f, rel=TOL.rtol)
    assert d.details["factor_labels"][0] == label and words in d.message
    assert "No usual cause" not in d.message
    if "N" in label:
        assert f"N = {n}" in d.message and "the batch size" in d.message
        assert d.details["factor_values"] == {"N": n}


def test_scaled_odd_factor_is_reported_unsnapped():
    rng = _rng()
    e, f = rng.normal(size=(4, 3)), rng.uniform(3.1, 3.9)
    full = DiagnosisContext(dims={"N": 5, "q": 11, "N·q": 55}, mean_over="N·q", dropout_p=0.3,
                            lam=0.37, dout=1.7, loss=0.61)
    for ctx in (None, full):  # 3.1..3.9 is none of 2, 5, 11, 55, 1/(1 - p), 2ℓ, ...
        d = _diag(f * e, e, ctx)
        assert d.code == "scaled" and d.factor == pytest.approx(f)
        assert d.details["factor_labels"] == [] and "No usual cause is known" in d.message


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.sampled_from([(1,), (5,), (3, 4), (2, 3, 2)]),
    n=st.integers(3, 64),
    label=st.sampled_from(["2", "1/2", "N", "1/N", "N/2", "2/N", "-2", "-1/2", "-N", "-1/N"]),
)
def test_property_scaled_factor_recovered(seed, shape, n, label):
    rng = _rng(seed)
    e = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    sign, base = (-1.0, label[1:]) if label.startswith("-") else (1.0, label)
    f = sign * {"2": 2.0, "1/2": 0.5, "N": n, "1/N": 1 / n, "N/2": n / 2, "2/N": 2 / n}[base]
    d = diagnose(e * f, e, name="dW", tol=TOL, context=DiagnosisContext(batch_size=n))
    assert d.code == "scaled"
    assert abs(d.factor - f) <= TOL.rtol * abs(f)


def test_missing_l2_term_built_from_lam_and_weight_and_explicit():
    rng = _rng()
    data_grad, w, lam = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(0.1, 1)
    e = data_grad + lam * w
    d = _diag(data_grad, e, DiagnosisContext(lam=lam, weight=w, equation="dW = dO^T H + lam W"))
    assert d.code == "missing_l2_term" and "lam" in d.message and "dO^T H" in d.message
    explicit = DiagnosisContext(candidates={"missing_l2_term": e - lam * w})
    assert _diag(data_grad, e, explicit).code == "missing_l2_term"
    assert _diag(data_grad, e).code != "missing_l2_term"  # no context, no such claim


def test_missing_activation_derivative_upstream_sigmoid_and_dw1_candidate():
    rng = _rng()
    x, z, dh = rng.normal(size=(6, 4)), rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    dz = dh * (z > 0)
    assert _diag(dh, dz, DiagnosisContext(upstream=dh)).code == "missing_activation_derivative"
    s = 1 / (1 + np.exp(-z))  # sigmoid: phi' has no zeros, so expected / phi' is the candidate
    ctx = DiagnosisContext(activation_grad=s * (1 - s))
    assert _diag(dh, dh * s * (1 - s), ctx).code == "missing_activation_derivative"
    dw1_ctx = DiagnosisContext(candidates={"missing_activation_derivative": lambda: dh.T @ x})
    d = _diag(dh.T @ x, dz.T @ x, dw1_ctx, name="dW1")
    assert d.code == "missing_activation_derivative" and "phi'" in d.message


def test_dropout_scale_missing_and_mask_not_applied():
    rng = _rng()
    p = 0.3
    dout, mask = rng.normal(size=(10, 6)), rng.uniform(size=(10, 6)) >= p
    e = dout * mask / (1 - p)
    d = _diag(dout * mask, e, DiagnosisContext(dropout_p=p), name="dx")
    assert d.code == "dropout_scale_missing" and "1/(1 - p)" in d.message
    ctx = DiagnosisContext(candidates={"mask_not_applied": dout / (1 - p)})
    d = _diag(dout / (1 - p), e, ctx, name="dx")
    assert d.code == "dropout_scale_missing" and d.details["candidate"] == "mask_not_applied"
    assert "mask" in d.message


def _relu_case(seed: int = 0):
    rng = _rng(seed)
    x = rng.normal(size=(8, 6)) + 0.8  # mostly positive
    x[rng.uniform(size=x.shape) < 0.15] = 0.0  # exact zeros: the ReLU kink
    masks = {"x <= 0": x <= 0, "x == 0 (ReLU kink)": x == 0}
    return x, rng.normal(size=x.shape), masks


def test_localized_at_relu_kink():
    x, dout, masks = _relu_case()
    d = _diag(dout * (x >= 0), dout * (x > 0), DiagnosisContext(masks=masks), name="dx")
    assert d.code == "localized" and d.details["pattern"] == "x == 0 (ReLU kink)"
    assert d.details["count"] == int((x == 0).sum()) and "ReLU kink" in d.message


def test_localized_where_x_nonpositive_exact_and_subset():
    x, dout, masks = _relu_case(1)
    e = dout * (x > 0)
    d = _diag(dout, e, DiagnosisContext(masks=masks), name="dx")
    assert d.details["pattern"] == "x <= 0" and d.details["pattern_match"] == "exact"
    g = np.where(x < 0, dout, e)  # wrong where x < 0 only: a subset of x <= 0
    d = _diag(g, e, DiagnosisContext(masks=masks), name="dx")
    assert d.code == "localized" and d.details["pattern_match"] == "subset"


@pytest.mark.parametrize(("axis", "k", "word"), [(0, 4, "last row"), (1, 2, "column 2")])
def test_localized_one_row_or_column(axis, k, word):
    e = _rng().normal(size=(5, 6))
    g = e.copy()
    if axis == 0:
        g[k] += 1.0
    else:
        g[:, k] += 1.0
    d = _diag(g, e)
    assert d.code == "localized" and word in d.message
    assert d.details["row" if axis == 0 else "column"] == k


def test_nan_in_given_does_not_crash():
    e = _rng().normal(size=(4, 4))
    g = e.copy()
    g[1, 2] = np.nan
    d = _diag(g, e)
    assert d.code == "localized" and d.details["non_finite"] == 1 and "NaN" in d.message
    assert d.details["indices"] == [[1, 2]]
    assert _diag(np.full_like(e, np.nan), e).code == "unknown"
    assert _diag(e, g).code == "unknown"  # NaN in the reference


def test_context_validation():
    e = np.ones(3)
    with pytest.raises(ValueError, match="candidates"):
        DiagnosisContext(candidates={"typo": e})
    with pytest.raises(ValueError, match="candidates"):
        _diag(2 * e + 1, e, DiagnosisContext(candidates={"missing_l2_term": np.ones(4)}))
    ignored = DiagnosisContext(masks={"other tensor": np.ones((7, 7), dtype=bool)})
    assert _diag(e, e, ignored).code == "ok"


def test_a_one_element_gradient_is_scaled_only_by_a_named_factor():
    """Any one-element gradient is a multiple of the reference: −18.9 × says nothing, ×N does."""
    e = np.array([0.37])
    odd = _diag(-18.9 * e, e)
    assert odd.code == "unknown" and odd.factor is None
    named = diagnose(5 * e, e, name="dgamma", tol=TOL, context=DiagnosisContext(batch_size=5))
    assert named.code == "scaled" and named.factor == pytest.approx(5)
    assert _diag(-18.9 * np.array([0.37, 1.2]), np.array([0.37, 1.2])).code == "scaled"


def test_an_all_nan_gradient_does_not_claim_its_finite_elements_match():
    e = np.ones((3, 2))
    every = _diag(np.full((3, 2), np.nan), e)
    assert every.code == "unknown" and "no element is finite" in every.message
    assert "finite elements match" not in every.message
    one = _diag(np.where(np.eye(3, 2, dtype=bool), np.nan, 1.0), e)
    assert "finite elements match" in one.message
