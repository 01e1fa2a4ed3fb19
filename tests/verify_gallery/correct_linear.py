"""Correct: affine layer out = x Wᵀ + b; dx = dout W, dW = doutᵀ x, db = Σₙ dout."""

from typing import Any

from numpy.typing import NDArray

OP = "linear"
EXPECT: dict[str, str] = {}


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """(dx, dW, db)."""
    x, W = cache
    return dout @ W, dout.T @ x, dout.sum(axis=0)
