"""Boolean indexing with the mask: dx = zeros; dx[mask] = dout[mask] / (1 − p)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "dropout"


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """Kept units scaled by 1 / (1 − p), the rest 0."""
    out = np.zeros_like(x)
    out[mask] = x[mask] / (1 - p)
    return out, (mask, p)


def backward(dout: NDArray, cache: Any) -> NDArray:
    """The same on dout."""
    mask, p = cache
    dx = np.zeros_like(dout)
    dx[mask] = dout[mask] / (1 - p)
    return dx
