"""A float32 run: the scale 1 / (1 − p) cast to x's dtype, output and gradient float32."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "dropout"
DTYPE = "float32"


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """x ⊙ mask · scale in float32."""
    scale = x.dtype.type(1 / (1 - p))
    return x * mask * scale, (mask, scale)


def backward(dout: NDArray, cache: Any) -> NDArray:
    """dout ⊙ mask · scale as float32."""
    mask, scale = cache
    return (dout * mask * scale).astype(np.float32)
