"""Right, but numerically fragile: σ′ computed as (1000 + σ(1 − σ)) − 1000.

Exact in real arithmetic and within float64's tolerance, but the cancellation loses about
ulp(1000) ≈ 6e-5 in float32: a float32 mismatch that the float64 rerun labels an artefact.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "sigmoid"
EXPECT: dict[str, str] = {}
FLOAT32 = "artefact"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """σ(x)."""
    s = 1 / (1 + np.exp(-x))
    return s, s


def backward(dout: NDArray, s: Any) -> NDArray:
    """σ′ through a catastrophic cancellation."""
    offset = np.asarray(1000, dtype=s.dtype)
    return dout * ((offset + s * (1 - s)) - offset)
