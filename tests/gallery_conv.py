"""The verify galleries of conv2d and maxpool2d (planted bugs and correct derivations), kept
here so their test files stay short; tests/test_conv2d.py and tests/test_maxpool2d.py re-export
them as ``PLANTED`` / ``CORRECT`` (read by tests/_op_gallery.py)."""

from __future__ import annotations

from comparisons.core.ops_conv import BORDER, ROWS, SHARED, TIED

CONV_HEAD = '''from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

OP = "conv2d"
'''
CONV_FORWARD = '''

def forward(x, W, b, *, stride, padding):
    """Cross-correlation over strided windows of the zero-padded x (as F.conv2d)."""
    p, s = padding, stride
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    kh, kw = W.shape[2:]
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::s, ::s]
    out = np.einsum("ncijkl,fckl->nfij", win, W) + b[:, None, None]
    return out, (x, xp, W, s, p)
'''
LOOP_DX = '''    x, xp, W, s, p = cache
    n, c, h, w = x.shape
    kh, kw = W.shape[2:]
    dxp = np.zeros_like(xp)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            {skip}dxp[:, :, s * i:s * i + kh, s * j:s * j + kw] += np.einsum(
                "nf,fckl->nckl", dout[:, :, i, j], {kernel})
    dx = dxp[:, :, p:p + h, p:p + w]
'''
VEC_DW = '''    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::s, ::s]
    win = win[:, :, :dout.shape[2], :dout.shape[3]]
    dW = np.einsum("nfij,ncijkl->fckl", dout, win)
    return dx, {dW}, dout.sum(axis=(0, 2, 3))
'''


def _conv(doc: str, decls: str, body: str, forward: str = CONV_FORWARD) -> str:
    return (f'"""{doc}"""\n\n{CONV_HEAD}{decls}\n{forward}\n\n'
            f'def backward(dout, cache):\n    """{doc}"""\n{body}')


def _loop(skip: str = "", kernel: str = "W", dW: str = "dW") -> str:
    return LOOP_DX.format(skip=skip, kernel=kernel) + VEC_DW.format(dW=dW)


SKIP_PADDED = ("if (s * i < p or s * i + kh > h + p or s * j < p or s * j + kw > w + p):\n"
               "                continue\n            ")
ROW_OVERWRITE = '''    x, xp, W, s, p = cache
    n, c, h, w = x.shape
    kh, kw = W.shape[2:]
    dxp = np.zeros_like(xp)
    for i in range(dout.shape[2]):
        rows = np.zeros((n, c, kh, xp.shape[3]))
        for j in range(dout.shape[3]):
            rows[:, :, :, s * j:s * j + kw] += np.einsum("nf,fckl->nckl", dout[:, :, i, j], W)
        dxp[:, :, s * i:s * i + kh, :] = rows
    dx = dxp[:, :, p:p + h, p:p + w]
''' + VEC_DW.format(dW="dW")
IM2COL = '''    x, xp, W, s, p = cache
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    oh, ow = dout.shape[2:]
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::s, ::s][:, :, :oh, :ow]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
    d2 = dout.transpose(0, 2, 3, 1).reshape(n * oh * ow, f)
    dW = (d2.T @ cols).reshape(W.shape)
    dcols = (d2 @ W.reshape(f, -1)).reshape(n, oh, ow, c, kh, kw)
    dxp = np.zeros_like(xp)
    for k in range(kh):
        for l in range(kw):
            dxp[:, :, k:k + s * oh:s, l:l + s * ow:s] += dcols[..., k, l].transpose(0, 3, 1, 2)
    return dxp[:, :, p:p + h, p:p + w], dW, d2.sum(axis=0)
'''
FULL_CORRELATION = '''    x, xp, W, s, p = cache
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    oh, ow = dout.shape[2:]
    dilated = np.zeros((n, f, (oh - 1) * s + 1, (ow - 1) * s + 1), dtype=dout.dtype)
    dilated[:, :, ::s, ::s] = dout
    padded = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    rotated = W[:, :, ::-1, ::-1]
    full = np.einsum("nfijkl,fckl->ncij",
                     sliding_window_view(padded, (kh, kw), axis=(2, 3)), rotated)
    dxp = np.zeros_like(xp)
    dxp[:, :, :full.shape[2], :full.shape[3]] = full
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::s, ::s][:, :, :oh, :ow]
    dW = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))
    return dxp[:, :, p:p + h, p:p + w], dW, dout.sum(axis=(0, 2, 3))
'''

