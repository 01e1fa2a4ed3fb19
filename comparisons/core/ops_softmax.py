"""Softmax's declaration (``handmade.softmax`` / ``reference.softmax``).

``forward(x) -> (out, cache); backward(dout, cache) -> dx`` over the last axis of x (N, C):
dx = s ⊙ (dout − Σ_j dout_j s_j). Its usual mistake is the Jacobian's diagonal alone,
dx = dout ⊙ s (1 − s) (an elementwise sigmoid-like derivative: ``missing_cross_terms``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import handmade as hm
import reference as ref
from comparisons.core.opdecl import DOUT, F64, Input, OpDeclaration, as_f64, upstream_equation
from comparisons.core.ops import Case


def softmax_of(x: F64) -> F64:
    """Stable softmax over the last axis, in float64."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                     refs: Mapping[str, F64]) -> dict[str, Any]:
    """The diagonal of the Jacobian only: dx = dout ⊙ s (1 − s)."""
    s = softmax_of(as_f64(inputs["x"]))
    n, c = s.shape
    return {"candidates": {"missing_cross_terms": dout * s * (1 - s)},
            "dims": {"N": n, "C": c}}


SOFTMAX = OpDeclaration(
    name="softmax", family="normalization", forward=hm.softmax_forward,
    backward=hm.softmax_backward, reference=ref.softmax,
    inputs=(Input(name="x", shape=("N", "C"), scale=2.0, grad="dx"),),
    cases=(Case("non-square", {"N": 5, "C": 3}), Case("N=1", {"N": 1, "C": 7}),
           Case("odd batch", {"N": 7, "C": 11})),
    signature="forward(x) -> (out, cache); backward(dout, cache) -> dx",
    convention="s = softmax(x) over the last axis (torch.softmax(x, dim=-1)), stable: "
               f"exp(x − row max) / Σ exp(x − row max); x: (N, C); {DOUT}",
    equations={"dx": upstream_equation(
        "dx = s ⊙ (dout − Σ_j dout_j s_j) (Jacobian diag(s) − s sᵀ per row)")},
    mistakes=softmax_mistakes,
)

DECLARATIONS = (SOFTMAX,)
