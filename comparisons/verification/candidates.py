"""The diagnosis context per gradient, from each built-in op's declared usual mistakes.

Each op's declaration (``comparisons.core.builtin_ops.DECLARATIONS``) holds its ``mistakes``
builder and its ``kink_cases``; this module collects them. For one case (inputs, upstream
gradient ``dout``, autograd's gradients) and one gradient, :func:`context_for` builds a
:class:`DiagnosisContext` holding

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
:data:`EXTRA_CASES` adds verify-only shape cases at exact kinks (each op's ``kink_cases``):
ReLU inputs holding exact zeros, log-RMSE predictions exactly 1, a two-layer network with z
exactly 0 (where ``x >= 0`` and ``x > 0`` differ, both valid subgradients: see
:mod:`comparisons.verification.kinks`; finite differences cannot be trusted there), then those
in a layout the declared shapes cannot express (``layout_cases``: embedding's 1-D idx).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from comparisons.core.builtin_ops import DECLARATIONS
from comparisons.core.opdecl import F64, KinkCase, Mistakes
from comparisons.verification.diagnose import DiagnosisContext

EXTRA_CASES: dict[str, tuple[KinkCase, ...]] = {
    name: d.kink_cases + d.layout_cases for name, d in DECLARATIONS.items()
    if d.kink_cases or d.layout_cases}
"""Op name -> its verify-only cases: at exact kinks, then in other layouts (its declaration's
``kink_cases`` and ``layout_cases``)."""
BUILDERS: dict[str, Mistakes] = {
    name: d.mistakes for name, d in DECLARATIONS.items() if d.mistakes is not None}
"""Op name -> its usual-mistakes builder (its declaration's ``mistakes``)."""


SHIFTS: dict[str, str] = {
    name: d.output_shift for name, d in DECLARATIONS.items() if d.output_shift is not None}
"""Op name -> the input its forward adds last (its declaration's ``output_shift``)."""


def output_shift(op: str, inputs: dict[str, Any]) -> tuple[str, Any] | None:
    """(name, value) of the input ``op`` adds to its output last (β), None if it has none."""
    name = SHIFTS.get(op)
    return None if name is None or name not in inputs else (name, inputs[name])


def _f64(a: Any) -> F64:
    return np.asarray(a, dtype=np.float64)


def context_for(op: str, grad: str, inputs: dict[str, Any], dout: Any,
                ref_grads: dict[str, Any], equation: str | None) -> DiagnosisContext:
    """The diagnosis context of gradient ``grad`` of ``op`` in one case (empty if unknown op)."""
    builder = BUILDERS.get(op)
    ref = {k: _f64(v) for k, v in ref_grads.items()}
    fields = builder(grad, inputs, _f64(dout), ref) if builder else {}
    if np.ndim(dout) == 0 and np.isfinite(dout):  # a scalar objective's upstream gradient
        fields["dout"] = float(dout)
    return DiagnosisContext(equation=equation, **fields)
