"""Bug: the backward of linear drops dout: dx = 1 W, dW = 1ᵀ x, db = N (the gradient of sum(out)).

Every gradient equals autograd's with dout = ones: ``upstream_ignored`` (a non-scalar output,
so ignoring the upstream gradient is a real bug, unlike for a scalar objective).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "linear"
EXPECT = {"dx": "upstream_ignored", "dW": "upstream_ignored", "db": "upstream_ignored"}


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """Ones where dout belongs."""
    x, W = cache
    ones = np.ones_like(dout)
    return ones @ W, ones.T @ x, ones.sum(axis=0)
