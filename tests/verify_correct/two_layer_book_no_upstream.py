"""The book's backward with dJ/dL = 1 taken literally: dJ is never read.

D2L starts the backward pass from ∂J/∂L = 1 and ∂J/∂s = 1, so a student who transcribes it
writes do = 2 (o − Y) / numel(o) without the upstream argument. That is exactly the gradient
of the objective J (upstream 1); it would only miss a factor if J fed a larger graph.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"
NOTES = ("upstream_not_applied",)


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """J = mean((relu(X W1ᵀ) W2ᵀ − Y)²) + lam/2 (‖W1‖² + ‖W2‖²)."""
    z = X @ W1.T
    h = np.maximum(z, 0)
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """dJ/dL = 1: do = 2 (o − Y) / numel, dW2 = doᵀ h + λW2, ..., dW1 = dzᵀ X + λW1."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = 2 * (o - Y) / o.size
    dW2 = do.T @ h + lam * W2
    dh = do @ W2
    dz = dh * (z > 0)
    dW1 = dz.T @ X + lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
