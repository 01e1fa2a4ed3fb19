"""Correct: MSE as torch (mean over all elements, no ½); dpred = dloss 2 (pred − target) / numel."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "mse"
EXPECT: dict[str, str] = {}


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """loss = mean((pred − target)²)."""
    diff = pred - target
    return np.asarray(np.mean(diff**2), dtype=pred.dtype), diff


def backward(dloss: Any, diff: Any) -> NDArray:
    """dpred = dloss 2 diff / numel."""
    return dloss * 2 * diff / diff.size
