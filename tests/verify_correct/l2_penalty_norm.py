"""The penalty via np.linalg.norm (Frobenius for a matrix): lam / 2 · ‖W‖², gradient lam W ds.

d/dW ‖W‖² = 2W, so d/dW (lam/2 ‖W‖²) = lam W.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "l2_penalty"


def forward(W: NDArray, lam: float) -> tuple[NDArray, Any]:
    """lam / 2 * norm(W)**2."""
    return lam / 2 * np.linalg.norm(W) ** 2, {"W": W, "lam": lam}


def backward(ds: Any, cache: Any) -> NDArray:
    """lam W ds."""
    return cache["lam"] * cache["W"] * ds
