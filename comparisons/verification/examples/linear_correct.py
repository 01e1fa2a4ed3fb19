"""Example for ``backprop-lab verify``: a correct hand derivation of the affine layer.

    backprop-lab verify comparisons/verification/examples/linear_correct.py

out = x Wᵀ + b with x (N, D_in), W (D_out, D_in), b (D_out,). Backward, by the chain rule:
dx = dout W (N, D_in), dW = doutᵀ x (D_out, D_in), db = Σₙ dout[n] (D_out,).
"""

from typing import Any

from numpy.typing import NDArray

OP = "linear"  # which built-in op this derivation is for (or pass --against linear)


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b; the cache keeps what backward needs."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """(dx, dW, db): each gradient has the shape of its tensor."""
    x, W = cache
    dx = dout @ W
    dW = dout.T @ x
    db = dout.sum(axis=0)
    return dx, dW, db
