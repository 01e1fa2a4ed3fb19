"""Example for ``backprop-lab verify``: a hand derivation of the affine layer with one mistake.

    backprop-lab verify comparisons/verification/examples/linear_transposed.py

out = x Wᵀ + b. The derivation below writes dW = xᵀ dout, which has shape (D_in, D_out):
the transpose of W's layout (D_out, D_in). verify diagnoses it as ``transposed``.
"""

from typing import Any

from numpy.typing import NDArray

OP = "linear"


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """out = x Wᵀ + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """(dx, dW, db), with dW in the wrong layout."""
    x, W = cache
    dx = dout @ W
    dW = x.T @ dout  # the mistake: should be dout.T @ x
    db = dout.sum(axis=0)
    return dx, dW, db
