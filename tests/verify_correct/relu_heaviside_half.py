"""dx = dout * np.heaviside(x, 0.5): NumPy's documented H(0) = 0.5 at the kink.

Away from 0 this is dout ⊙ relu′(x); at x == 0 it uses slope ½, inside the subdifferential
[0, 1] of max(x, 0) there, so a valid subgradient (torch uses 0). The "exact zeros" case hits
x == 0.
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
    """dout H(x) with H(0) = ½."""
    return dout * np.heaviside(x, 0.5)
