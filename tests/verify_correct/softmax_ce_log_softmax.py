"""A stable log-softmax (logits − max − log Σ exp), the backward from exp(log_probs).

log p = s − log Σ_c e^(s_c) with s = logits − max: no overflow and no log of 0. The
gradient of −mean log p[n, y[n]] is (p − onehot(y)) / N, p = exp(log p).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "softmax_cross_entropy"


def forward(logits: NDArray, y: NDArray) -> tuple[NDArray, Any]:
    """−mean of the picked log-probabilities."""
    s = logits - logits.max(axis=1, keepdims=True)
    log_probs = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    N = logits.shape[0]
    loss = -log_probs[np.arange(N), y].mean()
    return np.asarray(loss, dtype=logits.dtype), (log_probs, y)


def backward(dloss: Any, cache: Any) -> NDArray:
    """dloss (exp(log_probs) − onehot) / N, the −1 subtracted at the labels."""
    log_probs, y = cache
    N = log_probs.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return dloss * dlogits / N
