"""Correct: s = lam/2 ‖W‖²; dW = ds lam W."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "l2_penalty"
EXPECT: dict[str, str] = {}


def forward(W: NDArray, lam: float) -> tuple[NDArray, Any]:
    """s = lam/2 ‖W‖²."""
    return np.asarray(lam / 2 * np.sum(W**2), dtype=W.dtype), (W, lam)


def backward(ds: Any, cache: Any) -> NDArray:
    """dW = ds lam W."""
    W, lam = cache
    return ds * lam * W
