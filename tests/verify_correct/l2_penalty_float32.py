"""A float32 run: lam cast to W's dtype, the penalty and ds * lam * W in float32."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "l2_penalty"
DTYPE = "float32"


def forward(W: NDArray, lam: float) -> tuple[NDArray, Any]:
    """lam/2 ‖W‖² in float32."""
    lam32 = W.dtype.type(lam)
    return np.asarray(lam32 / 2 * np.sum(W * W), dtype=W.dtype), (W, lam32)


def backward(ds: Any, cache: Any) -> NDArray:
    """ds lam W, float32."""
    W, lam = cache
    return (W.dtype.type(ds) * lam * W).astype(W.dtype)
