"""In-place masking: dz = dh.copy(); dz[z <= 0] = 0, and dW += dJ * lam * W in place.

Zeroing the copy where z <= 0 leaves dh where z > 0: dh ⊙ [z > 0]. The += adds the λW term
to the freshly computed product, which is not shared with anything else.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """J = mean((relu(X W1ᵀ) W2ᵀ − Y)²) + lam/2 (‖W1‖² + ‖W2‖²)."""
    z = X @ W1.T
    h = z.copy()
    h[h < 0] = 0
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1 * W1) + np.sum(W2 * W2))
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """dz = dh with the inactive units zeroed in place."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2 * (o - Y) / o.size
    dW2 = do.T @ h
    dW2 += dJ * lam * W2
    dh = do @ W2
    dz = dh.copy()
    dz[z <= 0] = 0
    dW1 = dz.T @ X
    dW1 += dJ * lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
