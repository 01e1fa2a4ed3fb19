"""np.maximum(pred, 1) for the clamp and a pred > 1 mask in the backward.

loss = sqrt(mean(d²)), d = log max(pred, 1) − log target. Where pred > 1,
∂loss/∂pred = d / (numel · loss · pred); where pred < 1 the clamp is flat (0). At pred == 1
(never drawn here) any value between the two sides is a valid subgradient.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "log_rmse"


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """sqrt(mean((log max(pred, 1) − log target)²))."""
    clipped = np.maximum(pred, 1)
    d = np.log(clipped) - np.log(target)
    loss = np.sqrt(np.mean(d**2))
    return loss, (pred, d, loss)


def backward(dloss: Any, cache: Any) -> NDArray:
    """dloss d / (numel loss pred) where pred > 1, else 0."""
    pred, d, loss = cache
    return dloss * d / (d.size * loss * pred) * (pred > 1)
