"""CS231n's in-place trick on the cached probabilities: probs[range(N), y] -= 1; probs /= N.

The cache's probs are the forward's own array; subtracting 1 at the labels and dividing by N
in place gives (p − onehot(y)) / N, scaled by the upstream dloss.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "softmax_cross_entropy"


def forward(logits: NDArray, y: NDArray) -> tuple[NDArray, Any]:
    """Max-subtracted softmax, loss = −mean log p[n, y[n]]."""
    N = logits.shape[0]
    exp_scores = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    correct_logprobs = -np.log(probs[range(N), y])
    loss = np.sum(correct_logprobs) / N
    return np.asarray(loss, dtype=logits.dtype), (probs, y)


def backward(dloss: Any, cache: Any) -> NDArray:
    """Edit probs in place into the gradient."""
    probs, y = cache
    N = probs.shape[0]
    probs[range(N), y] -= 1
    probs /= N
    return probs * dloss
