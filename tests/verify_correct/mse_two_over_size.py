"""dpred = dloss * 2 * (pred − target) / pred.size: torch's MSELoss (mean over all, no ½).

loss = (1/numel) Σ (pred − target)², so ∂loss/∂pred = 2 (pred − target) / numel.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "mse"


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """mean((pred − target)²)."""
    diff = pred - target
    return np.asarray(np.sum(diff**2) / diff.size, dtype=pred.dtype), diff


def backward(dloss: Any, diff: Any) -> NDArray:
    """2 diff / numel times the upstream."""
    return dloss * 2 * diff / diff.size
