"""Bug: dx = dout σ, the (1 − σ) factor of σ′ = σ (1 − σ) forgotten: no known mistake fits."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "sigmoid"
EXPECT = {"dx": "unknown"}


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """σ(x)."""
    s = 1 / (1 + np.exp(-x))
    return s, s


def backward(dout: NDArray, s: Any) -> NDArray:
    """Half of σ′."""
    return dout * s
