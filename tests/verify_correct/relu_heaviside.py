"""dx = dout * np.heaviside(x, 0): the step function with value 0 at x == 0 (torch's choice)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "relu"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """max(x, 0) written as x * H(x)."""
    return x * np.heaviside(x, 0), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """relu′ = H(x), H(0) = 0."""
    return dout * np.heaviside(x, 0)
