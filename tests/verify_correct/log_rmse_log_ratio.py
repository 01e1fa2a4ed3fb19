"""d = log(max(pred, 1) / target) as one log of a ratio; a pred >= 1 mask in the backward.

log(a / b) = log a − log b, so d is the same difference; the derivative of log max(pred, 1)
is 1/pred where pred > 1 and 0 where pred < 1.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "log_rmse"


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """sqrt(mean(log(max(pred, 1) / target)²))."""
    d = np.log(np.maximum(pred, 1) / target)
    loss = np.sqrt(np.mean(d**2))
    return loss, (pred, d, loss)


def backward(dloss: Any, cache: Any) -> NDArray:
    """dloss d / (numel loss pred) ⊙ [pred >= 1]."""
    pred, d, loss = cache
    return dloss * (pred >= 1) * d / (d.size * loss * pred)
