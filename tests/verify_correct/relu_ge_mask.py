"""dx = dout * (x >= 0): the mask with >=.

Equal to dout ⊙ relu′(x) wherever x ≠ 0; at x == 0 it uses slope 1, a valid subgradient
(any value in [0, 1]·dout is); torch uses 0. The "exact zeros" case hits x == 0.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"
NOTES = ("subgradient_at_kink",)


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """max(x, 0)."""
    return np.maximum(x, 0), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """dout ⊙ [x >= 0]."""
    return dout * (x >= 0)
