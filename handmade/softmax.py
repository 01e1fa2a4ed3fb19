"""Softmax over the last axis by hand (torch.softmax(x, dim=-1), torch.nn.Softmax(dim=-1)).

Forward: ``s = exp(x - max(x)) / Σ_k exp(x_k - max(x))`` along the last axis; subtracting the
row max changes nothing mathematically and keeps every exp <= 1 (x = ±1e3 neither overflows
nor divides 0 by 0). x: any shape (..., C), float32 or float64; out: x's shape and dtype.

Derivative: ``∂s_i/∂x_j = s_i (δ_ij − s_j)`` (the Jacobian diag(s) − s sᵀ of each row), so
the vector-Jacobian product is ``dx = s ⊙ (dout − Σ_j dout_j s_j)`` (the sum over the last
axis, kept as a column): the diagonal alone, ``dout ⊙ s (1 − s)``, misses the cross terms
−s_i s_j of every j ≠ i.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from handmade._checks import check_cache, check_float_array, check_grad
from handmade.module import Module
from handmade.types import FloatArray

__all__ = ["Softmax", "SoftmaxCache", "softmax_backward", "softmax_forward"]


class SoftmaxCache(NamedTuple):
    """The output s (the backward is written in terms of it)."""

    out: FloatArray


def softmax_forward(x: FloatArray) -> tuple[FloatArray, SoftmaxCache]:
    """Stable softmax over the last axis; out has x's shape and dtype."""
    check_float_array("x", x)
    if x.ndim == 0:
        raise ValueError("x: expected at least 1 dimension (softmax over the last axis), got 0-d")
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out = e / e.sum(axis=-1, keepdims=True)
    return out, SoftmaxCache(out)


def softmax_backward(dout: FloatArray, cache: SoftmaxCache) -> FloatArray:
    """``dx = s ⊙ (dout − Σ_last(dout ⊙ s))``, x's shape."""
    s = check_cache("cache", cache, SoftmaxCache, "softmax_forward").out
    check_grad("dout", dout, s.shape, s.dtype)
    dx: FloatArray = s * (dout - (dout * s).sum(axis=-1, keepdims=True))
    return dx


class Softmax(Module):
    """Softmax over ``dim``; only the last axis is supported (``dim=-1``, torch's usual
    choice): any other dim is a ValueError naming it."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        if isinstance(dim, bool) or dim != -1:
            raise ValueError(f"dim: expected -1 (only the last axis is supported), got {dim!r}")
        self.dim = -1
        self.cache: SoftmaxCache | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """softmax(x) over the last axis, x's shape."""
        out, self.cache = softmax_forward(x)
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """dx for the x of the last forward."""
        if self.cache is None:
            raise RuntimeError("Softmax.backward: call forward first")
        return softmax_backward(dout, self.cache)

    def __repr__(self) -> str:
        return "Softmax(dim=-1)"
