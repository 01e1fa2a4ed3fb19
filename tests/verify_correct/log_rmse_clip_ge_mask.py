"""np.clip(pred, 1, None) for the clamp and a pred >= 1 mask (like torch.clamp's backward).

Same derivative as with pred > 1 everywhere except pred == 1 exactly, where either side's
slope is a valid subgradient.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "log_rmse"


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """The clamp as np.clip."""
    log_pred = np.log(np.clip(pred, 1, None))
    d = log_pred - np.log(target)
    rmse = np.sqrt(np.sum(d * d) / d.size)
    return np.asarray(rmse, dtype=pred.dtype), (pred, d, rmse)


def backward(dloss: Any, cache: Any) -> NDArray:
    """dloss d / (numel rmse pred) ⊙ [pred >= 1]."""
    pred, d, rmse = cache
    grad = d / (d.size * rmse * pred)
    grad[pred < 1] = 0
    return dloss * grad
