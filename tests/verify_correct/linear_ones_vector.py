"""db as a product with a ones vector, the CS231n reshape of x, np.matmul for the rest.

db = 1ᵀ dout sums dout over the batch; x.reshape(N, -1) is the flattening CS231n's
affine_forward does (a no-op for 2-D x), and dx is reshaped back to x's shape.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "linear"


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x_flat Wᵀ + b."""
    N = x.shape[0]
    x_flat = x.reshape(N, -1)
    return np.matmul(x_flat, W.T) + b, (x, W, b)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """dx reshaped to x, dW = doutᵀ x_flat, db = ones(N) @ dout."""
    x, W, b = cache
    N = x.shape[0]
    x_flat = x.reshape(N, -1)
    dx = np.matmul(dout, W).reshape(x.shape)
    dW = np.matmul(dout.T, x_flat)
    db = np.ones(N, dtype=dout.dtype) @ dout
    return dx, dW, db
