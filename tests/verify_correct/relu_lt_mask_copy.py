"""CS231n-style relu_backward: dx = dout.copy(); dx[x < 0] = 0.

Zero where x < 0, dout elsewhere: relu′(x) = 1 for x > 0, 0 for x < 0. At x == 0 exactly it
passes dout (slope 1), a valid subgradient of max(x, 0) there (torch picks 0); the op's
"exact zeros" case has such elements, so a note is due.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"
NOTES = ("subgradient_at_kink",)


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """out = max(x, 0); cache x."""
    out = np.maximum(0, x)
    cache = x
    return out, cache


def backward(dout: NDArray, cache: Any) -> NDArray:
    """dx = dout with the negative inputs' entries zeroed."""
    x = cache
    dx = dout.copy()
    dx[x < 0] = 0
    return dx
