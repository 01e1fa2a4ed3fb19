"""Bug: the gradient of the mean square, not of its root: the 1/(2ℓ) of d sqrt(m) is missing."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "log_rmse"
EXPECT = {"dpred": "scaled"}
FACTOR = {"dpred": "2ℓ"}


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """loss = sqrt(mean((log max(pred, 1) − log target)²))."""
    diff = np.log(np.maximum(pred, 1)) - np.log(target)
    loss = np.sqrt(np.mean(diff**2))
    return np.asarray(loss, dtype=pred.dtype), (pred, diff)


def backward(dloss: Any, cache: Any) -> NDArray:
    """dm/dpred = 2 diff / (numel pred), where pred >= 1: the chain through sqrt forgotten."""
    pred, diff = cache
    return dloss * 2 * diff / (diff.size * pred) * (pred >= 1)
