"""Correct: tanh; dx = dout (1 − tanh²)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "tanh"
EXPECT: dict[str, str] = {}


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """tanh(x)."""
    t = np.tanh(x)
    return t, t


def backward(dout: NDArray, t: Any) -> NDArray:
    """dx = dout (1 − t²)."""
    return dout * (1 - t**2)
