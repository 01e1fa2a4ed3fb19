"""The book's single-example formulas dJ/dW2 = (dJ/do) hᵀ summed over the batch with np.outer.

For one example the book gives dW2 = do hᵀ (q × h) and dW1 = dz xᵀ (h × d); the minibatch
gradient is their sum over examples (the 1/N of the mean is already in do), plus dJ λW.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """J = mean((relu(X W1ᵀ) W2ᵀ − Y)²) + lam/2 (‖W1‖² + ‖W2‖²)."""
    z = X @ W1.T
    h = np.maximum(z, 0)
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """Σₙ outer(do[n], h[n]) + dJ λW2 and Σₙ outer(dz[n], x[n]) + dJ λW1."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2 * (o - Y) / o.size
    dh = do @ W2
    dz = dh * (z > 0)
    dW2 = dJ * lam * W2
    dW1 = dJ * lam * W1
    for n in range(X.shape[0]):
        dW2 = dW2 + np.outer(do[n], h[n])
        dW1 = dW1 + np.outer(dz[n], X[n])
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
