"""In-place on the cached output: out **= 2; out *= −1; out += 1, then dout * out.

The cache is the forward's out = tanh(x); the backward turns it in place into 1 − tanh²(x),
the derivative, saving an allocation. Correct as a backward: in a training loop out has been
used before the backward runs.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "tanh"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """out = tanh(x); cache the same array."""
    out = np.tanh(x)
    return out, out


def backward(dout: NDArray, cache: Any) -> NDArray:
    """Reuse the cache's memory for 1 − out²."""
    cache **= 2
    cache *= -1
    cache += 1
    return dout * cache
