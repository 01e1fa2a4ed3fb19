"""Bug: dW1 and dW2 without the weight-decay term lam W (the penalty forgotten)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"
EXPECT = {"dW2": "missing_l2_term", "dW1": "missing_l2_term"}
FIRST_DIVERGENCE = "dW2"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """z = X W1ᵀ, h = relu(z), o = h W2ᵀ, J = mean((o − Y)²) + lam/2 (‖W1‖² + ‖W2‖²)."""
    z = X @ W1.T
    h = np.maximum(z, 0)
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """do, dW2, dh, dz, dW1 (with the planted bug)."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2 * (o - Y) / o.size
    dW2 = do.T @ h
    dh = do @ W2
    dz = dh * (z > 0)
    dW1 = dz.T @ X
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
