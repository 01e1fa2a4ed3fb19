"""A list as the cache, the result dict built from two lists with zip.

The cache is a plain list [X, Y, W1, W2, lam, z, h, o] unpacked by position; the gradients are
the book's (upstream dJ on every term).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, list]:
    """J and the list of everything the backward needs."""
    z = X @ W1.T
    h = np.maximum(z, 0)
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * sum(np.sum(W**2) for W in [W1, W2])
    return np.asarray(J, dtype=X.dtype), [X, Y, W1, W2, lam, z, h, o]


def backward(dJ: Any, cache: list) -> dict[str, NDArray]:
    """do, dW2, dh, dz, dW1 zipped into the dict."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2 * (o - Y) / o.size
    dh = do @ W2
    dz = dh * (z > 0)
    grads = [do, do.T @ h + dJ * lam * W2, dh, dz, dz.T @ X + dJ * lam * W1]
    return dict(zip(["do", "dW2", "dh", "dz", "dW1"], grads))
