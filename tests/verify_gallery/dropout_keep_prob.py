"""Bug: dx = dout ⊙ mask / p: p read as the keep probability (CS231n's); here p drops."""

from typing import Any

from numpy.typing import NDArray

OP = "dropout"
EXPECT = {"dx": "scaled"}
FACTOR = {"dx": "(1 - p)/p"}


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """out = x ⊙ mask / (1 − p)."""
    return x * mask / (1 - p), (mask, p)


def backward(dout: NDArray, cache: Any) -> NDArray:
    """Scaled by 1/p instead of 1/(1 − p)."""
    mask, p = cache
    return dout * mask / p
