"""Inverted dropout by hand.

Training: ``out = x * mask / (1 - p)`` with a boolean ``mask`` (True = kept, P(kept) = 1 - p),
so ``E[out] = x``; ``dx = dout * mask / (1 - p)``. Evaluation (``train=False``) and p = 0
without a mask: identity, ``dx = dout``. p = 1 drops every unit: ``out = 0`` and ``dx = 0``
(as ``torch.nn.Dropout(1.0)`` and D2L's ``dropout_layer``; there is no 1 / (1 - p) to take).
Any shape; out and dx have x's shape and dtype.

A given mask is a bool array, or a numeric one holding exactly 0s and 1s (CS231n's
``(np.random.rand(*x.shape) < keep)`` cast to float, or ints), converted to bool; any other
value (0.5, 2, NaN) is a one-line ValueError naming ``mask``.

Masks are drawn from a *uniform* generator, ``rng.random(shape) >= p`` (drawing from a normal
generator is a classic bug that passes every gradient check but keeps the wrong fraction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, cast

import numpy as np

from handmade._checks import (
    check_cache,
    check_float_array,
    check_grad,
    check_probability,
    check_rng,
    check_shape,
)
from handmade.module import Module
from handmade.types import BoolArray, FloatArray, FloatDType

MaskSource = Callable[[tuple[int, ...]], BoolArray]
"""A callable ``(shape) -> bool ndarray``; share one between handmade and reference."""


class DropoutCache(NamedTuple):
    """The mask used (None when the forward was the identity), p, train flag, x's shape/dtype."""

    mask: BoolArray | None
    p: float
    train: bool
    shape: tuple[int, ...]
    dtype: FloatDType


def make_dropout_mask(shape: Sequence[int], p: float, rng: np.random.Generator) -> BoolArray:
    """Boolean mask of ``shape``: ``rng.random(shape) >= p``, so P(True) = 1 - p (all False
    for p = 1)."""
    p = check_probability("p", p, allow_one=True)
    return check_rng("rng", rng).random(tuple(shape)) >= p


def _check_mask(mask: object, shape: tuple[int, ...]) -> BoolArray:
    """A given mask: a bool ndarray of x's shape, or a numeric one of exactly 0s and 1s
    (converted to bool)."""
    if isinstance(mask, np.ndarray) and mask.dtype != np.bool_ and (
            np.issubdtype(mask.dtype, np.integer) or np.issubdtype(mask.dtype, np.floating)):
        binary = (mask == 0) | (mask == 1)
        if not binary.all():
            bad = mask[~binary].flat[0].item()
            raise ValueError(f"mask: expected a bool ndarray or exactly 0s and 1s, got the "
                             f"value {bad!r}")
        mask = mask != 0
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        kind = mask.dtype if isinstance(mask, np.ndarray) else type(mask).__name__
        raise ValueError(f"mask: expected a bool ndarray or exactly 0s and 1s, got {kind}")
    return check_shape("mask", mask, shape, note="to match x")


def dropout_forward(
    x: FloatArray,
    p: float,
    *,
    mask: BoolArray | None = None,
    rng: np.random.Generator | None = None,
    train: bool = True,
) -> tuple[FloatArray, DropoutCache]:
    """``x * mask / (1 - p)`` while training, identity otherwise.

    The mask is ``mask`` if given (bool, or exactly 0s and 1s), else drawn with
    ``make_dropout_mask(x.shape, p, rng)``; with p = 0 and no mask nothing is drawn. p = 1
    returns zeros whatever the mask (all False when none is given; nothing is drawn).
    Training with 0 < p < 1 needs a mask or an rng.
    """
    check_float_array("x", x)
    p = check_probability("p", p, allow_one=True)
    if not train:
        return x.copy(), DropoutCache(None, p, False, x.shape, x.dtype)
    if mask is not None:
        mask = _check_mask(mask, x.shape)
    elif p == 1:
        mask = np.zeros(x.shape, dtype=np.bool_)
    elif p == 0:
        return x.copy(), DropoutCache(None, p, True, x.shape, x.dtype)
    elif rng is None:
        raise ValueError(
            f"mask, rng: expected a mask or an rng while training with p={p}, got neither"
        )
    else:
        mask = make_dropout_mask(x.shape, p, rng)
    cache = DropoutCache(mask, p, True, x.shape, x.dtype)
    if p == 1:  # every unit dropped; x * mask / 0 would be NaN
        return np.zeros_like(x), cache
    return x * mask / (1 - p), cache


def dropout_backward(dout: FloatArray, cache: DropoutCache) -> FloatArray:
    """``dx = dout * mask / (1 - p)`` (identity when the forward was; zeros for p = 1)."""
    cache = check_cache("cache", cache, DropoutCache, "dropout_forward")
    check_grad("dout", dout, cache.shape, cache.dtype)
    if cache.mask is None:
        return cast(FloatArray, dout.copy())
    if cache.p == 1:
        return np.zeros_like(dout)
    return dout * cache.mask / (1 - cache.p)


class Dropout(Module):
    """Inverted dropout layer; active only while ``training``.

    The mask comes from ``mask_source(shape)`` if given, else ``make_dropout_mask`` with
    ``rng``. The last mask used is kept in ``self.mask`` (None when the layer was identity).
    ``p`` in [0, 1]; p = 1 outputs zeros (and dx = 0) while training, as torch.nn.Dropout(1.0).
    """

    def __init__(
        self,
        p: float,
        *,
        rng: np.random.Generator | None = None,
        mask_source: MaskSource | None = None,
    ) -> None:
        super().__init__()
        self.p = check_probability("p", p, allow_one=True)
        self.rng = None if rng is None else check_rng("rng", rng)
        if mask_source is not None and not callable(mask_source):
            raise ValueError(f"mask_source: expected a callable, got {type(mask_source).__name__}")
        self.mask_source = mask_source
        self.mask: BoolArray | None = None
        self.cache: DropoutCache | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """Apply dropout (training) or the identity (eval); remember the mask."""
        mask = None
        if self.training and self.p > 0 and self.mask_source is not None:
            mask = self.mask_source(x.shape)
        out, self.cache = dropout_forward(x, self.p, mask=mask, rng=self.rng, train=self.training)
        self.mask = self.cache.mask
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """dx for the last forward."""
        if self.cache is None:
            raise RuntimeError("Dropout.backward: call forward first")
        return dropout_backward(dout, self.cache)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
