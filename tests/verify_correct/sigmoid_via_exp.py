"""The derivative written out with exp: σ′(x) = e^(−x) / (1 + e^(−x))².

Differentiating 1 / (1 + e^(−x)) by the quotient rule; equal to σ(x)(1 − σ(x)). The inputs
(|x| of a few units) keep e^(−x) far from overflow.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "sigmoid"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """1 / (1 + exp(−x)); cache x."""
    return 1.0 / (1.0 + np.exp(-x)), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """dout e^(−x) / (1 + e^(−x))²."""
    e = np.exp(-x)
    return dout * e / (1 + e) ** 2
