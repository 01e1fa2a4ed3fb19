"""In-place edit of the upstream gradient: dout[x <= 0] = 0; return dout.

Writing into dout is what many students do to save a copy; verify hands the backward its own
copy of dout, so the edit harms nothing. The values are dout ⊙ [x > 0].
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """max(x, 0)."""
    return np.maximum(x, 0), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """Zero dout in place where x <= 0 and return it."""
    dout[x <= 0] = 0
    return dout
