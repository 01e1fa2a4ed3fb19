"""Bug: db summed with keepdims=True: shape (1, D_out), values right; broadcasting hides it."""

from typing import Any

from numpy.typing import NDArray

OP = "linear"
EXPECT = {"db": "wrong_shape"}


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """db is (1, D_out), not (D_out,)."""
    x, W = cache
    return dout @ W, dout.T @ x, dout.sum(axis=0, keepdims=True)
