"""The book's backward node by node: dL = dJ · ∂J/∂L (= dJ), ds = dJ · ∂J/∂s (= dJ), then down.

D2L's steps 1-7 with the upstream dJ carried through both branches: do = dL · 2 (o − Y) /
numel(o); dW2 = doᵀ h + ds · λW2; dh = do W2; dz = dh ⊙ relu′(z); dW1 = dzᵀ X + ds · λW1.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """The book's forward: z, h, o, L, s, J."""
    z = X @ W1.T
    h = np.maximum(z, 0)
    o = h @ W2.T
    L = np.mean((o - Y) ** 2)
    s = (lam / 2) * (np.linalg.norm(W1) ** 2 + np.linalg.norm(W2) ** 2)
    J = L + s
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """dJ/dL = dJ/ds = 1 times the upstream dJ."""
    X, Y, W1, W2, lam, z, h, o = cache
    dL = dJ * 1.0
    ds = dJ * 1.0
    do = dL * 2 * (o - Y) / o.size
    dW2 = do.T @ h + ds * lam * W2
    dh = do @ W2
    dz = dh * (z > 0)
    dW1 = dz.T @ X + ds * lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
