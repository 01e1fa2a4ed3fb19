"""Bug: dW accumulated in a preallocated float32 array, so it is float32 in a float64 run."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "linear"
EXPECT = {"dW": "wrong_dtype"}


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """dW summed example by example into np.zeros(..., dtype=np.float32)."""
    x, W = cache
    dW = np.zeros(W.shape, dtype=np.float32)
    for n in range(x.shape[0]):
        dW += np.outer(dout[n], x[n])
    return dout @ W, dW, dout.sum(axis=0)
