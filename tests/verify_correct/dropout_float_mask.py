"""The mask converted to a 0/1 float array of x's dtype in the forward and cached that way."""

from typing import Any

from numpy.typing import NDArray

OP = "dropout"


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """m = mask.astype(x.dtype); out = x * m / (1 − p)."""
    m = mask.astype(x.dtype)
    return x * m / (1 - p), [m, 1 - p]


def backward(dout: NDArray, cache: list) -> NDArray:
    """dout * m / keep."""
    m, keep = cache
    return dout * m / keep
