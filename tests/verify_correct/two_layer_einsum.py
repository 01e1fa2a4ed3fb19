"""Every product as np.einsum with explicit indices (n example, d input, h hidden, q output).

z[n,h] = Σ_d X[n,d] W1[h,d]; o[n,q] = Σ_h h[n,h] W2[q,h]. Backward: dW2[q,h] = Σ_n do[n,q]
h[n,h], dh[n,h] = Σ_q do[n,q] W2[q,h], dW1[h,d] = Σ_n dz[n,h] X[n,d], plus dJ λW.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """The two-layer objective with einsum products and squared norms."""
    z = np.einsum("nd,hd->nh", X, W1)
    h = np.maximum(z, 0)
    o = np.einsum("nh,qh->nq", h, W2)
    r = o - Y
    s = lam / 2 * (np.einsum("ij,ij->", W1, W1) + np.einsum("ij,ij->", W2, W2))
    J = np.einsum("ij,ij->", r, r) / r.size + s
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def backward(dJ: Any, cache: Any) -> dict[str, NDArray]:
    """The same contractions, transposed by their indices."""
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2 * (o - Y) / o.size
    dW2 = np.einsum("nq,nh->qh", do, h) + dJ * lam * W2
    dh = np.einsum("nq,qh->nh", do, W2)
    dz = dh * (z > 0)
    dW1 = np.einsum("nh,nd->hd", dz, X) + dJ * lam * W1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
