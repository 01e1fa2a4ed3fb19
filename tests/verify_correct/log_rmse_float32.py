"""A float32 run: the clamp with a float32 one, the gradient in pred's dtype."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "log_rmse"
DTYPE = "float32"


def forward(pred: NDArray, target: NDArray) -> tuple[NDArray, Any]:
    """loss in float32."""
    one = pred.dtype.type(1)
    d = np.log(np.maximum(pred, one)) - np.log(target)
    loss = np.sqrt(np.mean(d * d))
    return np.asarray(loss, dtype=pred.dtype), (pred, d, loss)


def backward(dloss: Any, cache: Any) -> NDArray:
    """dloss d / (numel loss pred) ⊙ [pred > 1], float32."""
    pred, d, loss = cache
    g = d / (pred.dtype.type(d.size) * loss * pred) * (pred > 1)
    return (g * pred.dtype.type(dloss)).astype(pred.dtype)
