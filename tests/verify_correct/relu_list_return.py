"""The gradient returned as a nested Python list (.tolist()) of dout ⊙ [x > 0].

Some students convert to lists to print or to compare; the values are the right gradient.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """max(x, 0)."""
    return np.maximum(x, 0), x


def backward(dout: NDArray, x: Any) -> list:
    """dout ⊙ [x > 0] as a list of rows."""
    return (dout * (x > 0)).tolist()
