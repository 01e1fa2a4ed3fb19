"""The linear layer's declaration: out = x Wᵀ + b (``handmade.linear`` / ``reference.linear``).

Its usual mistakes need no candidate of their own: a transposed dW, a db not summed over the
batch (per-example db, (N, D_out)), a mean where the sum is due (×1/N) are recognised by the
engine from the shapes and the case's sizes N, D_in, D_out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import handmade as hm
import reference as ref
from comparisons.core.opdecl import DOUT, F64, Input, OpDeclaration, upstream_equation
from comparisons.core.ops import Case


def linear_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                    refs: dict[str, F64]) -> dict[str, Any]:
    """The case's sizes, which name a ``scaled`` factor (×N, ×1/N, ×D_out, ...)."""
    (n, d_in), d_out = np.shape(inputs["x"]), np.shape(inputs["W"])[0]
    return {"dims": {"N": n, "D_in": d_in, "D_out": d_out}}


LINEAR = OpDeclaration(
    name="linear", family="linear",
    forward=hm.linear_forward, backward=hm.linear_backward, reference=ref.linear,
    inputs=(Input(name="x", shape=("N", "D_in"), grad="dx"),
            Input(name="W", shape=("D_out", "D_in"), grad="dW"),
            Input(name="b", shape=("D_out",), grad="db")),
    cases=(Case("non-square", {"N": 5, "D_in": 7, "D_out": 3}),
           Case("N=1", {"N": 1, "D_in": 5, "D_out": 3}),
           Case("odd batch, D_out > D_in", {"N": 7, "D_in": 3, "D_out": 11}),
           Case("square W", {"N": 5, "D_in": 3, "D_out": 3})),
    signature="forward(x, W, b) -> (out, cache); backward(dout, cache) -> (dx, dW, db)",
    convention=f"out = x Wᵀ + b; x: (N, D_in), W: (D_out, D_in), b: (D_out,); {DOUT}",
    equations={"dx": upstream_equation("dx = dout W"),
               "dW": upstream_equation("dW = doutᵀ x"),
               "db": upstream_equation("db = Σₙ dout[n]")},
    mistakes=linear_mistakes,
)

DECLARATIONS = (LINEAR,)
