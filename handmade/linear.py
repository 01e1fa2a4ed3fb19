"""Affine layer ``out = x @ W.T + b`` by hand, in torch.nn.Linear's layout.

Shapes: ``x (N, D_in)``, ``W (D_out, D_in)``, ``b (D_out,)`` or None, ``out (N, D_out)``.

Derivatives (sums over the batch, no averaging here):
``dx = dout @ W`` (N, D_in), ``dW = dout.T @ x`` (D_out, D_in), ``db = dout.sum(0)`` (D_out,).
"""

from __future__ import annotations

from typing import Literal, NamedTuple, overload

import numpy as np
from numpy.typing import DTypeLike

from handmade import init as _init
from handmade._checks import (
    check_cache,
    check_float_array,
    check_grad,
    check_positive_int,
    check_same_dtype,
    check_shape,
)
from handmade.module import Module, Parameter
from handmade.types import FloatArray


class LinearCache(NamedTuple):
    """What ``linear_backward`` needs: the input, the weight, whether a bias was used."""

    x: FloatArray
    W: FloatArray
    has_bias: bool


def linear_forward(
    x: FloatArray, W: FloatArray, b: FloatArray | None = None
) -> tuple[FloatArray, LinearCache]:
    """``out = x @ W.T + b``; x (N, D_in), W (D_out, D_in), b (D_out,) or None -> (N, D_out)."""
    check_float_array("x", x, ndim=2)
    check_float_array("W", W, ndim=2)
    check_same_dtype(("x", x), ("W", W))
    d_in = x.shape[1]
    check_shape("W", W, (W.shape[0], d_in), symbols="(D_out, D_in)",
                note=f"with D_in={d_in} to match x")
    out = x @ W.T
    if b is not None:
        check_float_array("b", b, ndim=1)
        check_same_dtype(("x", x), ("b", b))
        check_shape("b", b, (W.shape[0],), symbols="(D_out,)",
                    note=f"with D_out={W.shape[0]} to match W")
        out = out + b
    return out, LinearCache(x, W, b is not None)


@overload
def linear_backward(
    dout: FloatArray, cache: LinearCache, *, input_grad: Literal[True] = ...
) -> tuple[FloatArray, FloatArray, FloatArray | None]: ...
@overload
def linear_backward(
    dout: FloatArray, cache: LinearCache, *, input_grad: bool
) -> tuple[FloatArray | None, FloatArray, FloatArray | None]: ...
def linear_backward(
    dout: FloatArray, cache: LinearCache, *, input_grad: bool = True
) -> tuple[FloatArray | None, FloatArray, FloatArray | None]:
    """Given ``dout = dL/dout`` (N, D_out) return ``(dx, dW, db)``; ``db`` is None without bias.

    dx = dout @ W (N, D_in); dW = dout.T @ x (D_out, D_in); db = sum_n dout[n] (D_out,).
    ``input_grad=False`` skips dx (returned as None), as autograd does for an input that does
    not require grad (e.g. the data fed to a network's first layer).
    """
    x, W, has_bias = check_cache("cache", cache, LinearCache, "linear_forward")
    check_grad("dout", dout, (x.shape[0], W.shape[0]), x.dtype)
    dx = dout @ W if input_grad else None
    dW = dout.T @ x
    db = dout.sum(axis=0) if has_bias else None
    return dx, dW, db


class Linear(Module):
    """Stateful affine layer with parameters ``weight`` (out, in) and ``bias`` (out,).

    ``init``: ``"torch"`` (default; weight and bias U(-1/sqrt(in), 1/sqrt(in)) as in
    torch.nn.Linear), ``"xavier_uniform"``, ``"xavier_normal"`` or ``"normal"`` (N(0, sigma^2));
    the last three set the bias to zero. The generator ``rng`` is required. ``in_features`` and
    ``out_features`` are positive Python or NumPy integers (2.5, 0 or True is a ValueError).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: np.random.Generator,
        dtype: DTypeLike = np.float64,
        init: str = "torch",
        sigma: float = 0.01,
    ) -> None:
        super().__init__()
        d_in = check_positive_int("in_features", in_features)
        shape = (check_positive_int("out_features", out_features), d_in)
        self.weight = Parameter(_init.init_weight(init, shape, rng, dtype, sigma))
        self.bias: Parameter | None = None
        if bias:
            if init == "torch":
                b = _init.torch_linear_default((shape[0],), shape[1], rng, dtype)
            else:
                b = np.zeros(shape[0], dtype=self.weight.dtype)
            self.bias = Parameter(b)
        self.cache: LinearCache | None = None

    @property
    def in_features(self) -> int:
        """D_in."""
        return self.weight.shape[1]

    @property
    def out_features(self) -> int:
        """D_out."""
        return self.weight.shape[0]

    def forward(self, x: FloatArray) -> FloatArray:
        """x (N, in) -> x @ weight.T + bias (N, out)."""
        b = None if self.bias is None else self.bias.data
        out, self.cache = linear_forward(x, self.weight.data, b)
        return out

    def backward(self, dout: FloatArray, input_grad: bool = True) -> FloatArray | None:
        """Write ``weight.grad``/``bias.grad`` (overwrite) and return dx (N, in), or None
        with ``input_grad=False`` (dx not computed; see :func:`linear_backward`)."""
        if self.cache is None:
            raise RuntimeError("Linear.backward: call forward first")
        dx, dW, db = linear_backward(dout, self.cache, input_grad=input_grad)
        self.weight.grad = dW
        if self.bias is not None:
            self.bias.grad = db
        return dx

    def __repr__(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None})")

