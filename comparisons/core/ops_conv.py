"""The convolution family's declarations: conv2d (cross-correlation, torch's ``F.conv2d``) and
maxpool2d (``F.max_pool2d``), from ``handmade.conv`` / ``handmade.pooling`` and
``reference.conv``.

Their usual mistakes:

* conv2d: the kernel flipped (a true convolution, or dx computed with the 180°-rotated
  kernel where the scatter of a cross-correlation needs none): ``kernel_flipped``, the candidate
  computed from the flipped kernel; a stride or padding slip is ``localized`` with the pattern
  of the elements it reaches (:func:`conv_masks`: the border a padded window reaches, the rows or
  columns two strided windows overlap on);
* maxpool2d: the gradient spread over the whole window (average pooling's dout / (KH·KW)):
  ``not_routed_to_max``; overlapping windows whose gradients overwrite instead of add are
  ``localized`` at the maxima shared by several windows. Ties are kinks
  (:func:`pool_kinks`): any split of a window's dout among its tied maxima is valid.

Stride, padding and the kernel size are constant inputs, read from the case's sizes (the
symbols ``stride``, ``padding``, ``KH``, ``KW``, ``SH``, ``SW``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

import handmade as hm
import reference as ref
from comparisons.core.opdecl import (
    DOUT,
    F64,
    Consistent,
    Input,
    Kink,
    KinkRule,
    OpDeclaration,
    as_f64,
    upstream_equation,
)
from comparisons.core.ops import Case, Inputs

Bool = NDArray[np.bool_]
BORDER = "only border elements (reached by a window that overlaps the zero padding)"
ROWS = "every other row (the rows two vertically strided windows overlap on)"
COLS = "every other column (the columns two horizontally strided windows overlap on)"
SHARED = "maxima of several overlapping windows (their gradients add)"
TIED = "tied maxima after a window's first (torch sends them 0)"


def from_dims(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
              drawn: Inputs) -> Any:
    """A constant read from the case's sizes: one symbol gives an int, two a pair."""
    return shape[0] if len(shape) == 1 else tuple(shape)


def const(name: str, *symbols: str, keyword: bool = False) -> Input:
    """A constant input (stride, padding, kernel size) taken from the case's ``symbols``."""
    return Input(name=name, shape=symbols, dtype="const", keyword=keyword, draw=from_dims)


def coverage(size: int, kernel: int, stride: int, padding: int) -> tuple[NDArray[Any], Bool]:
    """Along one axis of the padded input: how many windows cover each position, and whether
    each position is reached by a window that overlaps the padding (both unpadded)."""
    count, edge = np.zeros(size + 2 * padding, int), np.zeros(size + 2 * padding, bool)
    for start in range(0, size + 2 * padding - kernel + 1, stride):
        count[start:start + kernel] += 1
        if start < padding or start + kernel > size + padding:
            edge[start:start + kernel] = True
    return count[padding:padding + size], edge[padding:padding + size]


def conv_masks(inputs: Inputs) -> dict[str, Bool]:
    """dx's localized patterns: the padded windows' border and the overlapped rows/columns."""
    _, _, h, w = np.shape(inputs["x"])
    _, _, kh, kw = np.shape(inputs["W"])
    s, p = int(inputs["stride"]), int(inputs["padding"])
    (rows, top), (cols, side) = coverage(h, kh, s, p), coverage(w, kw, s, p)
    shape = np.shape(inputs["x"])
    return {BORDER: np.broadcast_to(top[:, None] | side[None, :], shape),
            ROWS: np.broadcast_to((rows > 1)[:, None], shape),
            COLS: np.broadcast_to((cols > 1)[None, :], shape)}


def flipped_dx(inputs: Inputs, dout: F64) -> F64:
    """dx computed from the kernel rotated by 180° (the candidate ``kernel_flipped``)."""
    W = as_f64(inputs["W"])[:, :, ::-1, ::-1].copy()
    _, cache = hm.conv2d_forward(as_f64(inputs["x"]), W, stride=int(inputs["stride"]),
                                 padding=int(inputs["padding"]))
    return as_f64(hm.conv2d_backward(dout, cache)[0])


def conv_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                  refs: Mapping[str, F64]) -> dict[str, Any]:
    """The flipped-kernel candidates of dx and dW, the stride/padding masks of dx, and the
    sizes N, C, F that name a ``scaled`` factor."""
    (n, c, _, _), f = np.shape(inputs["x"]), np.shape(inputs["W"])[0]
    ctx: dict[str, Any] = {"dims": {"N": n, "C": c, "F": f}}
    if grad == "dx":
        ctx["candidates"] = {"kernel_flipped": lambda: flipped_dx(inputs, dout)}
        ctx["masks"] = conv_masks(inputs)
    elif grad == "dW":
        ctx["candidates"] = {"kernel_flipped": refs["dW"][:, :, ::-1, ::-1]}
    return ctx


