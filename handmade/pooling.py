"""2-D max pooling and Flatten by hand, in torch's layout (``F.max_pool2d``, ``nn.MaxPool2d``,
``nn.Flatten``).

Max pooling: x (N, C, H, W), window (KH, KW), stride (SH, SW) (default: the window, as torch),
no padding -> out (N, C, OH, OW), OH = (H - KH) // SH + 1, OW = (W - KW) // SW + 1:

    out[n, c, i, j] = max_{k < KH, l < KW} x[n, c, SH i + k, SW j + l]

Derivative: the max is piecewise the identity of one element, so the whole dout[n, c, i, j]
goes to the window's arg-max, summed where windows overlap:
``dx[n, c, SH i + k*, SW j + l*] += dout[n, c, i, j]`` (N, C, H, W); every other element gets 0.
Ties (two equal maxima in a window) are kinks: any split of dout among the tied elements is a
valid subgradient; like torch we send all of it to the first maximum in row-major order within
the window.

Flatten: (N, d1, d2, ...) -> (N, d1·d2·...), torch's default start_dim=1; its backward reshapes
dout back.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from handmade._checks import check_cache, check_float_array, check_grad
from handmade.conv import kernel_pair, out_size
from handmade.module import Module
from handmade.types import FloatArray, IntArray

__all__ = ["Flatten", "MaxPool2d", "MaxPool2dCache", "maxpool2d_backward", "maxpool2d_forward"]
"""What ``handmade`` re-exports (``from handmade.pooling import *``)."""


class MaxPool2dCache(NamedTuple):
    """What ``maxpool2d_backward`` needs: the input shape and dtype, the flat index into x of
    each window's arg-max (N, C, OH, OW)."""

    x_shape: tuple[int, ...]
    dtype: np.dtype[Any]
    argmax: IntArray


def maxpool2d_forward(x: FloatArray, kernel_size: int | tuple[int, int],
                      stride: int | tuple[int, int] | None = None
                      ) -> tuple[FloatArray, MaxPool2dCache]:
    """The max over each (KH, KW) window moved by ``stride`` (default ``kernel_size``).

    x (N, C, H, W) -> out (N, C, OH, OW), x's dtype. ``kernel_size`` and ``stride``: an int or a
    pair of positive ints (torch's convention); a window larger than x is a ValueError.
    """
    check_float_array("x", x, ndim=4)
    kh, kw = kernel_pair("kernel_size", kernel_size)
    sh, sw = (kh, kw) if stride is None else kernel_pair("stride", stride)
    n, c, h, w = x.shape
    oh = out_size(h, kh, sh, 0, "kernel_size (KH)")
    ow = out_size(w, kw, sw, 0, "kernel_size (KW)")
    view: FloatArray = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    flat = view[:, :, ::sh, ::sw][:, :, :oh, :ow].reshape(n, c, oh, ow, kh * kw)
    arg = np.argmax(flat, axis=-1)  # the first maximum, as torch
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    rows = np.arange(oh)[:, None] * sh + arg // kw
    cols = np.arange(ow)[None, :] * sw + arg % kw
    base = (np.arange(n)[:, None] * c + np.arange(c)[None, :])[:, :, None, None] * (h * w)
    return np.ascontiguousarray(out), MaxPool2dCache(x.shape, x.dtype, base + rows * w + cols)


def maxpool2d_backward(dout: FloatArray, cache: MaxPool2dCache) -> FloatArray:
    """dx (N, C, H, W): each dout[n, c, i, j] added at its window's arg-max, 0 elsewhere."""
    x_shape, dtype, arg = check_cache("cache", cache, MaxPool2dCache, "maxpool2d_forward")
    check_grad("dout", dout, arg.shape, dtype)
    size = int(np.prod(x_shape))
    dx = np.bincount(arg.ravel(), weights=dout.ravel(), minlength=size)
    return dx.astype(dtype).reshape(x_shape)


class MaxPool2d(Module):
    """Stateless max pooling (``torch.nn.MaxPool2d(kernel_size, stride=None)``)."""

    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_pair("kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else kernel_pair("stride", stride)
        self.cache: MaxPool2dCache | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """x (N, C, H, W) -> max_pool2d(x) (N, C, OH, OW)."""
        out, self.cache = maxpool2d_forward(x, self.kernel_size, self.stride)
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """dx (N, C, H, W): dout routed to each window's arg-max."""
        if self.cache is None:
            raise RuntimeError("MaxPool2d.backward: call forward first")
        return maxpool2d_backward(dout, self.cache)

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride})"


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1·d2·...), as ``torch.nn.Flatten()`` (start_dim=1)."""

    def __init__(self) -> None:
        super().__init__()
        self.shape: tuple[int, ...] | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """x (N, ...) -> x.reshape(N, -1); x needs at least one axis."""
        check_float_array("x", x)
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: FloatArray) -> FloatArray:
        """dout (N, d1·d2·...) reshaped back to the input's shape."""
        if self.shape is None:
            raise RuntimeError("Flatten.backward: call forward first")
        n = self.shape[0]
        check_float_array("dout", dout)
        if dout.shape != (n, int(np.prod(self.shape[1:], dtype=np.int64))):
            raise ValueError(f"dout: expected shape {(n, int(np.prod(self.shape[1:])))} to "
                             f"match the forward output, got {dout.shape}")
        return dout.reshape(self.shape)

    def __repr__(self) -> str:
        return "Flatten(start_dim=1, end_dim=-1)"
