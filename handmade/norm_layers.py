"""``BatchNorm1d`` and ``LayerNorm``: the pairs of :mod:`handmade.normalization` as modules,
with torch.nn's names, defaults and parameter layout (``weight`` = γ, ones; ``bias`` = β,
zeros).

``BatchNorm1d`` on x (N, D): in training mode it normalises with the batch statistics (biased
variance) and updates ``running_mean`` / ``running_var`` as torch.nn.BatchNorm1d does,
``r ← (1 − momentum) r + momentum · s``, with the batch's UNBIASED variance (÷ (N − 1)) for
``running_var``; in evaluation mode (``eval()``) it normalises with the running statistics,
``out = γ (x − running_mean) / √(running_var + eps) + β``, whose backward is
``dx = dout γ / √(running_var + eps)`` (the statistics are constants there).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from handmade._checks import check_positive_int, check_shape
from handmade.module import Module, Parameter
from handmade.normalization import (
    BatchNormCache,
    LayerNormCache,
    batchnorm_backward,
    batchnorm_forward,
    check_affine,
    layernorm_backward,
    layernorm_forward,
)
from handmade.types import FloatArray

__all__ = ["BatchNorm1d", "LayerNorm", "RunningStatsCache"]


class RunningStatsCache(NamedTuple):
    """Evaluation-mode batch norm's cache: x̂ (N, D), γ (D,), σ = √(running_var + eps) (D,)."""

    xhat: FloatArray
    gamma: FloatArray
    std: FloatArray


def _check_momentum(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"momentum: expected a number in [0, 1], got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"momentum: expected a number in [0, 1], got {value!r}")
    return float(value)


class BatchNorm1d(Module):
    """Batch norm over the batch axis of x (N, D), ``num_features`` = D (torch's defaults:
    eps 1e-5, momentum 0.1; running_mean zeros, running_var ones)."""

    BUFFERS = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, *,
                 dtype: DTypeLike = np.float64) -> None:
        super().__init__()
        d = check_positive_int("num_features", num_features)
        self.weight = Parameter(np.ones(d, dtype=dtype))
        self.bias = Parameter(np.zeros(d, dtype=dtype))
        check_affine(self.weight.data[None], self.weight.data, self.bias.data, eps, 2)
        self.eps = float(eps)
        self.momentum = _check_momentum(momentum)
        self.running_mean: FloatArray = np.zeros(d, dtype=dtype)
        self.running_var: FloatArray = np.ones(d, dtype=dtype)
        self.num_batches_tracked = 0
        self.cache: BatchNormCache | RunningStatsCache | None = None

    @property
    def num_features(self) -> int:
        """D."""
        return self.weight.shape[0]

    def forward(self, x: FloatArray) -> FloatArray:
        """x (N, D) -> out (N, D): batch statistics (and a running-stats update) in training
        mode, the running statistics in evaluation mode."""
        gamma, beta = self.weight.data, self.bias.data
        if self.training:
            out, self.cache = batchnorm_forward(x, gamma, beta, eps=self.eps)
            m = x.dtype.type(self.momentum)
            self.running_mean = (1 - m) * self.running_mean + m * x.mean(axis=0)
            self.running_var = (1 - m) * self.running_var + m * x.var(axis=0, ddof=1)
            self.num_batches_tracked += 1
            return out
        check_affine(x, gamma, beta, self.eps, 2)
        std: FloatArray = np.sqrt(self.running_var + x.dtype.type(self.eps))
        xhat = (x - self.running_mean) / std
        self.cache = RunningStatsCache(xhat, gamma, std)
        return gamma * xhat + beta

    def backward(self, dout: FloatArray) -> FloatArray:
        """Write ``weight.grad`` (Σₙ dout x̂) and ``bias.grad`` (Σₙ dout); return dx (N, D)."""
        if self.cache is None:
            raise RuntimeError("BatchNorm1d.backward: call forward first")
        if isinstance(self.cache, BatchNormCache):
            dx, dgamma, dbeta = batchnorm_backward(dout, self.cache)
        else:
            xhat, gamma, std = self.cache
            check_shape("dout", dout, xhat.shape, note="to match the forward output")
            dx, dgamma, dbeta = dout * gamma / std, (dout * xhat).sum(axis=0), dout.sum(axis=0)
        self.weight.grad, self.bias.grad = dgamma, dbeta
        return dx

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps}, momentum={self.momentum})"


class LayerNorm(Module):
    """Layer norm over the last axis of x (..., D), ``normalized_shape`` = D or (D,)."""

    def __init__(self, normalized_shape: int | tuple[int], eps: float = 1e-5, *,
                 dtype: DTypeLike = np.float64) -> None:
        super().__init__()
        shape = normalized_shape
        if isinstance(shape, tuple | list) and len(shape) == 1:
            shape = shape[0]
        d = check_positive_int("normalized_shape", shape)
        self.weight = Parameter(np.ones(d, dtype=dtype))
        self.bias = Parameter(np.zeros(d, dtype=dtype))
        check_affine(self.weight.data, self.weight.data, self.bias.data, eps, 1)
        self.eps = float(eps)
        self.cache: LayerNormCache | None = None

    @property
    def normalized_shape(self) -> tuple[int]:
        """(D,), as torch."""
        return (self.weight.shape[0],)

    def forward(self, x: FloatArray) -> FloatArray:
        """x (..., D) -> out (..., D)."""
        out, self.cache = layernorm_forward(x, self.weight.data, self.bias.data, eps=self.eps)
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """Write ``weight.grad`` and ``bias.grad``; return dx (x's shape)."""
        if self.cache is None:
            raise RuntimeError("LayerNorm.backward: call forward first")
        dx, self.weight.grad, self.bias.grad = layernorm_backward(dout, self.cache)
        return dx

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"
