"""The three gradients returned as a list [dx, dW, db] instead of a tuple, cache a list too."""


import numpy as np
from numpy.typing import NDArray

OP = "linear"


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, list]:
    """np.dot(x, W.T) + b."""
    return np.dot(x, W.T) + b, [x, W, b]


def backward(dout: NDArray, cache: list) -> list:
    """[dout W, doutᵀ x, Σₙ dout]."""
    x, W, _ = cache
    dx = np.dot(dout, W)
    dW = np.dot(dout.T, x)
    db = np.sum(dout, axis=0)
    return [dx, dW, db]
