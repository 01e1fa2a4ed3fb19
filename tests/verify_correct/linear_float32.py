"""A float32 run: the forward keeps x's dtype; the gradients are returned as float32 arrays."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "linear"
DTYPE = "float32"


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b in x's dtype."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """(dout W, doutᵀ x, Σₙ dout) as float32."""
    x, W = cache
    dx = (dout @ W).astype(np.float32)
    dW = (dout.T @ x).astype(np.float32)
    db = dout.sum(axis=0, dtype=np.float32)
    return dx, dW, db
