"""Bug: dpred = dloss 2 (pred − target): derived for the sum of squares, the loss is a mean."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "mse"
EXPECT = {"dpred": "scaled"}
FACTOR = {"dpred": "N·D"}


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """mean((pred − target)²)."""
    diff = pred - target
    return np.asarray(np.mean(diff**2), dtype=pred.dtype), diff


def backward(dloss: Any, diff: Any) -> NDArray:
    """The 1/numel is missing."""
    return dloss * 2 * diff
