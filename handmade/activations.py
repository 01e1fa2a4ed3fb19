"""Elementwise activations by hand: ReLU, leaky ReLU, sigmoid, tanh. Any shape; out and dx
have x's shape.

| phi     | phi(x)                  | phi'(x)                                   |
|---------|-------------------------|-------------------------------------------|
| ReLU    | max(x, 0)               | 1 if x > 0 else 0 (0 at exactly 0, as torch) |
| leaky   | x if x > 0 else a x     | 1 if x > 0 else a (a at exactly 0, as torch) |
| sigmoid | 1 / (1 + exp(-x))       | sigma(x) (1 - sigma(x))                    |
| tanh    | tanh(x)                 | 1 - tanh(x)^2                              |

Backward returns ``dx = dout * phi'(x)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

import numpy as np

from handmade._checks import check_cache, check_float_array, check_grad
from handmade.module import Module
from handmade.types import FloatArray

__all__ = [
    "LeakyReLU", "LeakyReluCache", "leaky_relu_backward", "leaky_relu_forward", "ReLU",
    "ReluCache", "Sigmoid", "SigmoidCache", "Tanh", "TanhCache", "relu_backward",
    "relu_forward", "sigmoid_backward", "sigmoid_forward", "tanh_backward", "tanh_forward",
]
"""What ``handmade`` re-exports (``from handmade.activations import *``)."""


class ReluCache(NamedTuple):
    """The input x (phi' needs the sign of x)."""

    x: FloatArray


class LeakyReluCache(NamedTuple):
    """The input x and the negative slope a (phi' needs the sign of x and a)."""

    x: FloatArray
    negative_slope: float


class SigmoidCache(NamedTuple):
    """The output sigma(x) (phi' is written in terms of it)."""

    out: FloatArray


class TanhCache(NamedTuple):
    """The output tanh(x) (phi' is written in terms of it)."""

    out: FloatArray


ActivationCache = ReluCache | LeakyReluCache | SigmoidCache | TanhCache
"""The cache of any activation pair."""


def relu_forward(x: FloatArray) -> tuple[FloatArray, ReluCache]:
    """``max(x, 0)`` elementwise."""
    check_float_array("x", x)
    return np.maximum(x, 0), ReluCache(x)


def relu_backward(dout: FloatArray, cache: ReluCache) -> FloatArray:
    """``dx = dout * [x > 0]``; the derivative at exactly 0 is taken as 0 (torch's choice)."""
    cache = check_cache("cache", cache, ReluCache, "relu_forward")
    check_grad("dout", dout, cache.x.shape, cache.x.dtype)
    return dout * (cache.x > 0)


def leaky_relu_forward(x: FloatArray, negative_slope: float = 0.01
                       ) -> tuple[FloatArray, LeakyReluCache]:
    """``x if x > 0 else negative_slope * x`` elementwise (torch.nn.LeakyReLU, same default).

    ``negative_slope`` (a): any finite real (torch accepts a > 1 and a < 0 too); a bool, NaN or
    a non-number is a ValueError naming it. out has x's shape and dtype.
    """
    check_float_array("x", x)
    a = _check_slope(negative_slope)
    return np.where(x > 0, x, x * x.dtype.type(a)), LeakyReluCache(x, a)


def leaky_relu_backward(dout: FloatArray, cache: LeakyReluCache) -> FloatArray:
    """``dx = dout * (1 if x > 0 else negative_slope)``.

    At exactly x == 0 the slope a is taken, torch's choice; any value in [a, 1] · dout is a
    valid subgradient there (``backprop-lab verify`` accepts each, with a note).
    """
    cache = check_cache("cache", cache, LeakyReluCache, "leaky_relu_forward")
    x = cache.x
    check_grad("dout", dout, x.shape, x.dtype)
    slope: FloatArray = np.where(x > 0, x.dtype.type(1), x.dtype.type(cache.negative_slope))
    return dout * slope


def _check_slope(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"negative_slope: expected a real number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"negative_slope: expected a finite number, got {value!r}")
    return float(value)


def sigmoid_forward(x: FloatArray) -> tuple[FloatArray, SigmoidCache]:
    """Stable logistic sigmoid: with e = exp(-|x|) <= 1, sigma = 1/(1+e) for x >= 0, else e/(1+e).

    No exp of a large positive number is ever taken, so x = +-1000 gives exactly 1 and a tiny
    (or, once it underflows, exactly 0) value without overflow warnings.
    """
    check_float_array("x", x)
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out, SigmoidCache(out)


def sigmoid_backward(dout: FloatArray, cache: SigmoidCache) -> FloatArray:
    """``dx = dout * sigma (1 - sigma)``; finite for every finite x."""
    out = check_cache("cache", cache, SigmoidCache, "sigmoid_forward").out
    check_grad("dout", dout, out.shape, out.dtype)
    return dout * out * (1 - out)


def tanh_forward(x: FloatArray) -> tuple[FloatArray, TanhCache]:
    """``tanh(x)`` elementwise (NumPy's tanh saturates to +-1 without overflow)."""
    check_float_array("x", x)
    out = np.tanh(x)
    return out, TanhCache(out)


def tanh_backward(dout: FloatArray, cache: TanhCache) -> FloatArray:
    """``dx = dout * (1 - tanh(x)^2)``."""
    out = check_cache("cache", cache, TanhCache, "tanh_forward").out
    check_grad("dout", dout, out.shape, out.dtype)
    return dout * (1 - out * out)


C = TypeVar("C", ReluCache, LeakyReluCache, SigmoidCache, TanhCache)


class _Elementwise(Module, Generic[C]):
    """A parameter-free module wrapping one forward/backward pair (cache type ``C``)."""

    _forward: Callable[[FloatArray], tuple[FloatArray, C]]
    _backward: Callable[[FloatArray, C], FloatArray]

    def __init__(self) -> None:
        super().__init__()
        self.cache: C | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """phi(x), same shape as x."""
        out, self.cache = type(self)._forward(x)
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """dout * phi'(x) for the x of the last forward."""
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward: call forward first")
        return type(self)._backward(dout, self.cache)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Elementwise[ReluCache]):
    """``max(x, 0)``; derivative 0 at exactly 0."""

    _forward = staticmethod(relu_forward)
    _backward = staticmethod(relu_backward)


class LeakyReLU(_Elementwise[LeakyReluCache]):
    """``x if x > 0 else negative_slope * x``; derivative negative_slope at exactly 0."""

    _backward = staticmethod(leaky_relu_backward)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = _check_slope(negative_slope)

    def forward(self, x: FloatArray) -> FloatArray:
        """x where x > 0, negative_slope * x elsewhere; same shape as x."""
        out, self.cache = leaky_relu_forward(x, self.negative_slope)
        return out

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Sigmoid(_Elementwise[SigmoidCache]):
    """Stable logistic sigmoid."""

    _forward = staticmethod(sigmoid_forward)
    _backward = staticmethod(sigmoid_backward)


class Tanh(_Elementwise[TanhCache]):
    """Hyperbolic tangent."""

    _forward = staticmethod(tanh_forward)
    _backward = staticmethod(tanh_backward)


# The backward's cache is Any: each backward takes only its own forward's cache, and which pair
# a name selects is known at run time only.
PAIRS: dict[
    str, tuple[Callable[[FloatArray], tuple[FloatArray, ActivationCache]],
               Callable[[FloatArray, Any], FloatArray]]
] = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
}
"""Name -> (forward, backward), used by TwoLayerMLP's ``phi`` option."""
