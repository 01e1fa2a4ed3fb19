"""Correct: dx = dout ⊙ [x >= 0] lets the gradient through at the kink x == 0, where torch gives 0.

Both are valid subgradients of relu at 0 (any t · dout with t in [0, 1]): the file passes, with a
``subgradient_at_kink`` note naming the elements and torch's choice.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"
EXPECT: dict[str, str] = {}
NOTES = {"dx": "subgradient_at_kink"}


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """max(x, 0)."""
    return np.maximum(x, 0), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """relu′(0) taken as 1 (x >= 0)."""
    return dout * (x >= 0)
