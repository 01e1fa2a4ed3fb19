"""Bug: dpred = 2 (pred − target) / N: the mean taken over the batch only, not all N·D elements."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "mse"
EXPECT = {"dpred": "scaled"}
FACTOR = {"dpred": "D"}


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """mean((pred − target)²) over all elements."""
    diff = pred - target
    return np.asarray(np.mean(diff**2), dtype=pred.dtype), diff


def backward(dloss: Any, diff: Any) -> NDArray:
    """Divided by N = len(diff) instead of diff.size."""
    return dloss * 2 * diff / len(diff)
