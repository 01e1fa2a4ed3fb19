"""Bug: dx = dout ⊙ [x >= 0]: lets the gradient through at the kink x == 0 (torch gives 0)."""

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
    """>= where > was due."""
    return dout * (x >= 0)
