"""The diagnosis context per gradient, from each built-in op's declared usual mistakes.

Each op's declaration (``comparisons.core.builtin_ops.DECLARATIONS``) holds its ``mistakes``
builder and its ``kink_cases``; this module collects them (two_layer's are still here). For one
case (inputs, upstream gradient ``dout``, autograd's gradients) and one gradient,
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
``x > 0`` differ, both valid subgradients: see :mod:`comparisons.verification.kinks`; finite
differences cannot be trusted there).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from comparisons.core.builtin_ops import DECLARATIONS
from comparisons.core.opdecl import F64, KinkCase, Mistakes
from comparisons.core.ops import Case, Inputs
from comparisons.verification.diagnose import DiagnosisContext
from handmade.network import BOOK

TWO_LAYER_DEPS: dict[str, list[str]] = BOOK.dependencies()  # from handmade.network: dz <- dh


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


EXTRA_CASES: dict[str, tuple[KinkCase, ...]] = {
    **{name: d.kink_cases for name, d in DECLARATIONS.items() if d.kink_cases},
    "two_layer": ((Case("z exactly 0", {"N": 5, "d": 3, "h": 7, "q": 11}),
                   _with_z_exactly_zero),),
}


def _f64(a: Any) -> F64:
    return np.asarray(a, dtype=np.float64)


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


BUILDERS: dict[str, Mistakes] = {
    **{name: d.mistakes for name, d in DECLARATIONS.items() if d.mistakes is not None},
    "two_layer": _two_layer,
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
