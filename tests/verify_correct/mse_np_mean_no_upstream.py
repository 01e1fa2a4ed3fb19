"""np.mean in the forward, backward 2 (pred − target) / (N·D) with dloss unused.

The loss is the objective here, so its gradient (upstream 1) is 2 (pred − target) / numel;
it would miss the factor only if the loss fed a larger graph.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "mse"
NOTES = ("upstream_not_applied",)


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """np.mean((pred − target)**2)."""
    loss = np.mean((pred - target) ** 2)
    return loss, (pred, target)


def backward(dloss: Any, cache: Any) -> NDArray:
    """2 (pred − target) / (N D)."""
    pred, target = cache
    N, D = pred.shape
    return 2 * (pred - target) / (N * D)
