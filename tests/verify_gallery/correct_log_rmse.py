"""Correct: log-RMSE with the clamp max(pred, 1); the gradient is 0 where pred < 1."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "log_rmse"
EXPECT: dict[str, str] = {}


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """loss = sqrt(mean((log max(pred, 1) − log target)²))."""
    clamped = np.maximum(pred, 1)
    diff = np.log(clamped) - np.log(target)
    loss = np.sqrt(np.mean(diff**2))
    return np.asarray(loss, dtype=pred.dtype), (pred, diff, loss)


def backward(dloss: Any, cache: Any) -> NDArray:
    """dpred = dloss diff / (numel loss pred), where pred >= 1; 0 elsewhere."""
    pred, diff, loss = cache
    return dloss * diff / (diff.size * loss * pred) * (pred >= 1)