CONV2D = OpDeclaration(
    name="conv2d", family="convolution",
    forward=hm.conv2d_forward, backward=hm.conv2d_backward, reference=ref.conv2d,
    inputs=(Input(name="x", shape=("N", "C", "H", "W"), grad="dx"),
            Input(name="W", shape=("F", "C", "KH", "KW"), grad="dW"),
            Input(name="b", shape=("F",), grad="db"),
            const("stride", "stride", keyword=True), const("padding", "padding", keyword=True)),
    cases=(Case("stride 2, padding 1, non-square kernel",
                {"N": 3, "C": 5, "H": 11, "W": 13, "F": 7, "KH": 3, "KW": 2, "stride": 2,
                 "padding": 1}),
           Case("N=1", {"N": 1, "C": 3, "H": 7, "W": 5, "F": 11, "KH": 3, "KW": 3,
                        "stride": 1, "padding": 0}),
           Case("kernel as tall as the padded input", {"N": 5, "C": 3, "H": 5, "W": 7, "F": 11,
                                                       "KH": 7, "KW": 3, "stride": 1,
                                                       "padding": 1}),
           Case("stride 3, padding 2, uncovered last rows", {"N": 3, "C": 5, "H": 7, "W": 11,
                                                             "F": 13, "KH": 2, "KW": 3,
                                                             "stride": 3, "padding": 2})),
    signature="forward(x, W, b, *, stride, padding) -> (out, cache); backward(dout, cache) "
              "-> (dx, dW, db)",
    convention="out[n, f, i, j] = b[f] + Σ_{c,k,l} xp[n, c, s·i + k, s·j + l] W[f, c, k, l], a "
               "cross-correlation as torch's F.conv2d (the kernel is not flipped), xp: x "
               "zero-padded by padding on each side; x: (N, C, H, W), W: (F, C, KH, KW), "
               f"b: (F,), out: (N, F, OH, OW), OH = (H + 2·padding − KH) // stride + 1; {DOUT}",
    equations={"dx": upstream_equation("dxp[n, c, s·i + k, s·j + l] += Σ_f dout[n, f, i, j] "
                                       "W[f, c, k, l], dx = dxp without the padding (no flip)"),
               "dW": upstream_equation("dW[f, c, k, l] = Σ_{n,i,j} dout[n, f, i, j] "
                                       "xp[n, c, s·i + k, s·j + l]"),
               "db": upstream_equation("db[f] = Σ_{n,i,j} dout[n, f, i, j]")},
    mistakes=conv_mistakes,
)


def window_index(inputs: Inputs) -> NDArray[Any]:
    """The flat index into x of every window element: (N, C, OH, OW, KH·KW)."""
    x = np.asarray(inputs["x"])
    (kh, kw), (sh, sw) = inputs["kernel_size"], inputs["stride"]
    _, _, oh, ow = hm.maxpool2d_forward(as_f64(x), (kh, kw), (sh, sw))[0].shape
    idx = sliding_window_view(np.arange(x.size).reshape(x.shape), (kh, kw), axis=(2, 3))
    return idx[:, :, ::sh, ::sw][:, :, :oh, :ow].reshape(*x.shape[:2], oh, ow, kh * kw)


def per_element(index: NDArray[Any], values: NDArray[Any], size: int) -> F64:
    """Σ of ``values`` (one per window element) at each element of x (flat)."""
    return as_f64(np.bincount(index.ravel(), weights=values.ravel().astype(np.float64),
                              minlength=size))


def pool_untrusted(inputs: Inputs, h: float) -> dict[str, Bool]:
    """Elements within 2h of a maximum that another element of the window is within 2h of:
    a step of h there changes which element is the maximum."""
    x = as_f64(inputs["x"])
    idx = window_index(inputs)
    vals = x.reshape(-1)[idx]
    top = vals.max(axis=-1, keepdims=True)
    near = top - vals <= 2 * h
    tied = near & (near.sum(axis=-1, keepdims=True) > 1)
    return {"x": (per_element(idx, tied, x.size) > 0).reshape(x.shape)}


def tie_masks(inputs: Inputs) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """The window index, each window element's exact tie with its window's max (windows with
    more than one maximum only), and whether it is a window's first maximum."""
    x = as_f64(inputs["x"])
    idx = window_index(inputs)
    vals = x.reshape(-1)[idx]
    at_max = vals == vals.max(axis=-1, keepdims=True)
    tied = at_max & (at_max.sum(axis=-1, keepdims=True) > 1)
    first = np.zeros_like(tied)
    np.put_along_axis(first, np.argmax(vals, axis=-1)[..., None], True, axis=-1)
    return idx, tied, first


def pool_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                  refs: Mapping[str, F64]) -> dict[str, Any]:
    """The gradient spread over the window (dout / (KH·KW) everywhere: ``not_routed_to_max``),
    the maxima of several windows, the tied maxima after the first."""
    x = as_f64(inputs["x"])
    idx, tied, first = tie_masks(inputs)
    spread = np.broadcast_to(dout[..., None] / idx.shape[-1], idx.shape)
    n, c, _, _ = x.shape
    first_pos = per_element(idx, first, x.size)
    return {"dims": {"N": n, "C": c},
            "candidates": {"not_routed_to_max":
                           lambda: per_element(idx, spread, x.size).reshape(x.shape)},
            "masks": {SHARED: (first_pos > 1).reshape(x.shape),
                      TIED: (per_element(idx, tied & ~first, x.size) > 0).reshape(x.shape)}}


