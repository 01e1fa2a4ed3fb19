"""Bug: the backward ignores the clamp max(pred, 1): where pred < 1 the gradient must be 0."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "log_rmse"
EXPECT = {"dpred": "localized"}
PATTERN = {"dpred": "pred < 1 (log-RMSE clamp)"}


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """sqrt(mean((log max(pred, 1) − log target)²))."""
    diff = np.log(np.maximum(pred, 1)) - np.log(target)
    loss = np.sqrt(np.mean(diff**2))
    return np.asarray(loss, dtype=pred.dtype), (pred, diff, loss)


def backward(dloss: Any, cache: Any) -> NDArray:
    """No mask for the clamped elements."""
    pred, diff, loss = cache
    return dloss * diff / (diff.size * loss * pred)
