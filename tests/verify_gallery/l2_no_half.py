"""Bug: dW = 2 ds lam W: derived for lam ‖W‖², but the penalty is lam/2 ‖W‖²."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "l2_penalty"
EXPECT = {"dW": "scaled"}
FACTOR = {"dW": "2"}


def forward(W: NDArray, lam: float) -> tuple[NDArray, Any]:
    """s = lam/2 ‖W‖²."""
    return np.asarray(lam / 2 * np.sum(W**2), dtype=W.dtype), (W, lam)


def backward(ds: Any, cache: Any) -> NDArray:
    """Twice the gradient."""
    W, lam = cache
    return 2 * ds * lam * W
