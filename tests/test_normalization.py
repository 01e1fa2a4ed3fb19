"""Batch norm and layer norm: handmade vs torch (autograd, finite differences, gradcheck),
BatchNorm1d's running statistics vs torch.nn.BatchNorm1d step by step, bad input, and the verify
gallery of both ops inline (``PLANTED`` bugs and ``CORRECT`` derivations, run by the gallery
tests through tests/_op_gallery.py: this is the "normalization" family's test file)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, fd_vjp, leaf
from hypothesis import given, settings
from hypothesis import strategies as st

import comparisons
import handmade
import reference
from comparisons.core.builtin_ops import DECLARATIONS
from comparisons.core.ops_normalization import pair_x
from comparisons.core.tolerances import tolerance
from comparisons.verification.diagnose import CODES
from comparisons.verification.diagnose_context import CANDIDATE_ORDER
from comparisons.verification.forward_diff import forward_difference

BN_SHAPES = [(2, 3), (2, 1), (3, 1), (5, 3), (7, 5), (4, 11)]
LN_SHAPES = [(1, 1), (1, 4), (3, 1), (2, 2), (5, 3), (7, 5), (2, 3, 4)]
NEW_CODES = ("missing_statistics_paths", "missing_gamma", "variance_convention")


def _affine(rng, d: int, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """γ away from 1 (a sign flip too) and β away from 0."""
    gamma = rng.uniform(1.5, 2.5, d) * np.where(np.arange(d) % 2, -1.0, 1.0)
    return gamma.astype(dtype), (rng.standard_normal(d) + 0.5).astype(dtype)


def _bn(unbiased: bool):
    def forward(x, gamma, beta):
        return handmade.batchnorm_forward(x, gamma, beta, unbiased=unbiased)
    return forward


def _check(forward, backward, twin, x, gamma, beta, dout) -> None:
    out, cache = forward(x, gamma, beta)
    grads = backward(dout, cache)
    leaves = [leaf(a) for a in (x, gamma, beta)]
    twin(*leaves).backward(torch.from_numpy(dout))
    assert out.dtype == x.dtype and all(g.dtype == x.dtype for g in grads)
    assert_close(out, twin(*(leaf(a, False) for a in (x, gamma, beta))), tensor="out",
                 against="forward")
    for name, g, t in zip(("dx", "dgamma", "dbeta"), grads, leaves, strict=True):
        assert_close(g, t.grad, tensor=name, against="autograd")


def _inputs(rng, shape, dtype=np.float64, axis=0):
    """x as verify draws it for statistics over ``axis`` (ops_normalization.pair_x: well
    spread, and pairs with d² ~ eps where dx is resolvable), γ ≠ 1, β ≠ 0, dout."""
    x = pair_x(axis)(rng, shape, np.dtype(dtype), {})
    return (x, *_affine(rng, shape[-1], dtype), rng.standard_normal(shape).astype(dtype))


@pytest.mark.parametrize("unbiased", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batchnorm_matches_autograd(rng, shape, dtype, unbiased) -> None:
    _check(_bn(unbiased), handmade.batchnorm_backward,
           lambda x, g, b: reference.batchnorm(x, g, b, 1e-5, unbiased),
           *_inputs(rng, shape, dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [s for s in LN_SHAPES if s[-1] > 1])
def test_layernorm_matches_autograd(rng, shape, dtype) -> None:
    _check(handmade.layernorm_forward, handmade.layernorm_backward, reference.layernorm,
           *_inputs(rng, shape, dtype, -1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layernorm_of_one_feature_is_beta_with_exactly_zero_dx(rng, dtype) -> None:
    """D = 1: x̂ = 0 exactly, so out = β and dx = dγ = 0 exactly (torch's float32 dx there is
    rounding divided by √eps, 1e-13 in float64: why D = 1 is not compared with it above)."""
    x, gamma, beta, dout = _inputs(rng, (4, 1), dtype, -1)
    out, cache = handmade.layernorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = handmade.layernorm_backward(dout, cache)
    np.testing.assert_array_equal(out, np.broadcast_to(beta, (4, 1)))
    assert not dx.any() and not dgamma.any() and dbeta == dout.sum()


def test_biased_batchnorm_twin_is_torchs_training_mode(rng) -> None:
    x, gamma, beta, _ = _inputs(rng, (5, 3))
    t = [torch.from_numpy(a) for a in (x, gamma, beta)]
    expected = torch.nn.functional.batch_norm(t[0], None, None, t[1], t[2], training=True)
    assert_close(reference.batchnorm(*t), expected, tensor="out", against="forward")


@pytest.mark.parametrize(("op", "shapes"), [("bn", BN_SHAPES), ("bn_unbiased", BN_SHAPES),
                                            ("ln", LN_SHAPES)])
def test_finite_differences(rng, op, shapes) -> None:
    forward, backward = {"bn": (_bn(False), handmade.batchnorm_backward),
                         "bn_unbiased": (_bn(True), handmade.batchnorm_backward),
                         "ln": (handmade.layernorm_forward, handmade.layernorm_backward)}[op]
    for shape in shapes:
        x, gamma, beta, dout = _inputs(rng, shape, axis=-1 if op == "ln" else 0)
        grads = backward(dout, forward(x, gamma, beta)[1])
        for i, name in enumerate(("dx", "dgamma", "dbeta")):
            fd = fd_vjp(forward, (x, gamma, beta), i, dout)
            assert_close(grads[i], fd, tensor=name, against="finite_differences")


@pytest.mark.parametrize("unbiased", [False, True])
def test_gradcheck(rng, unbiased) -> None:
    x, gamma, beta, _ = _inputs(rng, (4, 3))
    assert torch.autograd.gradcheck(as_autograd(_bn(unbiased), handmade.batchnorm_backward),
                                    tuple(leaf(a) for a in (x, gamma, beta)))
    assert torch.autograd.gradcheck(
        as_autograd(handmade.layernorm_forward, handmade.layernorm_backward),
        tuple(leaf(a) for a in (x.T.copy(), *_affine(rng, 4))))


@settings(max_examples=int(os.environ.get("P1_EXAMPLES", 40)), deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 6), d=st.integers(1, 6),
       unbiased=st.booleans(), scale=st.floats(0.1, 100), shift=st.floats(-10, 10))
def test_random_shapes_and_values_match_autograd(seed, n, d, unbiased, scale, shift) -> None:
    """Sizes, scales and offsets drawn, in float64. Not float32: with random data the sums
    (dγ = Σ dout x̂, and dx projected off the mean and x̂ directions) are often the small
    remainder of a cancellation, which float32 rounding in torch and here decides at a
    norm-wise 1e-5 (the float32 rows above use fixed, well-conditioned draws). N = 2 needs the
    pairs of pair_x, which scale and shift would undo: the tests above run it."""
    rng = np.random.default_rng(seed)
    x, gamma, beta, dout = _inputs(rng, (n, d))
    x = scale * (x + shift)
    _check(_bn(unbiased), handmade.batchnorm_backward,
           lambda a, g, b: reference.batchnorm(a, g, b, 1e-5, unbiased), x, gamma, beta, dout)
    g, b = (np.resize(a, n) for a in (gamma, beta))
    _check(handmade.layernorm_forward, handmade.layernorm_backward, reference.layernorm,
           x.T.copy(), g, b, dout.T.copy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batchnorm1d_matches_torch_over_training_steps_and_in_eval(rng, dtype) -> None:
    mine = handmade.BatchNorm1d(3, momentum=0.3, dtype=dtype)
    theirs = reference.BatchNorm1d(3, momentum=0.3, dtype=torch.float64 if dtype == np.float64
                                   else torch.float32)
    gamma, beta = _affine(rng, 3, dtype)
    mine.load_state_dict({**mine.state_dict(), "weight": gamma, "bias": beta})
    theirs.load_state_dict({**theirs.state_dict(), "weight": torch.from_numpy(gamma),
                            "bias": torch.from_numpy(beta)})
    against = {"forward": "forward", "autograd": "autograd"}
    for n in (5, 2, 7, 4):
        x, dout = (3 * rng.standard_normal((n, 3)) + 2).astype(dtype), rng.standard_normal(
            (n, 3)).astype(dtype)
        xt = leaf(x)
        out_t = theirs(xt)
        out_t.backward(torch.from_numpy(dout))
        assert_close(mine(x), out_t, tensor="out", against=against["forward"])
        assert_close(mine.backward(dout), xt.grad, tensor="dx", against="autograd")
        assert_close(mine.weight.grad, theirs.weight.grad, tensor="dgamma", against="autograd")
        theirs.weight.grad = theirs.bias.grad = None
        assert_close(mine.running_mean, theirs.running_mean, tensor="mean", against="forward")
        assert_close(mine.running_var, theirs.running_var, tensor="var", against="forward")
    assert mine.num_batches_tracked == int(theirs.num_batches_tracked) == 4
    mine.eval()
    theirs.eval()
    x, dout = rng.standard_normal((1, 3)).astype(dtype), rng.standard_normal((1, 3)).astype(dtype)
    xt = leaf(x)
    out_t = theirs(xt)
    out_t.backward(torch.from_numpy(dout))
    assert_close(mine(x), out_t, tensor="out", against="forward")
    assert_close(mine.backward(dout), xt.grad, tensor="dx", against="autograd")
    assert_close(mine.weight.grad, theirs.weight.grad, tensor="dgamma", against="autograd")
    assert_close(mine.bias.grad, theirs.bias.grad, tensor="dbeta", against="autograd")


def test_layernorm_module_matches_torch_and_both_fit_in_sequential(rng) -> None:
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    lin = handmade.Linear(5, 3, rng=rng)
    model = handmade.Sequential(lin, handmade.BatchNorm1d(3), handmade.ReLU(),
                                handmade.LayerNorm(3))
    twin = reference.Sequential(torch.nn.Linear(5, 3, dtype=torch.float64),
                                reference.BatchNorm1d(3, dtype=torch.float64), torch.nn.ReLU(),
                                reference.LayerNorm(3, dtype=torch.float64))
    twin.load_state_dict({**twin.state_dict(), **{k: torch.from_numpy(v) for k, v in
                                                  model.state_dict().items()}})
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in twin.named_parameters()]
    xt = leaf(x)
    out_t = twin(xt)
    out_t.backward(torch.from_numpy(dout))
    assert_close(model(x), out_t, tensor="out", against="forward")
    assert_close(model.backward(dout), xt.grad, tensor="dx", against="autograd")
    for (name, p), (_, q) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        assert_close(p.grad, q.grad, tensor=name, against="autograd")
    assert repr(handmade.LayerNorm(3)) == "LayerNorm((3,), eps=1e-05)"


X, G, B = np.ones((4, 3)), np.ones(3), np.zeros(3)
BAD = [
    (lambda: handmade.batchnorm_forward(X[:1], G, B), "^x: expected N >= 2"),
    (lambda: handmade.batchnorm_forward(X, G[:2], B), "^gamma: expected shape"),
    (lambda: handmade.batchnorm_forward(X, G.astype(np.float32), B), "^gamma: expected dtype"),
    (lambda: handmade.batchnorm_forward(X, G, B, eps=-1.0), "^eps: expected"),
    (lambda: handmade.batchnorm_forward(X, G, B, unbiased="no"), "^unbiased: expected"),
    (lambda: handmade.batchnorm_forward(X[0], G, B), "^x: expected"),
    (lambda: handmade.layernorm_forward(X, G, np.zeros(4)), "^beta: expected shape"),
    (lambda: handmade.batchnorm_backward(X, None), "^cache: expected the BatchNormCache"),
    (lambda: handmade.layernorm_backward(X, handmade.layernorm_forward(X[:2], G, B)[1]),
     "^dout: expected shape"),
    (lambda: handmade.BatchNorm1d(3, momentum=1.5), "^momentum: expected"),
    (lambda: handmade.BatchNorm1d(0), "^num_features: expected"),
    (lambda: handmade.LayerNorm((3, 4)), "^normalized_shape: expected"),
]


@pytest.mark.parametrize(("call", "message"), BAD)
def test_bad_input_is_one_line_naming_the_argument(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_the_new_codes_are_in_the_vocabulary_and_in_order() -> None:
    assert set(NEW_CODES) <= set(CODES) and set(NEW_CODES) <= set(CANDIDATE_ORDER)
    for name in ("batchnorm", "layernorm"):
        decl = DECLARATIONS[name]
        assert decl.grads == ("dx", "dgamma", "dbeta") and min(
            c.dims["N" if name == "batchnorm" else "D"] for c in decl.cases) == 2


def test_verify_passes_the_project_pairs() -> None:
    assert comparisons.verify(handmade.batchnorm_forward, handmade.batchnorm_backward,
                              "batchnorm").passed
    assert comparisons.verify(handmade.layernorm_forward, handmade.layernorm_backward,
                              "layernorm").passed


HEADER = '''from typing import Any

import os

import numpy as np
from numpy.typing import NDArray

OP = "{op}"
'''
BN_FORWARD = '''

def forward(x: NDArray, gamma: NDArray, beta: NDArray) -> tuple[NDArray, Any]:
    """Batch norm, training mode: statistics over the batch, the biased (÷ N) variance."""
    mu = x.mean(axis=0)
    var = x.var(axis=0{ddof})
    std = np.sqrt(var + 1e-5)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, gamma, std)
'''
LN_FORWARD = '''

def forward(x: NDArray, gamma: NDArray, beta: NDArray) -> tuple[NDArray, Any]:
    """Layer norm: statistics per example, over the features (the last axis)."""
    mu = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, gamma, std)
'''
# the one-expression backward of each, {n}: the variance's divisor, {dxhat}: dx̂
BN_BACKWARD = '''    xhat, gamma, std = cache
    n = {n}
    dxhat = {dxhat}
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).sum(axis=0) / n) / std
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
'''
LN_BACKWARD = '''    xhat, gamma, std = cache
    dxhat = {dxhat}
    n = {n}
    proj = (dxhat * xhat).sum(axis=1, keepdims=True) / n
    dx = (dxhat - dxhat.mean(axis=1, keepdims=True) - xhat * proj) / std
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
'''


def _source(op: str, doc: str, decls: str, backward: str, forward: str) -> str:
    head = f'"""{doc}"""\n\n{HEADER.format(op=op)}{decls}\n{forward}\n\n'
    return f'{head}def backward(dout: NDArray, cache: Any) -> Any:\n    """{doc}"""\n{backward}'


def _bn_src(doc: str, decls: str, backward: str, ddof: str = "") -> str:
    return _source("batchnorm", doc, decls, backward, BN_FORWARD.format(ddof=ddof))


def _ln_src(doc: str, decls: str, backward: str, forward: str = LN_FORWARD) -> str:
    return _source("layernorm", doc, decls, backward, forward)


BN_RIGHT = BN_BACKWARD.format(n="dout.shape[0]", dxhat="dout * gamma")
LN_RIGHT = LN_BACKWARD.format(n="dout.shape[1]", dxhat="dout * gamma")
STATS_ONLY = "    xhat, gamma, std = cache\n    return dout * gamma / std, " \
             "(dout * xhat).sum(axis=0), dout.sum(axis=0)\n"
PLANTED = {
    "correct_batchnorm": _bn_src("Correct: the one-expression backward, m = N.",
                             "EXPECT: dict[str, str] = {}", BN_RIGHT),
    "batchnorm_missing_statistics_paths": _bn_src(
        "Bug: dx = dout γ / σ, as if μ and σ² did not depend on x (the classic one).",
        'EXPECT = {"dx": "missing_statistics_paths"}', STATS_ONLY),
    "batchnorm_missing_gamma": _bn_src(
        "Bug: dx̂ taken as dout (right only at γ = 1, where the published tests ran).",
        'EXPECT = {"dx": "missing_gamma"}', BN_BACKWARD.format(n="dout.shape[0]", dxhat="dout")),
    "batchnorm_variance_convention": _bn_src(
        "Bug: backprop ninja's n − 1 in the backward of a forward that divides by N.",
        'EXPECT = {"dx": "variance_convention"}',
        BN_BACKWARD.format(n="dout.shape[0] - 1", dxhat="dout * gamma")),
    "batchnorm_dgamma_dbeta_per_example": _bn_src(
        "Bug: dγ and dβ per example, (N, D): not summed over the batch.",
        'EXPECT = {"dgamma": "not_summed_over_batch", "dbeta": "not_summed_over_batch"}',
        BN_RIGHT.replace("(dout * xhat).sum(axis=0), dout.sum(axis=0)", "dout * xhat, dout")),
    "batchnorm_unbiased_pair": _bn_src(
        "Bug in the forward: the n − 1 variance throughout, backward consistent with it: the "
        "backward is right for its forward, the forward is what differs from torch's ÷ N.",
        'EXPECT = {"dx": "consistent_with_own_forward", "dgamma": '
        '"consistent_with_own_forward"}',
        BN_BACKWARD.format(n="dout.shape[0] - 1", dxhat="dout * gamma"), ddof=", ddof=1"),
    "correct_layernorm": _ln_src("Correct: the one-expression backward, m = D.",
                             "EXPECT: dict[str, str] = {}", LN_RIGHT),
    "layernorm_missing_statistics_paths": _ln_src(
        "Bug: dx = dout γ / σ, the paths through the per-example μ and σ² left out.",
        'EXPECT = {"dx": "missing_statistics_paths"}', STATS_ONLY),
    "layernorm_missing_gamma": _ln_src(
        "Bug: dx̂ taken as dout.", 'EXPECT = {"dx": "missing_gamma"}',
        LN_BACKWARD.format(n="dout.shape[1]", dxhat="dout")),
    "layernorm_variance_convention": _ln_src(
        "Bug: D − 1 in the backward of a forward that divides by D.",
        'EXPECT = {"dx": "variance_convention"}',
        LN_BACKWARD.format(n="dout.shape[1] - 1", dxhat="dout * gamma")),
}

BN_GRAPH = '''    x, mu, var, gamma, eps = cache
    n = x.shape[0]
    xmu = x - mu
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / n * np.ones_like(dout) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=0)
    dx2 = 1.0 / n * np.ones_like(dout) * dmu
    return dx1 + dx2, dgamma, dbeta
'''
BN_GRAPH_FORWARD = '''

def forward(x: NDArray, gamma: NDArray, beta: NDArray) -> tuple[NDArray, Any]:
    """CS231n's staged forward: every node of the graph cached."""
    eps = 1e-5
    mu = np.mean(x, axis=0)
    var = np.mean((x - mu) ** 2, axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (x, mu, var, gamma, eps)
'''
LN_VIA_TRANSPOSE = '''    xhat, gamma, std = cache
    dxhat = (dout * gamma).T
    xt, n = xhat.T, dxhat.shape[0]
    dx = (n * dxhat - dxhat.sum(axis=0) - xt * (dxhat * xt).sum(axis=0)) / (n * std.T)
    return dx.T, list((dout * xhat).sum(axis=0)), dout.sum(axis=0)
'''
CORRECT = {
    "batchnorm_step_by_step_graph": _source(
        "batchnorm", "The staged graph, node by node (CS231n's batchnorm_backward).", "",
        BN_GRAPH, BN_GRAPH_FORWARD),
    "batchnorm_compact_n_times": _bn_src(
        "The compact CS231n 'alt' form: (N dx̂ − Σ dx̂ − x̂ Σ dx̂ x̂) / (N σ).", "",
        "    xhat, gamma, std = cache\n    n = dout.shape[0]\n    dxhat = dout * gamma\n"
        "    dx = (n * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0)) / (n * std)\n"
        "    return dx, np.einsum('nd,nd->d', dout, xhat), dout.sum(0)\n"),
    "batchnorm_float32": _bn_src("float32 run, the same formula (the dtype kept).",
                             'DTYPE = "float32"', BN_RIGHT),
    "batchnorm_loop_over_features": _bn_src(
        "A loop over the D features, each column's chain rule written with scalars; the "
        "gradients returned as lists of rows.", "",
        "    xhat, gamma, std = cache\n    n, d = dout.shape\n    dx = np.empty_like(dout)\n"
        "    for j in range(d):\n        g = dout[:, j] * gamma[j]\n"
        "        dvar = np.sum(g * xhat[:, j]) * -0.5 / std[j] ** 2\n"
        "        dmu = -np.sum(g) / std[j]\n"
        "        dx[:, j] = g / std[j] + dvar * 2 * xhat[:, j] * std[j] / n + dmu / n\n"
        "    return dx.tolist(), (dout * xhat).sum(axis=0), dout.sum(axis=0)\n"),
    "layernorm_loop_over_examples": _ln_src(
        "A loop over the examples, each row normalised on its own (a 1-D batch norm).", "",
        "    xhat, gamma, std = cache\n    dx = np.zeros_like(dout)\n"
        "    for i in range(dout.shape[0]):\n        g = dout[i] * gamma\n"
        "        dx[i] = (g - g.mean() - xhat[i] * np.mean(g * xhat[i])) / std[i]\n"
        "    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)\n"),
    "layernorm_via_transpose": _ln_src(
        "Layer norm as batch norm of xᵀ (CS231n's hint); dγ returned as a list.", "",
        LN_VIA_TRANSPOSE),
    "layernorm_float32": _ln_src("float32 run.", 'DTYPE = "float32"', LN_RIGHT),
    "layernorm_compact": _ln_src("The one-expression backward, m = D.", "", LN_RIGHT),
}


def test_the_gallery_covers_each_new_code_twice_over_the_two_ops() -> None:
    codes = [c for src in PLANTED.values() for c in NEW_CODES if f'"{c}"' in src]
    assert all(codes.count(c) >= 1 for c in NEW_CODES) and len(CORRECT) >= 4
    assert sum(k.startswith("layernorm") for k in PLANTED) >= 2
    assert sum(k.startswith("batchnorm") for k in PLANTED) >= 2


def test_an_unbiased_pair_is_its_own_forward_and_its_dgamma_names_the_convention() -> None:
    """The n − 1 variance in forward and backward: the backward is right for that forward, so
    the truthful finding is consistent_with_own_forward (fix the forward); against autograd
    dγ = Σ dout x̂ with the other x̂ reads as variance_convention, which the details keep."""
    report = comparisons.verify(_bn(True), handmade.batchnorm_backward, "batchnorm")
    assert not report.forward.passed
    dx, dgamma, dbeta = (report.gradient(g) for g in ("dx", "dgamma", "dbeta"))
    assert dx.diagnosis == dgamma.diagnosis == "consistent_with_own_forward"
    assert dgamma.details["against_reference"] == "variance_convention" and dbeta.passed
    assert dx.details["forward_difference"].startswith("yours − beta ≈ √((N − 1)/N) × (the "
                                                       "reference − beta): an unbiased variance")


def test_the_shift_is_what_lets_the_variance_factor_be_named() -> None:
    """β ≠ 0 hides the √((N − 1)/N) between the outputs; it shows between out − β and ref − β."""
    rng = np.random.default_rng(3)
    x, gamma, beta = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    out = handmade.batchnorm_forward(x, gamma, beta, unbiased=True)[0]
    ref = handmade.batchnorm_forward(x, gamma, beta)[0]
    tol = tolerance("forward", "float64")
    assert forward_difference(out, ref, {"N": 5, "D": 3}, tol) is None
    named = forward_difference(out, ref, {"N": 5, "D": 3}, tol, ("beta", beta))
    assert named is not None and "√((N − 1)/N)" in named
