"""Correct: sigmoid; dx = dout σ (1 − σ)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "sigmoid"
EXPECT: dict[str, str] = {}


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """σ(x) = 1 / (1 + e^-x)."""
    s = 1 / (1 + np.exp(-x))
    return s, s


def backward(dout: NDArray, s: Any) -> NDArray:
    """dx = dout σ (1 − σ)."""
    return dout * s * (1 - s)
