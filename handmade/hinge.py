"""The multiclass hinge (SVM) loss by hand, as CS231n's assignment 1 defines it.

``L = 1/N Σ_n Σ_{j ≠ y_n} max(0, s_nj − s_n,y_n + margin)``; scores s (N, C) float32/float64,
y int (N,) in [0, C), margin a real >= 0 (default 1.0). The loss is a 0-d array of s's dtype.
torch's ``nn.MultiMarginLoss`` (p=1) divides each row's sum by C as well: ours is C times it.

Derivative (dloss the upstream scalar, 1 for the loss itself): with the active margins
``a_nj = [s_nj − s_n,y_n + margin > 0]`` for j ≠ y_n (a_n,y_n = 0) and the margin count
``k_n = Σ_j a_nj`` of each row,

    dscores[n, j]   = dloss · a_nj / N        (j ≠ y_n)
    dscores[n, y_n] = −dloss · k_n / N

At a margin exactly 0 the term max(0, ·) has a kink: every slope t in [0, 1] is a valid
subgradient (term j then adds t to dscores[n, j] and −t to dscores[n, y_n]); we take t = 0
(``> 0``, CS231n's choice); torch's clamp(min=0) takes t = 1.
"""

from __future__ import annotations

from typing import NamedTuple, cast

import numpy as np

from handmade._checks import check_cache, check_float_array, check_labels, check_scalar_grad
from handmade.module import Module
from handmade.types import FloatArray, IntArray, RealScalar

__all__ = ["MultiClassHingeLoss", "HingeCache", "multiclass_hinge_backward",
           "multiclass_hinge_forward"]


class HingeCache(NamedTuple):
    """The active margins a (N, C) as 0/1 in the scores' dtype, and the labels y (N,)."""

    active: FloatArray
    y: IntArray


def check_margin(margin: object) -> float:
    """margin: a finite real >= 0 (not a bool)."""
    if isinstance(margin, bool) or not isinstance(margin, int | float | np.integer | np.floating):
        raise ValueError(f"margin: expected a real number >= 0, got {margin!r}")
    if not np.isfinite(margin) or margin < 0:
        raise ValueError(f"margin: expected a finite number >= 0, got {margin!r}")
    return float(margin)


def multiclass_hinge_forward(scores: FloatArray, y: IntArray, *, margin: float = 1.0
                             ) -> tuple[FloatArray, HingeCache]:
    """The mean over N of Σ_{j ≠ y} max(0, s_j − s_y + margin); see the module docstring."""
    check_float_array("scores", scores, ndim=2)
    n, c = scores.shape
    check_labels("y", y, n, c)
    m = scores.dtype.type(check_margin(margin))
    rows = np.arange(n)
    margins = scores - scores[rows, y][:, None] + m
    margins[rows, y] = 0
    hinge = np.maximum(margins, 0)
    loss = np.asarray(hinge.sum() / n, dtype=scores.dtype)
    return loss, HingeCache((margins > 0).astype(scores.dtype), y)


def multiclass_hinge_backward(dloss: RealScalar, cache: HingeCache) -> FloatArray:
    """``dscores = dloss · (a − onehot(y) · k) / N``, (N, C): see the module docstring."""
    active, y = check_cache("cache", cache, HingeCache, "multiclass_hinge_forward")
    d = check_scalar_grad("dloss", dloss, active.dtype)
    n = active.shape[0]
    dscores = active.copy()
    dscores[np.arange(n), y] = -active.sum(axis=1)
    return cast(FloatArray, dscores * (d / n))


class MultiClassHingeLoss(Module):
    """``forward(scores, y) -> loss`` (the CS231n SVM loss, mean over N, no 1/C: torch's
    MultiMarginLoss is this divided by C); ``backward(dloss=1.0) -> dscores``."""

    def __init__(self, margin: float = 1.0) -> None:
        super().__init__()
        self.margin = check_margin(margin)
        self.cache: HingeCache | None = None

    def forward(self, scores: FloatArray, y: IntArray) -> FloatArray:
        """The scalar loss as a 0-d array of the scores' dtype."""
        loss, self.cache = multiclass_hinge_forward(scores, y, margin=self.margin)
        return loss

    def backward(self, dloss: RealScalar = 1.0) -> FloatArray:
        """Gradient of ``dloss * loss`` with respect to the scores of the last forward."""
        if self.cache is None:
            raise RuntimeError("MultiClassHingeLoss.backward: call forward first")
        return multiclass_hinge_backward(dloss, self.cache)

    def __repr__(self) -> str:
        return f"MultiClassHingeLoss(margin={self.margin})"
