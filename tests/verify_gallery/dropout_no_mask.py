"""Bug: dx = dout / (1 − p): the mask is not applied in backward (dropped units get gradient)."""

from typing import Any

from numpy.typing import NDArray

OP = "dropout"
EXPECT = {"dx": "dropout_scale_missing"}


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """out = x ⊙ mask / (1 − p)."""
    return x * mask / (1 - p), (mask, p)


def backward(dout: NDArray, cache: Any) -> NDArray:
    """Mask forgotten."""
    _, p = cache
    return dout / (1 - p)
