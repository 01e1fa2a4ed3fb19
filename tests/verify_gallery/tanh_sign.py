"""Bug: dx = dout (tanh² − 1), the derivative 1 − tanh² written backwards."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "tanh"
EXPECT = {"dx": "sign_flipped"}


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """tanh(x)."""
    t = np.tanh(x)
    return t, t


def backward(dout: NDArray, t: Any) -> NDArray:
    """Sign flipped."""
    return dout * (t**2 - 1)
