"""Bug: dx = dout, the ReLU derivative [x > 0] forgotten."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"
EXPECT = {"dx": "missing_activation_derivative"}


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """max(x, 0)."""
    return np.maximum(x, 0), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """Passes dout straight through."""
    return dout
