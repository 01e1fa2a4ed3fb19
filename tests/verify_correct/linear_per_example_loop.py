"""Per-example loop: dW = Σₙ outer(dout[n], x[n]), db = Σₙ dout[n], dx[n] = W.T @ dout[n].

The single-example formulas (dW = dout xᵀ for column vectors) accumulated over the batch.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "linear"


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """Row by row: out[n] = W @ x[n] + b."""
    out = np.stack([W @ x[n] + b for n in range(x.shape[0])])
    return out, (x, W, b)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """Accumulate each example's contribution."""
    x, W, b = cache
    dx = np.zeros_like(x)
    dW = np.zeros_like(W)
    db = np.zeros_like(b)
    for n in range(x.shape[0]):
        dx[n] = W.T @ dout[n]
        dW += np.outer(dout[n], x[n])
        db += dout[n]
    return dx, dW, db
