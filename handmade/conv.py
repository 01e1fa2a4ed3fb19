"""2-D convolution by hand, in torch's layout and convention (``F.conv2d``, ``nn.Conv2d``).

Shapes: ``x (N, C, H, W)``, ``W (F, C, KH, KW)``, ``b (F,)`` or None, ``out (N, F, OH, OW)``
with ``OH = (H + 2p - KH) // s + 1`` and ``OW = (W + 2p - KW) // s + 1`` (stride s, zero
padding p on every side). Like torch (and every deep-learning library) this is a
cross-correlation, the kernel is *not* flipped:

    out[n, f, i, j] = b[f] + sum_{c, k, l} xp[n, c, s i + k, s j + l] W[f, c, k, l]

where xp is x padded with p zeros. Derivatives (sums over the batch, no averaging):

* ``db[f] = sum_{n, i, j} dout[n, f, i, j]`` (F,);
* ``dW[f, c, k, l] = sum_{n, i, j} dout[n, f, i, j] xp[n, c, s i + k, s j + l]`` (F, C, KH, KW);
* ``dxp[n, c, s i + k, s j + l] += sum_f dout[n, f, i, j] W[f, c, k, l]`` and dx is dxp with the
  padding cut off (N, C, H, W): a "full" correlation of dout with the kernel rotated by 180°
  (here the scatter-add, so the rotation is implicit). Input pixels no window reaches (the
  last rows or columns when (H + 2p - KH) is not a multiple of s) get 0.

Vectorised (im2col): the windows, a strided view of xp (``sliding_window_view``), copied once
as the columns of a (C·KH·KW, N·OH·OW) matrix kept in the cache; the forward, dW and dx's
window gradients are one GEMM each, and the backward's scatter loops over the KH·KW kernel
offsets only, never over output pixels.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
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

__all__ = ["Conv2d", "Conv2dCache", "conv2d_backward", "conv2d_forward", "out_size"]
"""What ``handmade`` re-exports (``from handmade.conv import *``)."""


class Conv2dCache(NamedTuple):
    """What ``conv2d_backward`` needs: the windows as columns (C·KH·KW, N·OH·OW), the kernel,
    stride, padding, the unpadded input shape and whether a bias was used."""

    cols: FloatArray
    W: FloatArray
    stride: int
    padding: int
    x_shape: tuple[int, ...]
    has_bias: bool


def check_padding(name: str, value: object) -> int:
    """A padding: a Python or NumPy integer >= 0 (a bool or a float is an error)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name}: expected an integer >= 0, got {value!r}")
    return int(value)


def out_size(size: int, kernel: int, stride: int, padding: int, what: str) -> int:
    """``(size + 2 padding - kernel) // stride + 1``; ValueError naming ``what`` when the kernel
    is larger than the padded input."""
    if kernel > size + 2 * padding:
        raise ValueError(f"{what}: expected a kernel size <= the padded input size "
                         f"{size + 2 * padding} (input {size} + 2·padding {padding}), "
                         f"got {kernel}")
    return (size + 2 * padding - kernel) // stride + 1