def window_sums_match(idx: NDArray[Any], ref_dx: F64) -> Consistent:
    """The check of a valid split: per element, does every window it is a tied maximum of
    receive its whole dout (Σ of the user's dx over the window's tied maxima = torch's)?

    Only non-overlapping windows (each element in one window) are checked this way; where
    windows overlap the split is not unique and only torch's choice is accepted."""
    def check(user: F64, b: float) -> Bool:
        size = user.size
        if np.bincount(idx.ravel(), minlength=size).max() > 1:
            return np.zeros(user.shape, bool)
        u, r = user.reshape(-1)[idx], ref_dx.reshape(-1)[idx]
        ok = np.abs(u.sum(axis=-1) - r.sum(axis=-1)) <= b * idx.shape[-1]
        return (per_element(idx, np.broadcast_to(ok[..., None], idx.shape), size) > 0
                ).reshape(user.shape)
    return check


def pool_kinks(inputs: Inputs, dout: F64, refs: Mapping[str, F64]) -> list[Kink]:
    """At a window's tied maxima every split t_e · dout (t_e >= 0, Σ t_e = 1) is valid (torch:
    all to the first in row-major order); checked where windows do not overlap."""
    x = as_f64(inputs["x"])
    idx, tied, _ = tie_masks(inputs)
    mask = (per_element(idx, tied, x.size) > 0).reshape(x.shape)
    one = per_element(idx, np.where(tied, dout[..., None], 0.0), x.size).reshape(x.shape)
    return [Kink("dx", "tied maxima", "max", mask, one, "the window's dout",
                 consistent=window_sums_match(idx, refs["dx"]))]


def with_ties(inputs: Inputs) -> Inputs:
    """Every other window's elements (0, 0) and (1, 1) set to exactly its max + 0.5: a tie
    between two new maxima (torch sends dout to (0, 0), the first)."""
    x = np.array(inputs["x"])
    (sh, sw) = inputs["stride"]
    out = hm.maxpool2d_forward(as_f64(x), inputs["kernel_size"], inputs["stride"])[0]
    oh, ow = out.shape[2:]
    rows, cols = np.arange(oh)[:, None] * sh, np.arange(ow)[None, :] * sw
    every_other = (np.arange(oh)[:, None] + np.arange(ow)[None, :]) % 2 == 0
    for dr in (0, 1):
        x[:, :, rows + dr, cols + dr] = np.where(every_other, out + 0.5,
                                                 x[:, :, rows + dr, cols + dr])
    return {**inputs, "x": x}


MAXPOOL2D = OpDeclaration(
    name="maxpool2d", family="convolution",
    forward=hm.maxpool2d_forward, backward=hm.maxpool2d_backward, reference=ref.maxpool2d,
    inputs=(Input(name="x", shape=("N", "C", "H", "W"), grad="dx"),
            const("kernel_size", "KH", "KW"), const("stride", "SH", "SW")),
    cases=(Case("overlapping windows (stride 2 < kernel 3)",
                {"N": 3, "C": 5, "H": 7, "W": 11, "KH": 3, "KW": 3, "SH": 2, "SW": 2}),
           Case("N=1", {"N": 1, "C": 3, "H": 7, "W": 5, "KH": 3, "KW": 2, "SH": 3, "SW": 2}),
           Case("non-square kernel and stride, uncovered last columns",
                {"N": 5, "C": 3, "H": 11, "W": 7, "KH": 2, "KW": 3, "SH": 3, "SW": 2})),
    signature="forward(x, kernel_size, stride) -> (out, cache); backward(dout, cache) -> dx",
    convention="out[n, c, i, j] = max_{k<KH, l<KW} x[n, c, SH·i + k, SW·j + l] (torch's "
               "F.max_pool2d, no padding; kernel_size and stride are pairs); at a tie torch "
               "sends dout to the window's first maximum in row-major order, and any split "
               f"among the tied maxima is accepted; x: (N, C, H, W), out: (N, C, OH, OW); {DOUT}",
    equations={"dx": upstream_equation("dx[n, c, SH·i + k*, SW·j + l*] += dout[n, c, i, j] at "
                                       "each window's arg-max (k*, l*), 0 elsewhere")},
    untrusted=pool_untrusted, kinks=KinkRule(pool_kinks),
    kink_cases=((Case("tied maxima", {"N": 3, "C": 5, "H": 7, "W": 11, "KH": 3, "KW": 3,
                                      "SH": 3, "SW": 3}), with_ties),),
    mistakes=pool_mistakes,
)

DECLARATIONS = (CONV2D, MAXPOOL2D)
