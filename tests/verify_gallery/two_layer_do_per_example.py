"""Bug: do = 2 (o − Y) / N, the mean taken over the batch only; J averages all N·q elements of o.

Lab 1's likeliest slip: each later gradient inherits the factor q (the number of outputs).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"
EXPECT = {"do": "scaled", "dh": "scaled", "dz": "scaled"}
ALSO_WRONG = ("dW2", "dW1")  # inherit the factor q mixed with the right lam W term
FIRST_DIVERGENCE = "do"
FACTOR = {"do": "q", "dh": "q", "dz": "q"}


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
    do = dJ * 2 * (o - Y) / X.shape[0]
    dW2 = do.T @ h + dJ * lam * W2
    dh = do @ W2
    dz = dh * (z > 0)
    dW1 = dz.T @ X + dJ * lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
