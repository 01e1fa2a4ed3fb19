"""The input validators of the handmade operations, public for the rest of the project.

The same helpers the handmade modules use (defined in ``handmade._checks``): each raises a
one-line ``ValueError`` naming the argument, the expected and the given value, and returns the
(possibly converted) value. The data loaders and experiments of ``comparisons`` import them
from here.
"""

from __future__ import annotations

from handmade._checks import (
    check_cache,
    check_finite,
    check_float_array,
    check_grad,
    check_labels,
    check_nonnegative,
    check_positive_int,
    check_probability,
    check_rng,
    check_same_dtype,
    check_scalar_grad,
    check_shape,
)

__all__ = [
    "check_cache", "check_finite", "check_float_array", "check_grad", "check_labels",
    "check_nonnegative", "check_positive_int", "check_probability", "check_rng",
    "check_same_dtype", "check_scalar_grad", "check_shape",
]  # fmt: skip
