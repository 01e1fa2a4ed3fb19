"""Bug: dx = dout ⊙ mask: the 1/(1 − p) of inverted dropout forgotten in backward."""

from typing import Any

from numpy.typing import NDArray

OP = "dropout"
EXPECT = {"dx": "dropout_scale_missing"}


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """out = x ⊙ mask / (1 − p)."""
    return x * mask / (1 - p), (mask, p)


def backward(dout: NDArray, cache: Any) -> NDArray:
    """Unscaled."""
    mask, _ = cache
    return dout * mask