CONV_PLANTED = {
    "correct_conv2d": _conv("Correct: dx scattered per output pixel, dW over the windows.",
                            "EXPECT: dict[str, str] = {}", _loop()),
    "conv2d_dx_flipped_kernel": _conv(
        "Bug: dx scattered with the kernel rotated by 180° (a cross-correlation needs no flip).",
        'EXPECT = {"dx": "kernel_flipped"}', _loop(kernel="W[:, :, ::-1, ::-1]")),
    "conv2d_dW_true_convolution": _conv(
        "Bug: dW of a true convolution (flipped), where torch's conv2d is a cross-correlation.",
        'EXPECT = {"dW": "kernel_flipped"}', _loop(dW="dW[:, :, ::-1, ::-1]")),
    "conv2d_padded_windows_skipped": _conv(
        "Bug: dx leaves out the windows that overlap the zero padding: wrong at the border.",
        f'EXPECT = {{"dx": "localized"}}\nPATTERN = {{"dx": "{BORDER}"}}',
        _loop(skip=SKIP_PADDED)),
    "conv2d_overlapping_rows_overwritten": _conv(
        "Bug: each output row's dx is assigned (=), not added: rows two windows share lose one.",
        f'EXPECT = {{"dx": "localized"}}\nPATTERN = {{"dx": "{ROWS}"}}', ROW_OVERWRITE),
}
CONV_CORRECT = {
    "conv2d_loop_per_pixel": _conv(
        "Per-output-pixel loops for dx and dW (the way it is usually first written).", "",
        _loop().replace('    win = sliding', '    dW = np.zeros_like(W)\n    for i in range('
                        'dout.shape[2]):\n        for j in range(dout.shape[3]):\n'
                        '            dW += np.einsum("nf,nckl->fckl", dout[:, :, i, j], '
                        'xp[:, :, s * i:s * i + kh, s * j:s * j + kw])\n    win = sliding')
        .replace('dW = np.einsum("nfij,ncijkl->fckl", dout, win)', 'pass')),
    "conv2d_im2col": _conv("im2col: windows as rows of a matrix, dW and dx as two GEMMs.", "",
                           IM2COL),
    "conv2d_full_correlation": _conv(
        "The book's dx: the full correlation of the dilated dout with the 180°-rotated kernel "
        "(the rotation undoes the scatter's reversal, so this is right).", "", FULL_CORRELATION),
    "conv2d_float32": _conv("float32 run of the im2col derivation.", 'DTYPE = "float32"', IM2COL),
    "conv2d_list_return": _conv(
        "Gradients returned as nested lists.", "",
        IM2COL.replace("    return dxp[:, :, p:p + h, p:p + w], dW, d2.sum(axis=0)",
                       "    return (dxp[:, :, p:p + h, p:p + w].tolist(), dW.tolist(),\n"
                       "            d2.sum(axis=0).tolist())")),
}

POOL_HEAD = '''from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

OP = "maxpool2d"
'''
POOL_FORWARD = '''

def forward(x, kernel_size, stride):
    """The max of each strided window."""
    (kh, kw), (sh, sw) = kernel_size, stride
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    return win.max(axis=(4, 5)), (x, kh, kw, sh, sw)
'''
POOL_LOOP = '''    x, kh, kw, sh, sw = cache
    dx = np.zeros_like(x)
    n, c, oh, ow = dout.shape
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, sh * i:sh * i + kh, sw * j:sw * j + kw]
            {body}
    return dx
'''
FIRST = '''flat = win.reshape(n, c, -1)
            k = {pick}
            r, q = np.unravel_index(k, (kh, kw))
            for a in range(n):
                for b in range(c):
                    dx[a, b, sh * i + r[a, b], sw * j + q[a, b]] {op} dout[a, b, i, j]'''


def _pool(doc: str, decls: str, body: str) -> str:
    return (f'"""{doc}"""\n\n{POOL_HEAD}{decls}\n{POOL_FORWARD}\n\n'
            f'def backward(dout, cache):\n    """{doc}"""\n{POOL_LOOP.format(body=body)}')


def _first(pick: str = "flat.argmax(axis=-1)", op: str = "+=") -> str:
    return FIRST.format(pick=pick, op=op)


WINDOW = "dx[:, :, sh * i:sh * i + kh, sw * j:sw * j + kw] += "
POOL_PLANTED = {
    "correct_maxpool2d": _pool("Correct: each window's dout added at its first arg-max.",
                               "EXPECT: dict[str, str] = {}", _first()),
    "maxpool2d_spread_over_window": _pool(
        "Bug: dout / (KH·KW) to every element of the window (average pooling's gradient).",
        'EXPECT = {"dx": "not_routed_to_max"}',
        WINDOW + "dout[:, :, i, j, None, None] / (kh * kw)"),
    "maxpool2d_shared_max_overwritten": _pool(
        "Bug: dx[arg-max] = dout (assigned): a maximum of two overlapping windows keeps one.",
        f'EXPECT = {{"dx": "localized"}}\nPATTERN = {{"dx": "{SHARED}"}}', _first(op="=")),
    "maxpool2d_ties_duplicated": _pool(
        "Bug: the mask win == max sends the whole dout to every tied maximum (it must be split).",
        f'EXPECT = {{"dx": "localized"}}\nPATTERN = {{"dx": "{TIED}"}}',
        WINDOW + "(win == win.max(axis=(2, 3), keepdims=True)) * dout[:, :, i, j, None, None]"),
}
POOL_CORRECT = {
    "maxpool2d_loop_argmax": _pool("Loops, np.argmax (the first maximum, torch's choice).", "",
                                   _first()),
    "maxpool2d_last_tie": _pool(
        "The last of tied maxima gets dout (torch: the first); a valid split of a tie.",
        'NOTES = ("subgradient_at_kink",)',
        _first(pick="flat.shape[-1] - 1 - flat[..., ::-1].argmax(axis=-1)")),
    "maxpool2d_split_ties": _pool(
        "dout shared equally among tied maxima: a valid split (mask / its count).",
        'NOTES = ("subgradient_at_kink",)',
        "mask = win == win.max(axis=(2, 3), keepdims=True)\n            "
        + WINDOW + "mask / mask.sum(axis=(2, 3), keepdims=True) * dout[:, :, i, j, None, None]"),
    "maxpool2d_float32": _pool("float32 run of the argmax loop.", 'DTYPE = "float32"', _first()),
}
