"""Bug: dx = −dout W (a stray minus)."""

from typing import Any

from numpy.typing import NDArray

OP = "linear"
EXPECT = {"dx": "sign_flipped"}


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """dx has the wrong sign."""
    x, W = cache
    return -(dout @ W), dout.T @ x, dout.sum(axis=0)
