"""Every node of the book's graph in the returned dict (dL, ds, dX too), values as lists.

The book's backward produces ∂J/∂L = ∂J/∂s = 1 (times the upstream dJ) and, with dX = dz W1,
the input's gradient as well; the five gradients verify reads are there, right, and given as
nested lists (.tolist()), which some students do to print them.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """J = L + s, returned as computed (a NumPy scalar)."""
    z = X @ W1.T
    h = np.maximum(z, 0)
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return J, (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, Any]:
    """All the nodes' gradients, each converted with .tolist()."""
    X, Y, W1, W2, lam, z, h, o = cache
    dL = dJ
    ds = dJ
    do = dL * 2 * (o - Y) / o.size
    dW2 = do.T @ h + ds * lam * W2
    dh = do @ W2
    dz = dh * (z > 0)
    dW1 = dz.T @ X + ds * lam * W1
    grads = {"dL": dL, "ds": ds, "do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1,
             "dX": dz @ W1}
    return {k: np.asarray(v).tolist() for k, v in grads.items()}
