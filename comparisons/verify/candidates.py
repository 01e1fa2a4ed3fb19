"""What each built-in op knows about its usual mistakes: the diagnosis context per gradient.

For one case (inputs, upstream gradient ``dout``, autograd's gradients) and one gradient,
:func:`context_for` builds a :class:`DiagnosisContext` holding

* the mistaken gradients the vocabulary names (``missing_l2_term``: the reference minus the
  λW term; ``missing_activation_derivative``: dz = dh without relu′(z), or dx = dout for an
  activation, and the dW1 that follows; ``dropout_scale_missing``: dout ⊙ mask;
  ``mask_not_applied``: dout / (1 − p));
* the case's named sizes and values a ``scaled`` factor is named by (linear: N, D_in, D_out;
  softmax CE: N, C, mean over N; MSE and log-RMSE: N, D, mean over N·D; two_layer: N, d, h,
  q, mean over N·q; dropout: p; the L2 penalty and two_layer: lam; log-RMSE: ℓ = the loss;
  a scalar objective: its upstream value dout);
* boolean masks that name localized patterns (``x == 0 (ReLU kink)``, ``x <= 0``,
  ``pred < 1 (log-RMSE clamp)``, ...);
* the equation the gradient comes from (``BUILTIN_OPS[op].equations``).

Per-example ``db`` (N, D_out) needs no candidate: the engine recognises the extra batch axis.
:data:`EXTRA_CASES` adds verify-only shape cases at exact kinks: ReLU inputs holding exact zeros,
log-RMSE predictions exactly 1, a two-layer network with z exactly 0 (where ``x >= 0`` and
``x > 0`` differ, both valid subgradients: see :mod:`comparisons.verify.kinks`; finite
differences cannot be trusted there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.ops import Case, Inputs
from comparisons.verify.diagnose import DiagnosisContext
from handmade.network import BOOK

F64 = NDArray[np.float64]
Builder = Callable[[str, dict[str, Any], F64, dict[str, F64]], dict[str, Any]]

TWO_LAYER_DEPS: dict[str, list[str]] = BOOK.dependencies()  # from handmade.network: dz <- dh


def _with_exact_zeros(inputs: Inputs) -> Inputs:
    """Every third element of x set to exactly 0 (the ReLU kink)."""
    x = np.array(inputs["x"])
    x.reshape(-1)[::3] = 0
    return {**inputs, "x": x}


def _with_pred_exactly_one(inputs: Inputs) -> Inputs:
    """Every third element of pred set to exactly 1 (the kink of the clamp max(pred, 1))."""
    pred = np.array(inputs["pred"])
    pred.reshape(-1)[::3] = 1
    return {**inputs, "pred": pred}


def _with_z_exactly_zero(inputs: Inputs) -> Inputs:
    """z = X W1ᵀ exactly 0 at rows 0-1, units 0-1: X[:2] keeps only column 1, W1[:2, 1] = 0.

    Every product in those dot products has a zero factor, so z is 0 in any summation order,
    while X[:2, 1] != 0 makes dW1[:2, 1] depend on the choice of relu′(0).
    """
    X, W1 = np.array(inputs["X"]), np.array(inputs["W1"])
    keep = X[:2, 1].copy()
    X[:2] = 0
    X[:2, 1] = keep
    W1[:2, 1] = 0
    return {**inputs, "X": X, "W1": W1}


EXTRA_CASES: dict[str, tuple[tuple[Case, Callable[[Inputs], Inputs]], ...]] = {
    "relu": ((Case("exact zeros", {"N": 5, "D": 4}), _with_exact_zeros),),
    "log_rmse": ((Case("pred exactly 1", {"N": 5, "D": 3}), _with_pred_exactly_one),),
    "two_layer": ((Case("z exactly 0", {"N": 5, "d": 3, "h": 7, "q": 11}),
                   _with_z_exactly_zero),),
}


def _f64(a: Any) -> F64:
    return np.asarray(a, dtype=np.float64)


def _linear(grad: str, inputs: dict[str, Any], dout: F64, ref: dict[str, F64]) -> dict[str, Any]:
    (n, d_in), d_out = np.shape(inputs["x"]), np.shape(inputs["W"])[0]
    return {"dims": {"N": n, "D_in": d_in, "D_out": d_out}}


def _relu(grad: str, inputs: dict[str, Any], dout: F64, ref: dict[str, F64]) -> dict[str, Any]:
    x = _f64(inputs["x"])
    return {"upstream": dout, "masks": {"x == 0 (ReLU kink)": x == 0, "x <= 0": x <= 0,
                                        "x < 0": x < 0}}


def _smooth_activation(grad: str, inputs: dict[str, Any], dout: F64,
                       ref: dict[str, F64]) -> dict[str, Any]:
    return {"upstream": dout}


def _per_sample(grad: str, inputs: dict[str, Any], dout: F64,
                ref: dict[str, F64]) -> dict[str, Any]:
    n, c = np.shape(inputs["logits"])
    return {"dims": {"N": n, "C": c}, "mean_over": "N"}


def _mean_dims(pred: Any) -> dict[str, Any]:
    """N, D and N·D of a (N, D) prediction, the objective's mean over all N·D elements."""
    shape = np.shape(pred)
    n = int(shape[0]) if shape else 1
    d = int(np.size(pred)) // max(n, 1)
    return {"dims": {"N": n, "D": d, "N·D": n * d}, "mean_over": "N·D"}


