"""The ReLU mask taken from the cached output h > 0, stored in the cache as a boolean array.

h = max(z, 0) > 0 exactly where z > 0, so dz = dh ⊙ [h > 0] = dh ⊙ relu′(z).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """J = L + s; the cache holds the activation mask instead of z."""
    h = np.maximum(X @ W1.T, 0)
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return np.asarray(J, dtype=X.dtype), {"X": X, "Y": Y, "W1": W1, "W2": W2, "lam": lam,
                                          "h": h, "o": o, "active": h > 0}


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """dz = dh * active."""
    c = cache
    do = dJ * 2 * (c["o"] - c["Y"]) / c["o"].size
    dh = do @ c["W2"]
    dz = dh * c["active"]
    return {"do": do, "dW2": do.T @ c["h"] + dJ * c["lam"] * c["W2"], "dh": dh, "dz": dz,
            "dW1": dz.T @ c["X"] + dJ * c["lam"] * c["W1"]}
