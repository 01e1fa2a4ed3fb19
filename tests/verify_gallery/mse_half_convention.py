"""Bug: dpred = dloss (pred − target) / numel: derived for ½ mean((pred − target)²), not MSE."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "mse"
EXPECT = {"dpred": "scaled"}
FACTOR = {"dpred": "1/2"}


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """mean((pred − target)²)."""
    diff = pred - target
    return np.asarray(np.mean(diff**2), dtype=pred.dtype), diff


def backward(dloss: Any, diff: Any) -> NDArray:
    """The 2 is missing."""
    return dloss * diff / diff.size
