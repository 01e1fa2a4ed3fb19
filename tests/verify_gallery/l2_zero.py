"""Bug: dW = 0: "the penalty is a constant" (it is not: it depends on W)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "l2_penalty"
EXPECT = {"dW": "zero"}


def forward(W: NDArray, lam: float) -> tuple[NDArray, Any]:
    """s = lam/2 ‖W‖²."""
    return np.asarray(lam / 2 * np.sum(W**2), dtype=W.dtype), (W, lam)


def backward(ds: Any, cache: Any) -> NDArray:
    """No gradient at all."""
    W, _ = cache
    return np.zeros_like(W)
