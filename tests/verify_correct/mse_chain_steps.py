"""The chain rule step by step: loss = mean(sq), sq = diff², diff = pred − target.

dsq = dloss / numel everywhere (the mean), ddiff = 2 diff ⊙ dsq, dpred = ddiff.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "mse"


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """diff, sq, loss."""
    diff = pred - target
    sq = diff * diff
    loss = sq.mean()
    return loss, {"diff": diff}


def backward(dloss: Any, cache: Any) -> NDArray:
    """Back through mean, square and subtraction."""
    diff = cache["diff"]
    dsq = np.full_like(diff, 1.0 / diff.size) * dloss
    ddiff = 2 * diff * dsq
    dpred = ddiff
    return dpred
