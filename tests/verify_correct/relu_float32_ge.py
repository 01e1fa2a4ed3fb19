"""A float32 run, mask x >= 0, written to keep the input's dtype (np.where with a typed zero).

Right away from x == 0; at x == 0 slope 1 is a valid subgradient (torch uses 0); the
"exact zeros" case hits it in float32 too.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"
DTYPE = "float32"
NOTES = ("subgradient_at_kink",)


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """max(x, 0) in x's dtype."""
    return np.maximum(x, x.dtype.type(0)), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """np.where(x >= 0, dout, 0) as float32."""
    return np.where(x >= 0, dout, np.float32(0)).astype(np.float32)
