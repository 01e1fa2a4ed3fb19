"""The losses' declarations: softmax cross-entropy, MSE, log-RMSE (``handmade.losses`` /
``reference.losses``).

Each is a scalar objective, judged at dloss = 1 (the gradient of the loss itself). Their usual
mistakes are factors (a sum where the mean is due, the ½ convention, ×2ℓ through log-RMSE's
square root), named by the case's sizes and ``mean_over``; log-RMSE's clamp max(pred, 1) is a
kink at pred == 1 (any slope in [0, 1] is valid there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

import handmade as hm
import reference as ref
from comparisons.core.opdecl import (
    F64,
    SHAPES_2D,
    Input,
    Kink,
    KinkRule,
    OpDeclaration,
    as_f64,
    at_unit,
    every_third,
    unit_convention,
)
from comparisons.core.ops import Case, Inputs

LOSS_SIGNATURE = "forward(pred, target) -> (loss, cache); backward(dloss, cache) -> dpred"


def per_sample_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                        refs: Mapping[str, F64]) -> dict[str, Any]:
    """N and C; the loss is a mean over N."""
    n, c = np.shape(inputs["logits"])
    return {"dims": {"N": n, "C": c}, "mean_over": "N"}


def mean_dims(pred: Any) -> dict[str, Any]:
    """N, D and N·D of a (N, D) prediction, the objective's mean over all N·D elements."""
    shape = np.shape(pred)
    n = int(shape[0]) if shape else 1
    d = int(np.size(pred)) // max(n, 1)
    return {"dims": {"N": n, "D": d, "N·D": n * d}, "mean_over": "N·D"}


def elementwise_mean_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                              refs: Mapping[str, F64]) -> dict[str, Any]:
    """N, D, N·D; the loss is a mean over all N·D elements."""
    return mean_dims(inputs["pred"])


def log_rmse_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                      refs: Mapping[str, F64]) -> dict[str, Any]:
    """N, D, N·D, the loss value ℓ (×2ℓ: the square root's chain) and the clamp's masks."""
    pred = as_f64(inputs["pred"])
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.log(np.maximum(pred, 1.0)) - np.log(as_f64(inputs["target"]))
        loss = float(np.sqrt(np.mean(diff**2)))
    masks = {"pred < 1 (log-RMSE clamp)": pred < 1, "pred >= 1": pred >= 1}
    return {**mean_dims(pred), "masks": masks, "loss": loss if np.isfinite(loss) else None}


def log_rmse_untrusted(inputs: Inputs, h: float) -> dict[str, NDArray[np.bool_]]:
    """pred within 2h of the clamp at 1."""
    return {"pred": np.abs(np.asarray(inputs["pred"], np.float64) - 1.0) <= 2 * h}


def log_rmse_kinks(inputs: Inputs, dout: F64, refs: Mapping[str, F64]) -> list[Kink]:
    """At pred == 1 the clamp has any slope t in [0, 1] (torch's clamp(min=1): 1)."""
    pred, target = as_f64(inputs["pred"]), as_f64(inputs["target"])
    clamped = np.maximum(pred, 1.0)
    diff = np.log(clamped) - np.log(target)
    loss = float(np.sqrt(np.mean(diff**2)))
    if not np.isfinite(loss) or loss == 0.0:  # sqrt has no derivative at 0: not a clamp kink
        return []
    one = dout * diff / (diff.size * loss * clamped)
    return [Kink("dpred", "pred == 1", "the clamp max(pred, 1)", pred == 1, one,
                 "dloss (log pred − log target) / (numel · loss), as for pred > 1")]


def with_pred_exactly_one(inputs: Inputs) -> Inputs:
    """Every third element of pred set to exactly 1 (the kink of the clamp max(pred, 1))."""
    return every_third(inputs, "pred", 1.0)


SOFTMAX_CROSS_ENTROPY = OpDeclaration(
    name="softmax_cross_entropy", family="loss",
    forward=hm.softmax_cross_entropy_forward, backward=hm.softmax_cross_entropy_backward,
    reference=ref.softmax_cross_entropy,
    inputs=(Input(name="logits", shape=("N", "C"), scale=3.0, grad="dlogits"),
            Input(name="y", shape=("N",), dtype="int", high="C")),
    cases=(Case("non-square", {"N": 5, "C": 3}), Case("N=1", {"N": 1, "C": 7}),
           Case("odd batch", {"N": 7, "C": 11})),
    signature="forward(logits, y) -> (loss, cache); backward(dloss, cache) -> dlogits",
    convention="loss = mean over N of −log softmax(logits)[n, y[n]]; logits: (N, C), "
               f"y: int (N,); {unit_convention('dloss', 'the loss')}",
    scalar_output=True,
    equations=at_unit("dloss", {"dlogits": "dlogits = (softmax(logits) − onehot(y)) / N"}),
    mistakes=per_sample_mistakes,
)
MSE = OpDeclaration(
    name="mse", family="loss", forward=hm.mse_forward, backward=hm.mse_backward,
    reference=ref.mse,
    inputs=(Input(name="pred", shape=("N", "D"), grad="dpred"),
            Input(name="target", shape=("N", "D"))),
    cases=SHAPES_2D, signature=LOSS_SIGNATURE,
    convention="loss = mean((pred − target)²) over all N·D elements, no ½ (torch MSELoss); "
               + unit_convention("dloss", "the loss"),
    scalar_output=True,
    equations=at_unit("dloss", {"dpred": "dpred = 2 (pred − target) / numel"}),
    mistakes=elementwise_mean_mistakes,
)
LOG_RMSE = OpDeclaration(
    name="log_rmse", family="loss", forward=hm.log_rmse_forward,
    backward=hm.log_rmse_backward, reference=ref.log_rmse,
    inputs=(Input(name="pred", shape=("N", "D"), uniform=(0.3, 4.0), grad="dpred"),
            Input(name="target", shape=("N", "D"), uniform=(0.5, 4.0))),
    cases=(Case("odd batch", {"N": 7, "D": 3}), Case("N=1", {"N": 1, "D": 1}),
           Case("column", {"N": 5, "D": 1})),
    signature=LOSS_SIGNATURE,
    convention="loss = sqrt(mean((log max(pred, 1) − log target)²)); mean over all "
               f"elements; {unit_convention('dloss', 'the loss')}",
    scalar_output=True, untrusted=log_rmse_untrusted,
    equations=at_unit("dloss", {"dpred": "dpred = (log max(pred,1) − log target) / "
                                         "(numel · loss · pred), 0 where pred < 1"}),
    kinks=KinkRule(log_rmse_kinks),
    kink_cases=((Case("pred exactly 1", {"N": 5, "D": 3}), with_pred_exactly_one),),
    mistakes=log_rmse_mistakes,
)

DECLARATIONS = (SOFTMAX_CROSS_ENTROPY, MSE, LOG_RMSE)
