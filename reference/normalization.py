"""Reference batch norm and layer norm: plain torch ops autograd differentiates (the twins of
``handmade.normalization``), and torch.nn's own ``BatchNorm1d`` and ``LayerNorm``.

``batchnorm`` is written out rather than ``F.batch_norm`` so that ``unbiased=True`` (the n − 1
variance, backprop ninja's convention) is the same graph with another divisor; with
``unbiased=False`` it equals ``F.batch_norm(x, None, None, gamma, beta, training=True)``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor
from torch.nn import BatchNorm1d, LayerNorm

__all__ = ["BatchNorm1d", "LayerNorm", "batchnorm", "layernorm"]


def batchnorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5,
              unbiased: bool = False) -> Tensor:
    """γ (x − μ) / √(σ² + eps) + β with μ, σ² over the batch (axis 0) of x (N, D); σ²
    divides by N, or by N − 1 with ``unbiased=True``."""
    xc = x - x.mean(dim=0, keepdim=True)
    var = (xc * xc).sum(dim=0, keepdim=True) / (x.shape[0] - int(unbiased))
    return gamma * xc / (var + eps).sqrt() + beta


def layernorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5) -> Tensor:
    """torch's ``F.layer_norm`` over the last axis of x (..., D): statistics per example."""
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)
