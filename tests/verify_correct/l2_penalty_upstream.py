"""0.5 * lam * np.sum(W * W) and the gradient ds * lam * W (the ½ cancels the 2 of W²)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "l2_penalty"


def forward(W: NDArray, lam: float) -> tuple[NDArray, Any]:
    """0.5 lam Σ W²."""
    return 0.5 * lam * np.sum(W * W), (W, lam)


def backward(ds: Any, cache: Any) -> NDArray:
    """ds lam W."""
    W, lam = cache
    return ds * lam * W