def _elementwise_mean(grad: str, inputs: dict[str, Any], dout: F64,
                      ref: dict[str, F64]) -> dict[str, Any]:
    return _mean_dims(inputs["pred"])


def _log_rmse(grad: str, inputs: dict[str, Any], dout: F64,
              ref: dict[str, F64]) -> dict[str, Any]:
    pred = _f64(inputs["pred"])
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.log(np.maximum(pred, 1.0)) - np.log(_f64(inputs["target"]))
        loss = float(np.sqrt(np.mean(diff**2)))
    masks = {"pred < 1 (log-RMSE clamp)": pred < 1, "pred >= 1": pred >= 1}
    return {**_mean_dims(pred), "masks": masks, "loss": loss if np.isfinite(loss) else None}


def _l2(grad: str, inputs: dict[str, Any], dout: F64, ref: dict[str, F64]) -> dict[str, Any]:
    # Without the λW term the whole gradient is missing: the engine says "zero".
    return {"lam": float(inputs["lam"])}


def _dropout(grad: str, inputs: dict[str, Any], dout: F64,
             ref: dict[str, F64]) -> dict[str, Any]:
    p, mask = float(inputs["p"]), np.asarray(inputs["mask"], bool)
    return {"dropout_p": p, "candidates": {"dropout_scale_missing": dout * mask,
                                           "mask_not_applied": dout / (1.0 - p)},
            "masks": {"dropped units (mask False)": ~mask, "kept units (mask True)": mask}}


def _two_layer(grad: str, inputs: dict[str, Any], dout: F64,
               ref: dict[str, F64]) -> dict[str, Any]:
    """Candidates for dW2, dW1 (no λW), dz (no relu′) and the dW1 that follows from it."""
    X, W1, W2 = (_f64(inputs[k]) for k in ("X", "W1", "W2"))
    lam, dJ = float(inputs["lam"]), float(dout)
    z = X @ W1.T
    (n, d), (h, q) = X.shape, W2.shape[::-1]
    ctx: dict[str, Any] = {"dims": {"N": n, "d": d, "h": h, "q": q, "N·q": n * q},
                           "mean_over": "N·q", "lam": lam}
    if grad == "dW2":
        ctx["candidates"] = {"missing_l2_term": ref["dW2"] - dJ * lam * W2}
    elif grad == "dW1":
        ctx["candidates"] = {"missing_l2_term": ref["dW1"] - dJ * lam * W1,
                             "missing_activation_derivative": ref["dh"].T @ X + dJ * lam * W1}
    elif grad == "dz":
        ctx["upstream"] = ref["dh"]
        ctx["masks"] = {"z == 0 (ReLU kink)": z == 0, "z <= 0": z <= 0, "z < 0": z < 0}
    return ctx


BUILDERS: dict[str, Builder] = {
    "linear": _linear, "relu": _relu, "sigmoid": _smooth_activation,
    "tanh": _smooth_activation, "softmax_cross_entropy": _per_sample, "mse": _elementwise_mean,
    "log_rmse": _log_rmse, "l2_penalty": _l2, "dropout": _dropout, "two_layer": _two_layer,
}


def context_for(op: str, grad: str, inputs: dict[str, Any], dout: Any,
                ref_grads: dict[str, Any], equation: str | None) -> DiagnosisContext:
    """The diagnosis context of gradient ``grad`` of ``op`` in one case (empty if unknown op)."""
    builder = BUILDERS.get(op)
    ref = {k: _f64(v) for k, v in ref_grads.items()}
    fields = builder(grad, inputs, _f64(dout), ref) if builder else {}
    if np.ndim(dout) == 0 and np.isfinite(dout):  # a scalar objective's upstream gradient
        fields["dout"] = float(dout)
    return DiagnosisContext(equation=equation, **fields)
