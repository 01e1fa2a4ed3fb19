"""CS231n's intermediate names (scores, hidden, dscores, dhidden, reg) and += reg * W.

Written as CS231n's two-layer net's loss: the data loss's gradient dscores = 2 (scores − Y) /
numel, then dW2 = dscoresᵀ hidden, dhidden = dscores W2, the ReLU mask zeroed in place, and
the regularisation gradient reg · W added with +=. As in CS231n there is no upstream argument
in use: right as the gradient of the objective J (upstream 1).
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "two_layer"
NOTES = ("upstream_not_applied",)


def forward(X: NDArray, Y: NDArray, W1: NDArray, W2: NDArray, lam: float
            ) -> tuple[NDArray, Any]:
    """data_loss + reg_loss with reg_loss = 0.5 reg (Σ W1² + Σ W2²)."""
    reg = lam
    hidden_pre = X.dot(W1.T)
    hidden = np.maximum(0, hidden_pre)
    scores = hidden.dot(W2.T)
    data_loss = np.sum((scores - Y) ** 2) / scores.size
    reg_loss = 0.5 * reg * np.sum(W1 * W1) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    return np.asarray(loss, dtype=X.dtype), (X, Y, W1, W2, reg, hidden_pre, hidden, scores)


def backward(dloss: Any, cache: Any) -> dict[str, NDArray]:
    """dscores, dW2 (+= reg W2), dhidden, dhidden_pre (masked in place), dW1 (+= reg W1)."""
    X, Y, W1, W2, reg, hidden_pre, hidden, scores = cache
    dscores = 2 * (scores - Y) / scores.size
    dW2 = dscores.T.dot(hidden)
    dW2 += reg * W2
    dhidden = dscores.dot(W2)
    dhidden_pre = dhidden.copy()
    dhidden_pre[hidden_pre <= 0] = 0
    dW1 = dhidden_pre.T.dot(X)
    dW1 += reg * W1
    return {"do": dscores, "dW2": dW2, "dh": dhidden, "dz": dhidden_pre, "dW1": dW1}
