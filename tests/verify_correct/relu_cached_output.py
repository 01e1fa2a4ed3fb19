"""The mask from the cached output: dx = dout * (out > 0).

out = max(x, 0) > 0 exactly where x > 0, so this is dout ⊙ relu′(x) (0 at x == 0, as torch).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """out = max(x, 0); cache out."""
    out = np.maximum(x, 0)
    return out, out


def backward(dout: NDArray, out: Any) -> NDArray:
    """dout where the output is positive."""
    return dout * (out > 0)
