"""The weight-decay gradient as the book states it: ∂s/∂W = λW, the upstream ds unused.

s = λ/2 ‖W‖²_F, so ∂s/∂W = λW: right as the gradient of s itself (upstream 1); it would
only miss the factor if s were scaled downstream.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "l2_penalty"
NOTES = ("upstream_not_applied",)


def forward(W: NDArray, lam: float) -> tuple[NDArray, Any]:
    """lam / 2 * sum(W²)."""
    return lam / 2 * np.sum(W**2), (W, lam)


def backward(ds: Any, cache: Any) -> NDArray:
    """lam * W."""
    W, lam = cache
    return lam * W
