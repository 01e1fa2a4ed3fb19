"""The chain rule node by node: clamp, log, difference, square, mean, sqrt.

dmse = dloss / (2 sqrt(mse)); dd = dmse · 2 d / numel; dlog = dd; dclamped = dlog / clamped;
dpred = dclamped where pred > 1 (the clamp's slope), 0 elsewhere.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "log_rmse"


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """The forward as a list of named nodes."""
    clamped = np.maximum(pred, 1.0)
    log_clamped = np.log(clamped)
    d = log_clamped - np.log(target)
    mse = np.mean(d**2)
    loss = np.sqrt(mse)
    return loss, [pred, clamped, d, mse]


def backward(dloss: Any, cache: list) -> NDArray:
    """Back through sqrt, mean, square, log and the clamp."""
    pred, clamped, d, mse = cache
    dmse = dloss / (2 * np.sqrt(mse))
    dd = dmse * 2 * d / d.size
    dlog = dd
    dclamped = dlog / clamped
    dpred = dclamped * (pred > 1)
    return dpred
