"""L2 weight penalty by hand (the ``s`` node of the D2L graph, one weight at a time).

``s = lam/2 * sum(W**2)`` (with the 1/2, so that ``ds/dW = lam * W``). W: any shape.
"""

from __future__ import annotations

from typing import NamedTuple, cast

import numpy as np

from handmade._checks import (
    check_cache,
    check_float_array,
    check_nonnegative,
    check_scalar_grad,
)
from handmade.types import FloatArray, RealScalar


class L2Cache(NamedTuple):
    """The weight and lambda."""

    W: FloatArray
    lam: float


def l2_penalty_forward(W: FloatArray, lam: float) -> tuple[FloatArray, L2Cache]:
    """``s = lam/2 * ||W||_F^2`` as a 0-d array of W's dtype; lam >= 0."""
    check_float_array("W", W)
    lam = check_nonnegative("lam", lam)
    s = lam / 2 * np.sum(W * W)
    return np.asarray(s, dtype=W.dtype), L2Cache(W, lam)


def l2_penalty_backward(ds: RealScalar, cache: L2Cache) -> FloatArray:
    """``dW = ds * lam * W`` (W's shape and dtype)."""
    W, lam = check_cache("cache", cache, L2Cache, "l2_penalty_forward")
    d = check_scalar_grad("ds", ds, W.dtype)
    return cast(FloatArray, W * (d * W.dtype.type(lam)))
