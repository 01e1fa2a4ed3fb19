"""Input validation shared by every handmade operation.

Each helper raises ``ValueError`` with a one-line message that names the argument, says what
was expected and what was received, e.g.
``"W: expected shape (D_out, D_in) with D_in=3 to match x, got (4, 5)"``.
Helpers return the (possibly converted) value so call sites stay short.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from handmade.types import FloatArray, IntArray, RealScalar

A = TypeVar("A", bound=NDArray[Any])
K = TypeVar("K")

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _describe(a: object) -> str:
    """Short description of an object's kind for error messages."""
    if isinstance(a, np.ndarray):
        return f"ndarray of dtype {a.dtype}"
    return type(a).__name__


def check_finite(name: str, a: FloatArray) -> FloatArray:
    """Reject NaN and +-Inf entries in a float array.

    Fast path: max and min propagate NaN, so both finite proves every entry finite (two
    reductions, no boolean temporary, and unlike a sum no overflow and no floating-point
    warning). Only otherwise are the bad entries counted, for the message.
    """
    if a.size == 0 or (math.isfinite(a.max()) and math.isfinite(a.min())):
        return a
    bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
    raise ValueError(f"{name}: expected finite values, got {bad} NaN/Inf entries")


def check_float_array(name: str, a: object, *, ndim: int | None = None) -> FloatArray:
    """Check that ``a`` is a non-empty, finite float32/float64 ndarray (of ``ndim`` dims).

    Arrays are never converted: a float16 or integer array is an error, not a silent upcast.
    """
    if not isinstance(a, np.ndarray) or a.dtype not in FLOAT_DTYPES:
        raise ValueError(f"{name}: expected a float32 or float64 ndarray, got {_describe(a)}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim}-D array, got {a.ndim}-D with shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {a.shape}")
    return check_finite(name, a)


def check_same_dtype(*named: tuple[str, NDArray[Any]]) -> np.dtype[Any]:
    """Check that all ``(name, array)`` pairs share one dtype; return it."""
    first_name, first = named[0]
    for name, a in named[1:]:
        if a.dtype != first.dtype:
            raise ValueError(
                f"{name}: expected dtype {first.dtype} to match {first_name}, got {a.dtype}"
            )
    return first.dtype


def check_shape(
    name: str,
    a: A,
    expected: Sequence[int],
    *,
    symbols: str | None = None,
    note: str = "",
) -> A:
    """Check ``a.shape == tuple(expected)``.

    ``symbols`` (e.g. ``"(D_out, D_in)"``) and ``note`` (e.g. ``"with D_in=3 to match x"``) only
    shape the message: ``"W: expected shape (D_out, D_in) with D_in=3 to match x, got (4, 5)"``.
    """
    expected = tuple(int(e) for e in expected)
    if a.shape != expected:
        what = symbols if symbols is not None else str(expected)
        extra = f" {note}" if note else ""
        raise ValueError(f"{name}: expected shape {what}{extra}, got {a.shape}")
    return a


def check_labels(name: str, y: object, n: int, num_classes: int) -> IntArray:
    """Check class labels: integer ndarray of shape (n,), every value in [0, num_classes)."""
    if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name}: expected an integer ndarray of labels, got {_describe(y)}")
    check_shape(name, y, (n,), symbols="(N,)", note=f"with N={n} to match the logits")
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= num_classes:
        raise ValueError(
            f"{name}: expected labels in [0, {num_classes}), got values in [{lo}, {hi}]"
        )
    return y


def _check_real_scalar(name: str, value: object) -> float:
    """Convert a Python/NumPy real scalar (or 0-d array) to ``float``; reject NaN/Inf."""
    if isinstance(value, bool) or not (
        isinstance(value, (int, float, np.integer, np.floating))
        or (isinstance(value, np.ndarray) and value.ndim == 0)
    ):
        raise ValueError(f"{name}: expected a real scalar, got {_describe(value)}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name}: expected a finite value, got {out}")
    return out


def check_probability(name: str, p: float, *, allow_one: bool = False) -> float:
    """Check a drop probability: a real scalar with 0 <= p < 1 (0 <= p <= 1 with
    ``allow_one``, for dropout that may drop every unit); return it as ``float``."""
    p = _check_real_scalar(name, p)
    if not (0.0 <= p <= 1.0 if allow_one else 0.0 <= p < 1.0):
        interval = "[0, 1]" if allow_one else "[0, 1)"
        raise ValueError(f"{name}: expected a probability in {interval}, got {p}")
    return p


def check_positive_int(name: str, value: object) -> int:
    """Check a size: a Python or NumPy integer >= 1, returned as ``int``. A float (2.5, even
    2.0) or a bool is an error, never truncated."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def check_cache(name: str, cache: object, kind: type[K], made_by: str) -> K:
    """Check that a backward got the cache its forward returned: an instance of ``kind``.

    ``"cache: expected the LinearCache returned by linear_forward, got NoneType"`` instead of
    a TypeError from unpacking None (or an AttributeError from deep inside the backward).
    """
    if not isinstance(cache, kind):
        raise ValueError(f"{name}: expected the {kind.__name__} returned by {made_by}, got "
                         f"{_describe(cache)}")
    return cache


def check_nonnegative(name: str, value: float) -> float:
    """Check a real scalar >= 0 (e.g. a weight-decay ``lam``); return it as ``float``."""
    value = _check_real_scalar(name, value)
    if value < 0:
        raise ValueError(f"{name}: expected a value >= 0, got {value}")
    return value


def check_scalar_grad(
    name: str, d: RealScalar, dtype: np.dtype[np.floating[Any]]
) -> np.floating[Any]:
    """Check an upstream gradient of a scalar output and return it as a ``dtype`` scalar.

    Accepts a Python/NumPy real scalar or a 0-d array. Casting a scalar seed to the loss's
    dtype keeps gradients in the input dtype (a float64 seed never upcasts float32 maths).
    """
    return cast("np.floating[Any]", np.dtype(dtype).type(_check_real_scalar(name, d)))


def check_grad(name: str, d: FloatArray, shape: Sequence[int], dtype: np.dtype[Any]) -> FloatArray:
    """Check an upstream gradient array: the forward output's ``shape`` and ``dtype``."""
    check_float_array(name, d)
    check_shape(name, d, shape, note="to match the forward output")
    if d.dtype != dtype:
        raise ValueError(
            f"{name}: expected dtype {dtype} to match the forward output, got {d.dtype}"
        )
    return d


def check_rng(name: str, rng: object) -> np.random.Generator:
    """Check that ``rng`` is a ``numpy.random.Generator`` (no global seeding anywhere)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"{name}: expected a numpy.random.Generator, got {_describe(rng)}")
    return rng
