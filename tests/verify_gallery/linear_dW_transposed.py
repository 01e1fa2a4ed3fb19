"""Bug: dW = xᵀ dout, the transpose of doutᵀ x (layout (D_in, D_out) instead of W's)."""

from typing import Any

from numpy.typing import NDArray

OP = "linear"
EXPECT = {"dW": "transposed"}


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """dW has the wrong layout."""
    x, W = cache
    return dout @ W, x.T @ dout, dout.sum(axis=0)
