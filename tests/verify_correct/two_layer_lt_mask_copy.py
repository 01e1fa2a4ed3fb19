"""The ReLU step as CS231n's relu_backward, dz = dh.copy(); dz[z < 0] = 0, dJ on every term.

At z == 0 exactly this passes dh (slope 1), a valid subgradient (torch uses 0); elsewhere it
is dh ⊙ relu′(z).
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
    """dz zeroed only where z < 0."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2 * (o - Y) / o.size
    dW2 = do.T @ h + dJ * lam * W2
    dh = do @ W2
    dz = dh.copy()
    dz[z < 0] = 0
    dW1 = dz.T @ X + dJ * lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
