"""The built-in ops: the project's pairs, their torch twins, inputs and awkward shape cases.

Case sizes are distinct primes other than 2 wherever a ``scaled`` factor could be named by
them (N, q, d, h, D, D_in, D_out, C differ within a case), so q, N·q, N/2, 2 and 1/N never
coincide; the N = 1 case comes second, so the first failing case (whose diagnosis is
reported) has every size > 1. Upstream convention: a scalar objective (two_layer's J, the
losses, the L2 penalty) is judged at upstream gradient 1 (the gradient of the objective
itself), every other op with ``dout`` the upstream gradient of ``out``'s shape; each
``convention`` and equation says which.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import handmade as hm
import reference as ref
from comparisons.ops import Case, Inputs, OpSpec
from handmade.network import BOOK

SHAPES_2D = (
    Case("non-square", {"N": 5, "D": 3}),
    Case("N=1", {"N": 1, "D": 3}),
    Case("odd batch", {"N": 7, "D": 5}),
)
DOUT = "dout is the upstream gradient, same shape as out"


def _upstream(formula: str) -> str:
    """An equation of a non-scalar op, with the meaning of dout."""
    return f"{formula} (dout: the upstream gradient, same shape as out)"


def _unit(arg: str, objective: str) -> str:
    """The upstream convention of a scalar objective, for its ``convention`` line."""
    return (f"{arg} = 1: the gradient of {objective} itself (a run at {arg} ≠ 1 notes any term "
            f"not multiplied by {arg})")


def _at_unit(arg: str, equations: dict[str, str]) -> dict[str, str]:
    """Equations of a scalar objective, each stating the upstream value it holds at."""
    return {g: f"{formula} (with {arg} = 1)" for g, formula in equations.items()}


def _normal(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype,
            scale: float = 1.0) -> NDArray[Any]:
    return (scale * rng.standard_normal(shape)).astype(dtype)


def _linear_inputs(rng: np.random.Generator, c: Case, dt: np.dtype) -> Inputs:
    n, d_in, d_out = c.dims["N"], c.dims["D_in"], c.dims["D_out"]
    return {"x": _normal(rng, (n, d_in), dt), "W": _normal(rng, (d_out, d_in), dt),
            "b": _normal(rng, (d_out,), dt)}


def _x_inputs(rng: np.random.Generator, c: Case, dt: np.dtype) -> Inputs:
    return {"x": _normal(rng, (c.dims["N"], c.dims["D"]), dt, 2.0)}


def _ce_inputs(rng: np.random.Generator, c: Case, dt: np.dtype) -> Inputs:
    n, k = c.dims["N"], c.dims["C"]
    return {"logits": _normal(rng, (n, k), dt, 3.0), "y": rng.integers(0, k, size=n)}


def _mse_inputs(rng: np.random.Generator, c: Case, dt: np.dtype) -> Inputs:
    shape = (c.dims["N"], c.dims["D"])
    return {"pred": _normal(rng, shape, dt), "target": _normal(rng, shape, dt)}


def _log_rmse_inputs(rng: np.random.Generator, c: Case, dt: np.dtype) -> Inputs:
    shape = (c.dims["N"], c.dims["D"])
    return {"pred": rng.uniform(0.3, 4.0, shape).astype(dt),
            "target": rng.uniform(0.5, 4.0, shape).astype(dt)}


def _l2_inputs(rng: np.random.Generator, c: Case, dt: np.dtype) -> Inputs:
    return {"W": _normal(rng, (c.dims["D_out"], c.dims["D_in"]), dt), "lam": 0.3}


def _dropout_inputs(rng: np.random.Generator, c: Case, dt: np.dtype) -> Inputs:
    x = _normal(rng, (c.dims["N"], c.dims["D"]), dt)
    return {"x": x, "p": 0.3, "mask": hm.make_dropout_mask(x.shape, 0.3, rng)}


def _two_layer_inputs(rng: np.random.Generator, c: Case, dt: np.dtype) -> Inputs:
    n, d, h, q = (c.dims[k] for k in ("N", "d", "h", "q"))
    return {"X": _normal(rng, (n, d), dt), "Y": _normal(rng, (n, q), dt),
            "W1": _normal(rng, (h, d), dt, 0.7), "W2": _normal(rng, (q, h), dt, 0.7), "lam": 0.1}


def _relu_untrusted(inputs: Inputs, h: float) -> dict[str, NDArray[np.bool_]]:
    return {"x": np.abs(inputs["x"]) <= 2 * h}


def _log_rmse_untrusted(inputs: Inputs, h: float) -> dict[str, NDArray[np.bool_]]:
    return {"pred": np.abs(np.asarray(inputs["pred"], np.float64) - 1.0) <= 2 * h}


def _two_layer_untrusted(inputs: Inputs, h: float) -> dict[str, NDArray[np.bool_]]:
    """W1[j, k] is untrusted when a step of h moves some z[n, j] = W1[j] · X[n] across 0."""
    X = np.asarray(inputs["X"], np.float64)
    z = X @ np.asarray(inputs["W1"], np.float64).T
    near = np.abs(z)[:, :, None] <= 2 * h * np.abs(X)[:, None, :]
    return {"W1": near.any(axis=0)}


def _activation(name: str, fwd: Any, bwd: Any, torch_fn: Any, formula: str, **kw: Any) -> OpSpec:
    return OpSpec(name, fwd, bwd, torch_fn, ("x",), ("x",), ("dx",), _x_inputs, SHAPES_2D,
                  signature="forward(x) -> (out, cache); backward(dout, cache) -> dx",
                  convention=f"elementwise {formula}, x: (N, D); {DOUT}",
                  equations={"dx": _upstream(f"dx = dout ⊙ {formula.split('=')[0].strip()}′")},
                  **kw)


BUILTIN_OPS: dict[str, OpSpec] = {
    "linear": OpSpec(
        "linear", hm.linear_forward, hm.linear_backward, ref.linear, ("x", "W", "b"),
        ("x", "W", "b"), ("dx", "dW", "db"), _linear_inputs,
        (Case("non-square", {"N": 5, "D_in": 7, "D_out": 3}),
         Case("N=1", {"N": 1, "D_in": 5, "D_out": 3}),
         Case("odd batch, D_out > D_in", {"N": 7, "D_in": 3, "D_out": 11}),
         Case("square W", {"N": 5, "D_in": 3, "D_out": 3})),
        signature="forward(x, W, b) -> (out, cache); backward(dout, cache) -> (dx, dW, db)",
        convention=f"out = x Wᵀ + b; x: (N, D_in), W: (D_out, D_in), b: (D_out,); {DOUT}",
        equations={"dx": _upstream("dx = dout W"), "dW": _upstream("dW = doutᵀ x"),
                   "db": _upstream("db = Σₙ dout[n]")}),
    "relu": _activation("relu", hm.relu_forward, hm.relu_backward, ref.relu,
                        "relu(x) = max(x, 0)", untrusted=_relu_untrusted),
    "sigmoid": _activation("sigmoid", hm.sigmoid_forward, hm.sigmoid_backward, ref.sigmoid,
                           "σ(x) = 1 / (1 + e^-x)"),
    "tanh": _activation("tanh", hm.tanh_forward, hm.tanh_backward, ref.tanh, "tanh(x)"),
    "softmax_cross_entropy": OpSpec(
        "softmax_cross_entropy", hm.softmax_cross_entropy_forward,
        hm.softmax_cross_entropy_backward, ref.softmax_cross_entropy, ("logits", "y"),
        ("logits",), ("dlogits",), _ce_inputs,
        (Case("non-square", {"N": 5, "C": 3}), Case("N=1", {"N": 1, "C": 7}),
         Case("odd batch", {"N": 7, "C": 11})),
        signature="forward(logits, y) -> (loss, cache); backward(dloss, cache) -> dlogits",
        convention="loss = mean over N of −log softmax(logits)[n, y[n]]; logits: (N, C), "
                   f"y: int (N,); {_unit('dloss', 'the loss')}",
        scalar_output=True,
        equations=_at_unit("dloss", {"dlogits": "dlogits = (softmax(logits) − onehot(y)) / N"})),
    "mse": OpSpec(
        "mse", hm.mse_forward, hm.mse_backward, ref.mse, ("pred", "target"), ("pred",),
        ("dpred",), _mse_inputs, SHAPES_2D,
        signature="forward(pred, target) -> (loss, cache); backward(dloss, cache) -> dpred",
        convention="loss = mean((pred − target)²) over all N·D elements, no ½ (torch MSELoss); "
                   + _unit("dloss", "the loss"),
        scalar_output=True,
        equations=_at_unit("dloss", {"dpred": "dpred = 2 (pred − target) / numel"})),
    "log_rmse": OpSpec(
        "log_rmse", hm.log_rmse_forward, hm.log_rmse_backward, ref.log_rmse,
        ("pred", "target"), ("pred",), ("dpred",), _log_rmse_inputs,
        (Case("odd batch", {"N": 7, "D": 3}), Case("N=1", {"N": 1, "D": 1}),
         Case("column", {"N": 5, "D": 1})),
        signature="forward(pred, target) -> (loss, cache); backward(dloss, cache) -> dpred",
        convention="loss = sqrt(mean((log max(pred, 1) − log target)²)); mean over all "
                   f"elements; {_unit('dloss', 'the loss')}",
        scalar_output=True, untrusted=_log_rmse_untrusted,
        equations=_at_unit("dloss", {"dpred": "dpred = (log max(pred,1) − log target) / "
                                              "(numel · loss · pred), 0 where pred < 1"})),
    "l2_penalty": OpSpec(
        "l2_penalty", hm.l2_penalty_forward, hm.l2_penalty_backward, ref.l2_penalty,
        ("W", "lam"), ("W",), ("dW",), _l2_inputs,
        (Case("1x1", {"D_out": 1, "D_in": 1}), Case("non-square", {"D_out": 2, "D_in": 3}),
         Case("tall", {"D_out": 5, "D_in": 4})),
        signature="forward(W, lam) -> (s, cache); backward(ds, cache) -> dW",
        convention=f"s = lam/2 ‖W‖²_F (with the ½), so ds/dW = lam W; {_unit('ds', 's')}",
        scalar_output=True, equations=_at_unit("ds", {"dW": "dW = lam W"})),
    "dropout": OpSpec(
        "dropout", hm.dropout_forward, hm.dropout_backward, ref.dropout, ("x", "p"), ("x",),
        ("dx",), _dropout_inputs, SHAPES_2D, keywords=("mask",),
        signature="forward(x, p, *, mask) -> (out, cache); backward(dout, cache) -> dx",
        convention="inverted dropout: out = x ⊙ mask / (1 − p), mask True = kept, p = the drop "
                   f"probability; {DOUT}",
        equations={"dx": _upstream("dx = dout ⊙ mask / (1 − p)")}),
    "two_layer": OpSpec(
        "two_layer", hm.two_layer_forward, hm.two_layer_backward, ref.two_layer,
        ("X", "Y", "W1", "W2", "lam"), BOOK.of_kind("parameter"),
        tuple(BOOK.grad(p) for p in BOOK.of_kind("parameter")), _two_layer_inputs,
        (Case("minibatch", {"N": 5, "d": 7, "h": 11, "q": 3}),
         Case("N=1", {"N": 1, "d": 5, "h": 3, "q": 7}),
         Case("odd batch, q=1", {"N": 7, "d": 3, "h": 5, "q": 1})),
        signature="forward(X, Y, W1, W2, lam) -> (J, cache); backward(dJ, cache) -> "
                  f"{{{', '.join(map(repr, BOOK.gradients))}}}",
        convention=f"{', '.join(BOOK.formulas)}; {_unit('dJ', 'J')}",
        scalar_output=True, returns_dict=True, intermediates=BOOK.grads_of("intermediate"),
        untrusted=_two_layer_untrusted,
        equations=_at_unit("dJ", BOOK.equations)),  # the network: handmade.network
}

BACKWARD_ORDER = BOOK.gradients  # two_layer's gradients as a backward pass computes them


def get_op(name: str) -> OpSpec:
    """The built-in spec named ``name``; ValueError listing the known ops otherwise."""
    if name not in BUILTIN_OPS:
        raise ValueError(f"op: expected one of {', '.join(BUILTIN_OPS)}, got {name!r}")
    return BUILTIN_OPS[name]
