"""The one comparison helper: strict shape, then dtype, then values under the tolerance table.

Every check in the project (tests, ``backprop-lab check``, ``verify``, notebooks) goes through
:func:`compare`, so a (64,) vs (1, 64) shape bug can never pass by broadcasting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.core.tolerances import Tolerance, tolerance

TINY = np.finfo(np.float64).tiny


@dataclass(frozen=True)
class Check:
    """One row of a report: one tensor compared with one witness.

    ``max_abs_err`` and ``max_rel_err`` are None when no value comparison was possible
    (wrong shape, missing gradient). ``max_rel_err = max_abs_err / max(max|expected|, tiny)``.
    """

    name: str
    tensor: str
    dtype: str
    shape: list[int]
    against: str
    max_abs_err: float | None
    max_rel_err: float | None
    passed: bool
    message: str = ""
    ignored: int = 0

    def to_json(self) -> dict[str, Any]:
        """The JSON row of ``backprop-lab check --json``."""
        return asdict(self)


def to_numpy(a: Any) -> NDArray[Any] | None:
    """NumPy view of an array-like or a torch tensor (detached, on the CPU); None stays None."""
    if a is None:
        return None
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def _fail(name: str, tensor: str, against: str, actual: Any, message: str) -> Check:
    dtype = str(actual.dtype) if isinstance(actual, np.ndarray) else type(actual).__name__
    shape = list(actual.shape) if isinstance(actual, np.ndarray) else []
    return Check(name, tensor, dtype, shape, against, None, None, False, message)


def _structure_problem(a: NDArray[Any] | None, e: NDArray[Any], check_dtype: bool) -> str:
    if a is None:
        return f"missing: expected an array of shape {tuple(e.shape)}, got None"
    if a.shape != e.shape:
        hint = " (the transpose of the expected shape)" if a.shape == e.shape[::-1] else ""
        return f"wrong shape: expected {tuple(e.shape)}, got {tuple(a.shape)}{hint}"
    if not np.issubdtype(a.dtype, np.number):
        return f"wrong dtype: expected {e.dtype}, got {a.dtype}"
    if check_dtype and a.dtype != e.dtype:
        return f"wrong dtype: expected {e.dtype}, got {a.dtype}"
    if not np.all(np.isfinite(a)):
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        return f"non-finite values: {bad} of {a.size} elements are NaN or Inf"
    return ""


def compare(
    actual: Any,
    expected: Any,
    *,
    name: str,
    tensor: str,
    against: str,
    tol: Tolerance | None = None,
    check_dtype: bool = True,
    ignore: NDArray[np.bool_] | None = None,
) -> Check:
    """Compare ``actual`` with ``expected``: shape, dtype, then values (norm-wise rule).

    actual, expected: arrays or torch tensors of identical shape. ``ignore`` (bool, same shape)
    marks elements left out of the value comparison (e.g. inputs on a ReLU kink, where finite
    differences cannot be trusted); their count is reported in ``ignored``. The tolerance
    defaults to ``tolerance(against, expected.dtype)`` from the one table.
    """
    e = to_numpy(expected)
    a = to_numpy(actual)
    if e is None:
        raise ValueError(f"expected: the reference value for {name}/{tensor} is None")
    problem = _structure_problem(a, e, check_dtype)
    if problem:
        return _fail(name, tensor, against, a, problem)
    assert a is not None
    tol = tol or tolerance("autograd" if against == "forward" else against, e.dtype)
    keep = np.ones(e.shape, bool) if ignore is None else ~np.asarray(ignore, bool)
    diff = np.abs(a.astype(np.float64) - e.astype(np.float64))[keep]
    scale = float(np.max(np.abs(e.astype(np.float64))[keep], initial=0.0))
    max_abs = float(np.max(diff, initial=0.0))
    max_rel = max_abs / max(scale, TINY)
    passed = tol.allows(max_abs, scale)
    n_ignored = int(e.size - np.count_nonzero(keep))
    message = "" if passed else (
        f"max abs error {max_abs:.3g} > {tol.atol:g} + {tol.rtol:g}·{scale:.3g}")
    if n_ignored:
        note = f"{n_ignored} untrusted element(s) left out"
        message = f"{message}; {note}" if message else note
    return Check(name, tensor, str(a.dtype), list(a.shape), against, max_abs, max_rel, passed,
                 message, n_ignored)
