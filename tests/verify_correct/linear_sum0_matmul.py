"""dx = dout @ W, dW = dout.T @ x, db = dout.sum(0): the matrix form with a positional axis.

out[n, j] = Σᵢ x[n, i] W[j, i] + b[j], so ∂/∂W[j, i] = Σₙ dout[n, j] x[n, i] and
∂/∂b[j] = Σₙ dout[n, j].
"""

from typing import Any

from numpy.typing import NDArray

OP = "linear"


def forward(x: NDArray, W: NDArray, b: NDArray) -> tuple[NDArray, Any]:
    """x @ W.T + b."""
    return x @ W.T + b, (x, W)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray, NDArray]:
    """(dout @ W, dout.T @ x, dout.sum(0))."""
    x, W = cache
    return dout @ W, dout.T @ x, dout.sum(0)
