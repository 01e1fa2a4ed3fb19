"""CS231n's softmax_loss shape: the forward computes loss and dx together, backward returns dx.

softmax_loss(x, y) -> (loss, dx) has no upstream argument, so the backward ignores dloss and
returns (p − onehot(y)) / N: the gradient of the loss itself (upstream 1); it would miss the
factor only if the loss were scaled by something downstream.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "softmax_cross_entropy"
NOTES = ("upstream_not_applied",)


def forward(logits: NDArray, y: NDArray) -> tuple[NDArray, Any]:
    """(loss, dx) computed together; dx is the cache."""
    shifted_logits = logits - np.max(logits, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = logits.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return np.asarray(loss, dtype=logits.dtype), dx


def backward(dloss: Any, dx: Any) -> NDArray:
    """The dx the forward computed."""
    return dx
