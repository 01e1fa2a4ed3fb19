"""CS231n-style .dot and .T.dot, in this op's (out, in) weight layout.

With W2 of shape (q, h), dW2 = do.T.dot(h) (q × h), dh = do.dot(W2), dW1 = dz.T.dot(X):
the same products as doᵀ h, do W2, dzᵀ X.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """z = X.dot(W1.T), h = relu(z), o = h.dot(W2.T), J = L + s."""
    z = X.dot(W1.T)
    h = np.maximum(z, 0)
    o = h.dot(W2.T)
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """.dot throughout; upstream dJ on every term."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2 * (o - Y) / o.size
    dW2 = do.T.dot(h) + dJ * lam * W2
    dh = do.dot(W2)
    dz = dh * (z > 0)
    dW1 = dz.T.dot(X) + dJ * lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