def windows(xp: FloatArray, kh: int, kw: int, stride: int) -> FloatArray:
    """The strided view (N, C, OH, OW, KH, KW) of every window of xp (no copy)."""
    view: FloatArray = sliding_window_view(xp, (kh, kw), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def im2col(xp: FloatArray, kh: int, kw: int, stride: int, oh: int, ow: int) -> FloatArray:
    """Every window as a column: (C·KH·KW, N·OH·OW), rows in (c, k, l) order, columns in
    (n, i, j) order (one copy, whose inner runs are rows of xp)."""
    n, c = xp.shape[:2]
    view = windows(xp, kh, kw, stride)[:, :, :oh, :ow].transpose(1, 4, 5, 0, 2, 3)
    cols: FloatArray = view.reshape(c * kh * kw, n * oh * ow)
    return cols


def conv2d_forward(x: FloatArray, W: FloatArray, b: FloatArray | None = None, *,
                   stride: int = 1, padding: int = 0) -> tuple[FloatArray, Conv2dCache]:
    """Cross-correlation ``out = x ⋆ W + b`` (see the module docstring), as ``F.conv2d``.

    x (N, C, H, W), W (F, C, KH, KW), b (F,) or None -> out (N, F, OH, OW), x's dtype.
    ``stride`` >= 1 and ``padding`` >= 0 are integers (the same along both axes).
    """
    check_float_array("x", x, ndim=4)
    check_float_array("W", W, ndim=4)
    check_same_dtype(("x", x), ("W", W))
    s, p = check_positive_int("stride", stride), check_padding("padding", padding)
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    check_shape("W", W, (f, c, kh, kw), symbols="(F, C, KH, KW)", note=f"with C={c} to match x")
    oh = out_size(h, kh, s, p, "W (KH)")
    ow = out_size(w, kw, s, p, "W (KW)")
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
    cols = im2col(xp, kh, kw, s, oh, ow)
    out = (W.reshape(f, -1) @ cols).reshape(f, n, oh, ow).transpose(1, 0, 2, 3)
    if b is not None:
        check_float_array("b", b, ndim=1)
        check_same_dtype(("x", x), ("b", b))
        check_shape("b", b, (f,), symbols="(F,)", note=f"with F={f} to match W")
        out = out + b[:, None, None]
    return np.ascontiguousarray(out), Conv2dCache(cols, W, s, p, x.shape, b is not None)


def conv2d_backward(dout: FloatArray, cache: Conv2dCache
                    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Given ``dout = dL/dout`` (N, F, OH, OW) return ``(dx, dW, db)``; db is None without bias.

    dx (N, C, H, W), dW (F, C, KH, KW), db (F,): the formulas of the module docstring.
    """
    cols, W, s, p, x_shape, has_bias = check_cache("cache", cache, Conv2dCache,
                                                   "conv2d_forward")
    n, c, h, w = x_shape
    f, _, kh, kw = W.shape
    oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
    check_grad("dout", dout, (n, f, oh, ow), W.dtype)
    d2 = dout.transpose(1, 0, 2, 3).reshape(f, n * oh * ow)
    dW = (d2 @ cols.T).reshape(W.shape)
    dcols = (W.reshape(f, -1).T @ d2).reshape(c, kh, kw, n, oh, ow)
    dxp = np.zeros((n, c, h + 2 * p, w + 2 * p), dtype=W.dtype)
    for k in range(kh):
        for l in range(kw):
            dxp[:, :, k:k + s * oh:s, l:l + s * ow:s] += dcols[:, k, l].transpose(1, 0, 2, 3)
    dx = dxp[:, :, p:p + h, p:p + w]
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return np.ascontiguousarray(dx), dW, db


def kernel_pair(name: str, value: Any) -> tuple[int, int]:
    """An int k (-> (k, k)) or a pair of positive ints, as torch's ``kernel_size``."""
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(f"{name}: expected an int or a pair of ints, got {value!r}")
        return check_positive_int(name, value[0]), check_positive_int(name, value[1])
    k = check_positive_int(name, value)
    return k, k


class Conv2d(Module):
    """Stateful 2-D convolution with parameters ``weight`` (F, C, KH, KW) and ``bias`` (F,).

    torch.nn.Conv2d's default initialisation: weight and bias U(-1/√fan_in, 1/√fan_in),
    fan_in = C·KH·KW (torch's kaiming_uniform with a = √5 reduces to this bound). The generator
    ``rng`` is required. ``kernel_size`` is an int or a pair (KH, KW).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int = 1, padding: int = 0, bias: bool = True, *,
                 rng: np.random.Generator, dtype: DTypeLike = np.float64) -> None:
        super().__init__()
        c = check_positive_int("in_channels", in_channels)
        f = check_positive_int("out_channels", out_channels)
        kh, kw = kernel_pair("kernel_size", kernel_size)
        self.stride = check_positive_int("stride", stride)
        self.padding = check_padding("padding", padding)
        fan_in = c * kh * kw
        self.weight = Parameter(_init.torch_linear_default((f, c, kh, kw), fan_in, rng, dtype))
        self.bias: Parameter | None = None
        if bias:
            self.bias = Parameter(_init.torch_linear_default((f,), fan_in, rng, dtype))
        self.cache: Conv2dCache | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """x (N, C, H, W) -> conv2d(x, weight, bias) (N, F, OH, OW)."""
        b = None if self.bias is None else self.bias.data
        out, self.cache = conv2d_forward(x, self.weight.data, b, stride=self.stride,
                                         padding=self.padding)
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """Write ``weight.grad``/``bias.grad`` (overwrite) and return dx (N, C, H, W)."""
        if self.cache is None:
            raise RuntimeError("Conv2d.backward: call forward first")
        dx, dW, db = conv2d_backward(dout, self.cache)
        self.weight.grad = dW
        if self.bias is not None:
            self.bias.grad = db
        return dx

    def __repr__(self) -> str:
        f, c, kh, kw = self.weight.shape
        return (f"Conv2d({c}, {f}, kernel_size=({kh}, {kw}), stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None})")
