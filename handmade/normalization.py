"""Batch norm and layer norm by hand: the pairs (training-mode batch statistics for batch norm).

Both normalise, then scale and shift: with μ and σ² the mean and variance of x over the
statistics axis (batch norm: axis 0, over the N examples; layer norm: the last axis, over the
D features of each example),

    x̂ = (x − μ) / σ,   σ = √(σ² + eps),   out = γ ⊙ x̂ + β          (γ, β: (D,))

σ² = Σ (x − μ)² / n with n the count along the axis (torch's normalisation in training mode and
in layer norm); batch norm's ``unbiased=True`` divides by n − 1 instead (backprop ninja's
Bessel-corrected batch norm). With m the divisor (n, or n − 1) and dx̂ = dout ⊙ γ, the
backward in one expression is

    dx = (dx̂ − mean(dx̂) − x̂ ⊙ Σ(dx̂ ⊙ x̂) / m) / σ                (sums and mean along the axis)

(the three terms: the direct path, the path through μ, the path through σ²), and
dγ = Σ dout ⊙ x̂, dβ = Σ dout, summed over every axis but the last (the batch). Arrays keep
their dtype (float32 or float64; never upcast). The layers are in :mod:`handmade.norm_layers`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from handmade._checks import (
    check_cache,
    check_float_array,
    check_grad,
    check_nonnegative,
    check_same_dtype,
    check_shape,
)
from handmade.types import FloatArray

__all__ = [
    "BatchNormCache", "LayerNormCache", "batchnorm_backward", "batchnorm_forward",
    "layernorm_backward", "layernorm_forward",
]  # fmt: skip


class BatchNormCache(NamedTuple):
    """What ``batchnorm_backward`` needs: x̂ (N, D), γ (D,), σ (D,) and the variance's
    divisor m (N, or N − 1 with ``unbiased=True``)."""

    xhat: FloatArray
    gamma: FloatArray
    std: FloatArray
    divisor: int


class LayerNormCache(NamedTuple):
    """What ``layernorm_backward`` needs: x̂ (..., D), γ (D,), σ (..., 1)."""

    xhat: FloatArray
    gamma: FloatArray
    std: FloatArray


def check_affine(x: FloatArray, gamma: FloatArray, beta: FloatArray, eps: float,
                 ndim: int | None) -> float:
    """x a float array (``ndim`` dims), γ and β (D,) of x's dtype, eps >= 0; returns eps."""
    check_float_array("x", x, ndim=ndim)
    d = x.shape[-1]
    for name, a in (("gamma", gamma), ("beta", beta)):
        check_float_array(name, a, ndim=1)
        check_same_dtype(("x", x), (name, a))
        check_shape(name, a, (d,), symbols="(D,)", note=f"with D={d} to match x")
    return check_nonnegative("eps", eps)


def normalize(x: FloatArray, axis: int, ddof: int, eps: float) -> tuple[FloatArray, FloatArray]:
    """(x̂, σ) along ``axis``: σ² = Σ (x − μ)² / (n − ddof), σ = √(σ² + eps) (keepdims)."""
    xc = x - x.mean(axis=axis, keepdims=True)
    var = (xc * xc).sum(axis=axis, keepdims=True) / (x.shape[axis] - ddof)
    std: FloatArray = np.sqrt(var + x.dtype.type(eps))
    return xc / std, std


def normalize_backward(dxhat: FloatArray, xhat: FloatArray, std: FloatArray, axis: int,
                       divisor: int) -> FloatArray:
    """dx = (dx̂ − mean(dx̂) − x̂ Σ(dx̂ x̂) / m) / σ along ``axis`` (m: the variance's divisor)."""
    mean = dxhat.mean(axis=axis, keepdims=True)
    proj = (dxhat * xhat).sum(axis=axis, keepdims=True) / divisor
    dx: FloatArray = (dxhat - mean - xhat * proj) / std
    return dx


def batchnorm_forward(x: FloatArray, gamma: FloatArray, beta: FloatArray, *, eps: float = 1e-5,
                      unbiased: bool = False) -> tuple[FloatArray, BatchNormCache]:
    """Batch norm in training mode: ``out = γ (x − μ) / √(σ² + eps) + β``, statistics over
    the batch (axis 0).

    x (N, D) with N >= 2 (torch's training mode refuses N = 1 too), γ and β (D,), out (N, D).
    σ² divides by N (torch's ``F.batch_norm(training=True)``) or, with ``unbiased=True``, by
    N − 1 (backprop ninja). Backward: see the module docstring (m = N or N − 1).
    """
    eps = check_affine(x, gamma, beta, eps, 2)
    if not isinstance(unbiased, bool | np.bool_):
        raise ValueError(f"unbiased: expected True or False, got {unbiased!r}")
    if x.shape[0] < 2:
        raise ValueError(f"x: expected N >= 2 rows (batch statistics need two examples), got "
                         f"shape {x.shape}")
    ddof = int(bool(unbiased))
    xhat, std = normalize(x, 0, ddof, eps)
    return gamma * xhat + beta, BatchNormCache(xhat, gamma, std[0], x.shape[0] - ddof)


def batchnorm_backward(dout: FloatArray, cache: BatchNormCache
                       ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(dx, dγ, dβ)`` of batch norm, given dout (N, D).

    dx̂ = dout γ; dx = (dx̂ − mean₀(dx̂) − x̂ Σ₀(dx̂ x̂) / m) / σ (N, D), m = N (or N − 1 with
    ``unbiased=True``); dγ = Σₙ dout x̂ (D,); dβ = Σₙ dout (D,).
    """
    xhat, gamma, std, divisor = check_cache("cache", cache, BatchNormCache, "batchnorm_forward")
    check_grad("dout", dout, xhat.shape, xhat.dtype)
    dx = normalize_backward(dout * gamma, xhat, std, 0, divisor)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def layernorm_forward(x: FloatArray, gamma: FloatArray, beta: FloatArray, *, eps: float = 1e-5
                      ) -> tuple[FloatArray, LayerNormCache]:
    """Layer norm: ``out = γ (x − μ) / √(σ² + eps) + β``, statistics over the last axis.

    x (..., D) (one or more axes; (N, D) for a batch), γ and β (D,), out x's shape. σ² divides
    by D, as torch's ``F.layer_norm``; D = 1 gives x̂ = 0 and out = β. Backward: see the module
    docstring (m = D).
    """
    eps = check_affine(x, gamma, beta, eps, None)
    xhat, std = normalize(x, -1, 0, eps)
    return gamma * xhat + beta, LayerNormCache(xhat, gamma, std)


def layernorm_backward(dout: FloatArray, cache: LayerNormCache
                       ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(dx, dγ, dβ)`` of layer norm, given dout (x's shape).

    dx̂ = dout γ; dx = (dx̂ − mean(dx̂) − x̂ mean(dx̂ x̂)) / σ along the last axis (x's shape);
    dγ = Σ dout x̂ and dβ = Σ dout over every axis but the last (D,).
    """
    xhat, gamma, std = check_cache("cache", cache, LayerNormCache, "layernorm_forward")
    check_grad("dout", dout, xhat.shape, xhat.dtype)
    dx = normalize_backward(dout * gamma, xhat, std, -1, xhat.shape[-1])
    lead = tuple(range(xhat.ndim - 1))
    return dx, (dout * xhat).sum(axis=lead), dout.sum(axis=lead)
