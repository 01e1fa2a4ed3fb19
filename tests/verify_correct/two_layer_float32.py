"""A float32 run: the forward keeps X's dtype, λ is cast to the weights' dtype.

Same formulas as the book (dJ on every term); every array stays float32 in a float32 run, so
the returned gradients are float32 there, as the inputs are.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"
DTYPE = "float32"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """J in X's dtype."""
    lam_ = X.dtype.type(lam)
    z = X @ W1.T
    h = np.maximum(z, X.dtype.type(0))
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam_ / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam_, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """Gradients in the cache's dtype."""
    X, Y, W1, W2, lam, z, h, o = cache
    dJ = X.dtype.type(dJ)
    do = dJ * 2 * (o - Y) / X.dtype.type(o.size)
    dW2 = do.T @ h + dJ * lam * W2
    dh = do @ W2
    dz = dh * (z > 0)
    dW1 = dz.T @ X + dJ * lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
