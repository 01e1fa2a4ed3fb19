"""The regularisers' declarations: the L2 penalty and inverted dropout
(``handmade.regularization``, ``handmade.dropout`` / their ``reference`` twins).

The L2 penalty's usual mistakes are the ½ convention (×2, ×1/2) and the whole λW missing
(``zero``); dropout's are the 1/(1 − p) scale missing (``dropout_scale_missing``: dout ⊙ mask),
the mask not applied (dout / (1 − p)) and keep/drop probabilities confused ((1 − p)/p).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import handmade as hm
import reference as ref
from comparisons.core.opdecl import (
    DOUT,
    F64,
    SHAPES_2D,
    Input,
    OpDeclaration,
    at_unit,
    unit_convention,
    upstream_equation,
)
from comparisons.core.ops import Case, Inputs

DROP_P = 0.3


def l2_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                refs: Mapping[str, F64]) -> dict[str, Any]:
    """lam (a factor lam or 1/lam); without the λW term the whole gradient is ``zero``."""
    return {"lam": float(inputs["lam"])}


def dropout_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                     refs: Mapping[str, F64]) -> dict[str, Any]:
    """p, the scale-missing and mask-not-applied gradients, and the kept/dropped masks."""
    p, mask = float(inputs["p"]), np.asarray(inputs["mask"], bool)
    return {"dropout_p": p, "candidates": {"dropout_scale_missing": dout * mask,
                                           "mask_not_applied": dout / (1.0 - p)},
            "masks": {"dropped units (mask False)": ~mask, "kept units (mask True)": mask}}


def draw_mask(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
              drawn: Inputs) -> Any:
    """The keep mask of x's shape, drawn with the case's p."""
    return hm.make_dropout_mask(np.shape(drawn["x"]), drawn["p"], rng)


L2_PENALTY = OpDeclaration(
    name="l2_penalty", family="regularization",
    forward=hm.l2_penalty_forward, backward=hm.l2_penalty_backward, reference=ref.l2_penalty,
    inputs=(Input(name="W", shape=("D_out", "D_in"), grad="dW"),
            Input(name="lam", dtype="const", value=0.3)),
    cases=(Case("1x1", {"D_out": 1, "D_in": 1}), Case("non-square", {"D_out": 2, "D_in": 3}),
           Case("tall", {"D_out": 5, "D_in": 4})),
    signature="forward(W, lam) -> (s, cache); backward(ds, cache) -> dW",
    convention=f"s = lam/2 ‖W‖²_F (with the ½), so ds/dW = lam W; {unit_convention('ds', 's')}",
    scalar_output=True, equations=at_unit("ds", {"dW": "dW = lam W"}),
    mistakes=l2_mistakes,
)
DROPOUT = OpDeclaration(
    name="dropout", family="regularization",
    forward=hm.dropout_forward, backward=hm.dropout_backward, reference=ref.dropout,
    inputs=(Input(name="x", shape=("N", "D"), grad="dx"),
            Input(name="p", dtype="const", value=DROP_P),
            Input(name="mask", shape=("N", "D"), keyword=True, draw=draw_mask)),
    cases=SHAPES_2D,
    signature="forward(x, p, *, mask) -> (out, cache); backward(dout, cache) -> dx",
    convention="inverted dropout: out = x ⊙ mask / (1 − p), mask True = kept, p = the drop "
               f"probability; {DOUT}",
    equations={"dx": upstream_equation("dx = dout ⊙ mask / (1 − p)")},
    mistakes=dropout_mistakes,
)

DECLARATIONS = (L2_PENALTY, DROPOUT)
