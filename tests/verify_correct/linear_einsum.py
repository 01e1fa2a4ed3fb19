"""Index notation with np.einsum: out[n,j] = Σᵢ x[n,i] W[j,i] + b[j].

dx[n,i] = Σⱼ dout[n,j] W[j,i]; dW[j,i] = Σₙ dout[n,j] x[n,i]; db[j] = Σₙ dout[n,j].
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "linear"


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """einsum('ni,ji->nj') + b."""
    return np.einsum("ni,ji->nj", x, W) + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """The three contractions."""
    x, W = cache
    dx = np.einsum("nj,ji->ni", dout, W)
    dW = np.einsum("nj,ni->ji", dout, x)
    db = np.einsum("nj->j", dout)
    return dx, dW, db
