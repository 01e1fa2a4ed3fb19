"""The numerically stable sigmoid (two branches with np.where), derivative recomputed from x.

σ(x) = 1 / (1 + e^(−x)) for x ≥ 0 and e^x / (1 + e^x) for x < 0 (the same function; neither
branch overflows); dx = dout σ(x)(1 − σ(x)).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "sigmoid"


def _sigmoid(x: NDArray) -> NDArray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """Stable σ(x); cache x."""
    return _sigmoid(x), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """dout σ(x)(1 − σ(x))."""
    s = _sigmoid(x)
    return dout * s * (1 - s)
