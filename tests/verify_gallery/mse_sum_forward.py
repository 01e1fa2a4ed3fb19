"""Forward bug: loss = Σ (pred − target)², a sum where MSE takes the mean; the backward
dpred = dloss 2 (pred − target) is right for that forward.

The forward value is wrong (×N·D); dpred is N·D × autograd's but matches central differences
of this forward: ``consistent_with_own_forward`` (fix the forward, not the backward). Compare
mse_sum.py, whose forward is right and whose backward alone drops the 1/numel: ``scaled``.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "mse"
EXPECT = {"dpred": "consistent_with_own_forward"}
FORWARD_FACTOR = "N·D"


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """sum((pred − target)²): the 1/numel of the mean is missing."""
    diff = pred - target
    return np.asarray(np.sum(diff**2), dtype=pred.dtype), diff


def backward(dloss: Any, diff: Any) -> NDArray:
    """The derivative of the sum above."""
    return dloss * 2 * diff
