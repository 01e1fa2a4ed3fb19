"""A float32 run: the loss and its gradient kept in pred's dtype."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "mse"
DTYPE = "float32"


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """mean((pred − target)²) in float32."""
    diff = pred - target
    return np.mean(diff * diff, dtype=pred.dtype), diff


def backward(dloss: Any, diff: Any) -> NDArray:
    """2 dloss diff / numel in float32."""
    scale = np.float32(2) * np.float32(dloss) / np.float32(diff.size)
    return scale * diff
