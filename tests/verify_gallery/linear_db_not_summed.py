"""Bug: db = dout, the per-example gradients (N, D_out), never summed over the batch."""

from typing import Any

from numpy.typing import NDArray

OP = "linear"
EXPECT = {"db": "not_summed_over_batch"}


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """db keeps the batch axis."""
    x, W = cache
    return dout @ W, dout.T @ x, dout
