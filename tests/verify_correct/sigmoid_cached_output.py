"""The textbook sigmoid derivative from the cached output: dx = dout * s * (1 − s).

σ′(x) = σ(x)(1 − σ(x)); the forward keeps s = σ(x) so the backward needs no exp.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "sigmoid"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """s = 1 / (1 + exp(−x)); cache s."""
    s = 1 / (1 + np.exp(-x))
    return s, s


def backward(dout: NDArray, cache: Any) -> NDArray:
    """dout ⊙ s (1 − s)."""
    s = cache
    return dout * s * (1 - s)
