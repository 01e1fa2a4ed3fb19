"""The one tolerance table, used by tests, the CLI and notebooks alike.

A comparison passes when ``max|actual - expected| <= atol + rtol * max|expected|`` (a norm-wise
rule on the whole tensor, so elements that happen to be near zero do not inflate the error).

Policy
------
* ``float64`` is the precision in which derivations are judged: hand-written gradients and
  autograd differ only by rounding in a different order of operations, so ``rtol = 1e-12``.
* ``float32`` carries ~7 significant digits; sums over a batch lose a few more. Autograd
  comparisons in float32 use ``rtol = 1e-5``; anything failing that is rerun in float64 by
  ``verify`` before it is called a bug.
* Central finite differences (computed in float64 with a step of ~1e-6) have truncation error
  O(h^2) and rounding error O(eps/h) relative to the function's scale: ``rtol = 1e-6``.
  A float32 backward compared with float64 finite differences gets the float32 rule.
* Lockstep training compares whole curves after many updates, where rounding compounds:
  ``rtol = 1e-10`` in float64 (both engines do the same float64 operations, so their curves
  differ by rounding only), ``1e-4`` in float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import DTypeLike

Against = Literal["forward", "autograd", "finite_differences", "lockstep"]


@dataclass(frozen=True)
class Tolerance:
    """Relative and absolute tolerance of the norm-wise rule (see module docstring)."""

    rtol: float
    atol: float

    def allows(self, max_abs_err: float, scale: float) -> bool:
        """True when ``max_abs_err <= atol + rtol * scale`` (scale = max|expected|)."""
        return bool(max_abs_err <= self.atol + self.rtol * scale)


TOLERANCES: dict[tuple[str, str], Tolerance] = {
    ("forward", "float64"): Tolerance(rtol=1e-12, atol=1e-14),
    ("autograd", "float64"): Tolerance(rtol=1e-12, atol=1e-14),
    ("finite_differences", "float64"): Tolerance(rtol=1e-6, atol=1e-9),
    ("lockstep", "float64"): Tolerance(rtol=1e-10, atol=1e-13),
    ("forward", "float32"): Tolerance(rtol=1e-5, atol=1e-6),
    ("autograd", "float32"): Tolerance(rtol=1e-5, atol=1e-6),
    ("finite_differences", "float32"): Tolerance(rtol=1e-4, atol=1e-6),
    ("lockstep", "float32"): Tolerance(rtol=1e-4, atol=1e-6),
}


def dtype_name(dtype: DTypeLike) -> str:
    """Canonical name ``"float32"`` or ``"float64"``; ValueError for anything else."""
    name = np.dtype(dtype).name
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype: expected float32 or float64, got {name}")
    return name


def tolerance(against: str, dtype: DTypeLike = np.float64) -> Tolerance:
    """The tolerance for a witness (``against``) at a precision (``dtype``)."""
    key = (against, dtype_name(dtype))
    if key not in TOLERANCES:
        known = sorted({k[0] for k in TOLERANCES})
        raise ValueError(f"against: expected one of {known}, got {against!r}")
    return TOLERANCES[key]
