"""Bug: db = mean over the batch; the layer sums (nothing is averaged inside a linear layer)."""

from typing import Any

from numpy.typing import NDArray

OP = "linear"
EXPECT = {"db": "scaled"}
FACTOR = {"db": "1/N"}


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """db averaged instead of summed."""
    x, W = cache
    return dout @ W, dout.T @ x, dout.mean(axis=0)
