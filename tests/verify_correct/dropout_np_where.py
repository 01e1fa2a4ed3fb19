"""np.where(mask, dout / (1 − p), 0): the kept units scaled, the dropped ones zero."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "dropout"


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """np.where(mask, x / (1 − p), 0)."""
    return np.where(mask, x / (1 - p), 0), (mask, p)


def backward(dout: NDArray, cache: Any) -> NDArray:
    """The same selection on dout."""
    mask, p = cache
    return np.where(mask, dout / (1 - p), 0)
