"""CS231n's affine_backward, x.T.dot(dout), transposed back to this op's (D_out, D_in) layout.

CS231n stores w as (D, M) and writes dw = x.T.dot(dout); here W is (D_out, D_in) (torch's
layout, out = x Wᵀ + b), so dW = x.T.dot(dout).T = doutᵀ x. dx = dout.dot(W) and
db = np.sum(dout, axis=0) as in CS231n.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "linear"


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x.dot(W.T) + b; cache (x, W, b)."""
    out = x.dot(W.T) + b
    cache = (x, W, b)
    return out, cache


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """dx = dout.dot(W), dW = x.T.dot(dout).T, db = np.sum(dout, axis=0)."""
    x, W, b = cache
    dx = dout.dot(W)
    dW = x.T.dot(dout).T
    db = np.sum(dout, axis=0)
    return dx, dW, db
