"""dJ on every term, and the ReLU mask written z >= 0.

do = dJ · 2 (o − Y) / numel(o) and dJ · λW on both weight terms: the chain rule with an
arbitrary upstream. The mask z >= 0 differs from z > 0 only where z == 0 exactly, where any
value in [0, 1] is a valid subgradient (random z are never exactly 0).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """J = L + s with L the mean squared error and s = lam/2 (‖W1‖² + ‖W2‖²)."""
    z = X @ W1.T
    h = np.maximum(0, z)
    o = h @ W2.T
    J = ((o - Y) ** 2).mean() + 0.5 * lam * ((W1**2).sum() + (W2**2).sum())
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """Every term times dJ; dz = dh ⊙ [z >= 0]."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2.0 * (o - Y) / o.size
    dW2 = do.T @ h + dJ * lam * W2
    dh = do @ W2
    dz = dh * (z >= 0)
    dW1 = dz.T @ X + dJ * lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
