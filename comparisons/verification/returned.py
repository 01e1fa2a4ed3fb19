"""What a user's backward returned for one gradient, read as an array, and its dtype judged.

Accepted as arrays: NumPy arrays, Python lists (and lists of lists) of numbers
(``np.asarray``), torch tensors (detached, on the CPU), booleans and integers (their values are
judged). Not arrays: ``None`` ("missing"), ragged lists (dtype object), strings, anything NumPy
cannot read (an exception inside the object's own ``__array__`` included).

A float gradient of lower precision than the run (float32 in a float64 run) is ``wrong_dtype``
when its values are right at the float32 tolerance; when they are wrong even so, their own
diagnosis stands, with a ``wrong_dtype`` note. A float64 gradient in a float32 run is fine.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.verification import diagnose_messages as msg
from comparisons.verification.diagnose import Diagnosis


def as_gradient(value: Any) -> tuple[NDArray[Any] | None, str]:
    """``(array, "")``, or ``(None, what it is)`` when ``value`` is not a numeric array."""
    if value is None:
        return None, "None"
    try:
        if callable(getattr(value, "detach", None)):  # a torch tensor
            value = value.detach().cpu().numpy()
        arr = np.asarray(value)
    except ValueError as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            return None, "an array of dtype object (a ragged list?)"
        return None, f"a {type(value).__name__} NumPy cannot read as an array"
    except Exception:  # the object's own __array__ / detach may raise anything
        return None, f"a {type(value).__name__} NumPy cannot read as an array"
    if arr.dtype == object:
        return None, "an array of dtype object (a ragged list?)"
    if arr.dtype.kind not in "biuf":
        kind = "an array" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"
        return None, f"{kind} of dtype {arr.dtype}"
    return arr, ""


def not_an_array(name: str, given: Any, what: str, shape: tuple[int, ...]) -> Diagnosis:
    """``wrong_shape`` "missing" for None, ``wrong_dtype`` naming what came back otherwise."""
    if given is None:
        return Diagnosis("wrong_shape", f"{name} is missing: your backward returned "
                         f"NoneType where an array of shape {shape} was due.",
                         details={"given": "NoneType"})
    return Diagnosis("wrong_dtype", msg.not_numeric(name, what, shape),
                     details={"given": type(given).__name__, "given_dtype": what})


def lower_precision(arr: NDArray[Any], dtype: str) -> bool:
    """A float array of fewer bits than the run's dtype (float32 in a float64 run)."""
    return arr.dtype.kind == "f" and arr.dtype.itemsize < np.dtype(dtype).itemsize


def dtype_diagnosis(name: str, arr: NDArray[Any], dtype: str, at_low: Diagnosis) -> Diagnosis:
    """The diagnosis of a lower-precision gradient, from ``at_low`` (judged at its tolerance)."""
    given = arr.dtype.name
    details = {"given_dtype": given, "run_dtype": dtype, "at_given_precision": at_low.code}
    if at_low.passed:
        return replace(at_low, code="wrong_dtype", passed=False, details=details,
                       message=msg.wrong_dtype(name, given, dtype))
    note = "wrong_dtype: " + msg.wrong_dtype(name, given, dtype, values_right=False)
    return replace(at_low, notes=(*at_low.notes, note),
                   details={**at_low.details, **details})
