"""D2L's formulas transcribed in row layout: dW2 = do.T @ h + lam * W2, the λW terms not × dJ.

The book writes dJ/dW2 = (dJ/do) hᵀ + λW2 and dJ/dW1 = (dJ/dz) xᵀ + λW1 with dJ/dL = dJ/ds = 1.
With rows as examples, (dJ/do) hᵀ becomes doᵀ H. The upstream dJ enters through do only, so
the λW terms carry no dJ: right as the gradient of J itself (dJ = 1); a missing upstream
factor only if J were fed into a larger graph.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"
NOTES = ("upstream_not_applied",)


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """z = X W1ᵀ, h = relu(z), o = h W2ᵀ, J = mean((o − Y)²) + lam/2 (‖W1‖² + ‖W2‖²)."""
    z = X @ W1.T
    h = np.maximum(z, 0)
    o = h @ W2.T
    L = np.mean((o - Y) ** 2)
    s = lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return np.asarray(L + s, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """The book's order: do, dW2 = doᵀ h + λW2, dh = do W2, dz = dh ⊙ relu′(z), dW1."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2 * (o - Y) / o.size
    dW2 = do.T @ h + lam * W2
    dh = do @ W2
    dz = dh * (z > 0)
    dW1 = dz.T @ X + lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
