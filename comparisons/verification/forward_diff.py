"""How a user's forward value differs from the reference's, when a known pattern explains it.

:func:`forward_difference` compares the user's forward ``out`` with the reference ``ref``
(float64) and names the first pattern that fits:

1. a constant factor ``out = f · ref`` with f a named value: a size of the case (×N: a sum
   where the reference takes the mean; ×1/N: the other way round), ×2 / ×½ (the ½
   convention), n/(n − 1) or √((n − 1)/n) (an unbiased variance); found within
   :data:`PATTERN_RTOL`, "≈" when not exact within the forward tolerance;
   and, when the op adds an input last (``shift``: batch norm's β), the same factor between
   ``out − shift`` and ``ref − shift`` ("yours − β = √((N − 1)/N) × (the reference − β)");
2. a constant offset ``out = ref + c`` (arrays only: for a scalar any difference is one);
3. a tiny relative difference (at most :data:`TINY_RELATIVE`): a different eps or a
   stabiliser such as log(p + 1e-5);
4. an unnamed constant factor (arrays only).

:func:`own_forward_diagnosis` turns a gradient that fails against autograd but matches
central differences of the user's own forward (while that forward is wrong) into
``consistent_with_own_forward``: the backward is right for the forward the user wrote.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from comparisons.core.compare import Check
from comparisons.core.tolerances import Tolerance
from comparisons.verification.diagnose import Diagnosis
from comparisons.verification.diagnose_numeric import F64, ToleranceLike, close

PATTERN_RTOL = 1e-4  # a factor / fit within this relative distance is named ("≈" if not exact)
PATTERN_TOL = Tolerance(rtol=PATTERN_RTOL, atol=0.0)
TINY_RELATIVE = 1e-3  # a forward this close (norm-wise relative) "differs slightly"
CODE = "consistent_with_own_forward"


def sizes_of(dims: Mapping[str, int], inputs: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Pairwise products of the case's sizes (``"N·D"``: numel of an (N, D) array), then the
    sizes themselves, then axes of the inputs no size names yet (``"x.shape[1]"``: a custom
    layer's fixed axis); only values > 1. A product comes first: with N = 1, a sum over all
    elements is named ×N·D, not ×D."""
    keys = list(dims)
    products = {f"{a}·{b}": int(dims[a]) * int(dims[b])
                for i, a in enumerate(keys) for b in keys[i + 1:]}
    named = {**products, **{k: int(v) for k, v in dims.items()}}
    for name, value in (inputs or {}).items():
        for axis, n in enumerate(np.shape(value) if isinstance(value, np.ndarray) else ()):
            if n not in named.values():
                named[f"{name}.shape[{axis}]"] = int(n)
    return {k: v for k, v in named.items() if v > 1}


def named_factors(sizes: Mapping[str, int]) -> list[tuple[str, float, str]]:
    """(label, value, cause) of every factor with a usual cause, most common first."""
    out: list[tuple[str, float, str]] = [
        ("2", 2.0, "the ½ convention: the reference has a ½ (e.g. lam/2 ‖W‖², ½ (o − y)²) "
                   "and yours does not"),
        ("½", 0.5, "the ½ convention: yours has a ½ the reference does not"),
    ]
    for label, n in sizes.items():
        out += [(label, float(n), f"a sum where the reference takes the mean ({label} = {n})"),
                (f"1/{label}", 1.0 / n, f"a mean where the reference sums ({label} = {n})")]
    for label, n in sizes.items():
        if "·" in label:
            continue
        unbiased = f"an unbiased variance (÷ ({label} − 1)) where the reference divides by " \
                   f"{label} = {n}"
        out += [(f"{label}/({label} − 1)", n / (n - 1.0), unbiased),
                (f"√(({label} − 1)/{label})", math.sqrt((n - 1.0) / n),
                 unbiased + ", under a square root (normalised by the std)")]
    return out


def _factor(u: F64, r: F64, sizes: Mapping[str, int], tol: ToleranceLike) -> str | None:
    rr = float(np.vdot(r, r))
    if rr == 0.0 or not math.isfinite(rr):
        return None
    f = float(np.vdot(u, r)) / rr
    if not close(u, f * r, PATTERN_TOL):
        return None
    for label, value, cause in named_factors(sizes):
        if abs(f - value) <= PATTERN_RTOL * abs(value):
            exact = close(u, value * r, tol)
            return f"yours {'=' if exact else '≈'} {label} × the reference: {cause}"
    return None if u.size == 1 else f"yours = {f:.6g} × the reference (a constant factor)"


def _shifted_factor(u: F64, r: F64, sizes: Mapping[str, int], tol: ToleranceLike,
                    shift: tuple[str, Any] | None) -> str | None:
    """A named factor between ``u − s`` and ``r − s`` (``shift = (name, s)``), else None."""
    if shift is None:
        return None
    name, value = shift
    s = np.asarray(value, dtype=np.float64)
    try:
        found = _factor(u - s, r - s, sizes, tol)
    except ValueError:  # s does not broadcast to out
        return None
    if found is None or found.endswith("(a constant factor)"):
        return None
    return found.replace("yours", f"yours − {name}", 1).replace(
        "× the reference", f"× (the reference − {name})", 1)


def forward_difference(out: Any, ref: Any, sizes: Mapping[str, int],
                       tol: ToleranceLike, shift: tuple[str, Any] | None = None) -> str | None:
    """A phrase naming how ``out`` differs from ``ref`` (see the module docstring), or None.

    ``shift``: (name, array) of the input the op adds to its output last, or None.
    """
    u, r = np.asarray(out, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if u.shape != r.shape or not (np.all(np.isfinite(u)) and np.all(np.isfinite(r))):
        return None
    found = _factor(u, r, sizes, tol)
    if found is not None and not found.endswith("(a constant factor)"):
        return found
    shifted = _shifted_factor(u, r, sizes, tol, shift)
    if shifted is not None:
        return shifted
    d = u - r
    if u.size > 1 and close(d, np.full_like(d, d.mean()), tol):
        return f"a constant offset: yours − the reference = {float(d.mean()):.6g} everywhere"
    scale = max(float(np.max(np.abs(r))), float(np.finfo(np.float64).tiny))
    rel = float(np.max(np.abs(d))) / scale
    if rel <= TINY_RELATIVE:
        return (f"a tiny relative difference ({rel:.2g}): a different eps or a stabiliser "
                f"such as log(p + 1e-5)")
    return found


def own_forward_diagnosis(name: str, diag: Diagnosis, fd: Check | None,
                          difference: str | None) -> Diagnosis:
    """``consistent_with_own_forward`` for a gradient wrong against autograd, right by fd.

    Call only when the user's forward value is wrong. ``diag`` is returned unchanged when it
    passed, or when no finite-difference witness exists or it failed.
    """
    if diag.passed or fd is None or not fd.passed:
        return diag
    what = difference or "no known pattern explains the difference"
    message = (f"{name} matches your own forward: your backward is right for your forward; "
               f"your forward differs from the reference ({what}). Central differences of "
               f"your forward agree with {name} (against autograd it reads as {diag.code}). "
               f"Fix the forward; a backward derived from the right forward will follow.")
    details = {**diag.details, "against_reference": diag.code, "forward_difference": difference}
    return Diagnosis(CODE, message, None, diag.max_abs_err, diag.max_rel_err, False,
                     details, diag.notes)
