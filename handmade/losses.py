"""Losses by hand. Each returns a 0-d array of the input dtype; each backward takes ``dloss``
(a Python float or 0-d array, the upstream gradient of the scalar) and returns the gradient
with respect to the first argument, in its shape and dtype.

- softmax cross-entropy, mean over N (torch ``F.cross_entropy``)
- MSE, mean over all elements, no 1/2 (torch ``F.mse_loss``)
- log-RMSE, the Kaggle house-price metric, predictions clamped below at 1
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from handmade._checks import (
    check_cache,
    check_float_array,
    check_labels,
    check_same_dtype,
    check_scalar_grad,
    check_shape,
)
from handmade.module import Module
from handmade.types import BoolArray, FloatArray, IntArray, RealScalar


class CrossEntropyCache(NamedTuple):
    """Softmax probabilities (N, C) and labels (N,)."""

    probs: FloatArray
    y: IntArray


class MSECache(NamedTuple):
    """The residual pred - target."""

    diff: FloatArray


class LogRMSECache(NamedTuple):
    """Clamped prediction, log residual, its RMS (the loss) and the unclamped mask."""

    clamped: FloatArray
    diff: FloatArray
    loss: FloatArray
    kept: BoolArray


def softmax_cross_entropy_forward(
    logits: FloatArray, y: IntArray
) -> tuple[FloatArray, CrossEntropyCache]:
    """``L = -1/N sum_n log softmax(logits)[n, y_n]``; logits (N, C), y int (N,) in [0, C).

    Stable: log softmax = shifted - log sum exp(shifted) with shifted = logits - row max, so
    logits near +-1e3 neither overflow nor produce log(0).
    """
    check_float_array("logits", logits, ndim=2)
    n, c = logits.shape
    check_labels("y", y, n, c)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    return np.asarray(loss, dtype=logits.dtype), CrossEntropyCache(np.exp(log_probs), y)


def softmax_cross_entropy_backward(dloss: RealScalar, cache: CrossEntropyCache) -> FloatArray:
    """``dlogits = dloss * (softmax(logits) - onehot(y)) / N``, shape (N, C)."""
    probs, y = check_cache("cache", cache, CrossEntropyCache, "softmax_cross_entropy_forward")
    d = check_scalar_grad("dloss", dloss, probs.dtype)
    n = probs.shape[0]
    dlogits = probs.copy()
    dlogits[np.arange(n), y] -= 1
    return cast(FloatArray, dlogits * (d / n))


def _check_pair(pred: FloatArray, target: FloatArray) -> None:
    """pred and target: float arrays of one shape and one dtype."""
    check_float_array("pred", pred)
    check_float_array("target", target)
    check_shape("target", target, pred.shape, note="to match pred")
    check_same_dtype(("pred", pred), ("target", target))


def mse_forward(pred: FloatArray, target: FloatArray) -> tuple[FloatArray, MSECache]:
    """``L = mean((pred - target)^2)`` over all M elements (no 1/2); any equal shapes."""
    _check_pair(pred, target)
    diff = pred - target
    sq = diff * diff
    # sum / M is what np.mean computes (same pairwise sum, one division), bit for bit, without
    # np.mean's Python-level overhead, which dominates on a small batch
    return np.asarray(sq.sum() / sq.size, dtype=pred.dtype), MSECache(diff)


def mse_backward(dloss: RealScalar, cache: MSECache) -> FloatArray:
    """``dpred = dloss * 2 (pred - target) / M``, pred's shape."""
    diff = check_cache("cache", cache, MSECache, "mse_forward").diff
    d = check_scalar_grad("dloss", dloss, diff.dtype)
    return cast(FloatArray, diff * (2 * d / diff.size))


def log_rmse_forward(pred: FloatArray, target: FloatArray) -> tuple[FloatArray, LogRMSECache]:
    """``L = sqrt(mean((log max(pred, 1) - log target)^2))`` over all M elements.

    ``target`` must be > 0. Predictions below 1 are clamped to 1 (as the D2L book does),
    so their gradient is 0.
    """
    _check_pair(pred, target)
    if np.any(target <= 0):
        raise ValueError(f"target: expected all values > 0, got min {target.min()}")
    clamped = np.maximum(pred, 1)
    diff = np.log(clamped) - np.log(target)
    loss = np.asarray(np.sqrt(np.mean(diff * diff)), dtype=pred.dtype)
    return loss, LogRMSECache(clamped, diff, loss, pred >= 1)


def log_rmse_backward(dloss: RealScalar, cache: LogRMSECache) -> FloatArray:
    """``dpred = dloss * diff / (M L) / pred`` where pred >= 1, else 0.

    Chain rule: dL/dmean = 1/(2L), dmean/ddiff = 2 diff/M, ddiff/dpred = 1/pred. At exactly
    pred == 1 the gradient passes, matching ``torch.clamp(min=1)``, which passes gradient for
    inputs >= min. Guard: when L == 0 (every diff is 0) the sqrt has no derivative (torch gives
    NaN); we return the subgradient 0, the minimiser's natural choice.
    """
    clamped, diff, loss, kept = check_cache("cache", cache, LogRMSECache, "log_rmse_forward")
    d = check_scalar_grad("dloss", dloss, diff.dtype)
    if loss == 0:
        return np.zeros_like(diff)
    return cast(FloatArray, (diff * (d / (diff.size * loss))) / clamped * kept)


C = TypeVar("C", MSECache, CrossEntropyCache, LogRMSECache)


class _PairLoss(Module, Generic[C]):
    """A loss module: ``forward(pred, target) -> loss``; ``backward(dloss=1.0) -> dpred``.

    ``target`` is a float array (MSE, log-RMSE) or int labels (cross-entropy).
    """

    _forward: Callable[[FloatArray, NDArray[Any]], tuple[FloatArray, C]]
    _backward: Callable[[RealScalar, C], FloatArray]

    def __init__(self) -> None:
        super().__init__()
        self.cache: C | None = None

    def forward(self, pred: FloatArray, target: NDArray[Any]) -> FloatArray:
        """The scalar loss as a 0-d array of pred's dtype."""
        loss, self.cache = type(self)._forward(pred, target)
        return loss

    def backward(self, dloss: RealScalar = 1.0) -> FloatArray:
        """Gradient of ``dloss * loss`` with respect to pred (the last forward's)."""
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward: call forward first")
        return type(self)._backward(dloss, self.cache)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(_PairLoss[MSECache]):
    """Mean squared error, mean reduction, no 1/2 (torch.nn.MSELoss)."""

    _forward = staticmethod(mse_forward)
    _backward = staticmethod(mse_backward)


class CrossEntropyLoss(_PairLoss[CrossEntropyCache]):
    """Softmax cross-entropy from logits (N, C) and int labels (N,), mean over N."""

    _forward = staticmethod(softmax_cross_entropy_forward)
    _backward = staticmethod(softmax_cross_entropy_backward)


class LogRMSELoss(_PairLoss[LogRMSECache]):
    """Log root-mean-squared error with predictions clamped at 1."""

    _forward = staticmethod(log_rmse_forward)
    _backward = staticmethod(log_rmse_backward)
