"""σ(x) = (1 + tanh(x/2)) / 2, so σ′(x) = (1 − tanh²(x/2)) / 4.

The identity 1 / (1 + e^(−x)) = (1 + tanh(x/2)) / 2 and the chain rule through x/2.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "sigmoid"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """0.5 (1 + tanh(x/2)); cache t = tanh(x/2)."""
    t = np.tanh(x / 2)
    return 0.5 * (1 + t), t


def backward(dout: NDArray, t: Any) -> NDArray:
    """dout (1 − t²) / 4."""
    return dout * 0.25 * (1 - t**2)
