"""Lists everywhere: the forward's out as .tolist(), the gradients a tuple of lists.

The values are out = x Wᵀ + b and (dout W, doutᵀ x, Σₙ dout); only the containers differ.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "linear"


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[list, Any]:
    """out as a nested list."""
    return (x @ W.T + b).tolist(), (x, W)


def backward(dout: Any, cache: Any) -> tuple[list, list, list]:
    """Each gradient converted with .tolist()."""
    x, W = cache
    dout = np.asarray(dout)
    return tuple(g.tolist() for g in (dout @ W, dout.T @ x, dout.sum(axis=0)))
