"""Bug: relu′(x) = (1 + x / |x|) / 2, from max(x, 0) = (x + |x|) / 2: 0 / 0 = NaN at x == 0.

Away from the kink it is right; at x == 0 no value of [0, 1] · dout comes out (np.sign(x) in
place of x / |x| would give the valid 0.5 · dout).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"
EXPECT = {"dx": "localized"}
PATTERN = {"dx": "x == 0 (ReLU kink)"}


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """max(x, 0)."""
    return np.maximum(x, 0), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """x / |x| where np.sign(x) was due."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return dout * (1 + x / np.abs(x)) / 2
