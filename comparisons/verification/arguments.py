"""Checks of ``verify``'s and ``verify_file``'s own arguments: one-line ValueErrors.

Each names the argument, what was expected and what was given, e.g.
``"seed: expected a non-negative integer, got 1.7"``. Nothing is silently converted: a float
seed is not truncated, an empty ``against`` does not fall back to ``"linear"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.tolerances import dtype_name


def check_seed(seed: Any) -> int:
    """``seed`` as an ``int``: a Python or NumPy integer >= 0 (not a bool, float or string)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def check_against(against: Any, *, custom: bool) -> str | None:
    """``against``: None (the default), or a built-in op's name; with ``custom`` (a layer of
    the user's own) any non-empty name."""
    if against is None:
        return None
    known = ", ".join(BUILTIN_OPS)
    if custom:
        if not isinstance(against, str) or not against.strip():
            raise ValueError(f"against: expected a non-empty op name (a built-in op: {known}; "
                             f"or your layer's name), got {against!r}")
        return against
    if not isinstance(against, str) or against not in BUILTIN_OPS:
        raise ValueError(f"against: expected one of {known} (or a layer of your own with "
                         f"reference and shapes), got {against!r}")
    return against


def check_dtype(dtype: Any) -> str:
    """``"float32"`` or ``"float64"`` (a NumPy dtype or its name); ValueError otherwise."""
    if dtype is None:
        raise ValueError("dtype: expected float32 or float64, got None")
    try:
        return dtype_name(dtype)
    except TypeError:  # np.dtype("abc") is a TypeError
        raise ValueError(f"dtype: expected float32 or float64, got {dtype!r}") from None
