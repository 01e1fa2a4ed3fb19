"""Numeric helpers of the diagnosis engine: closeness and mismatch places.

Everything here is pure NumPy and works in float64. Closeness is the project's norm-wise rule
(see ``comparisons.core.tolerances``): ``max|a - e| <= atol + rtol * max|e|``; an element counts as
mismatched when ``|a - e|`` alone exceeds that same bound, so a tensor fails the norm-wise rule
exactly when at least one element is mismatched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
MAX_INDICES = 5  # how many mismatched indices a message / details list


class ToleranceLike(Protocol):
    """Anything with ``rtol`` and ``atol`` (``comparisons.core.tolerances.Tolerance`` fits).

    Read-only members, so a frozen dataclass satisfies the protocol.
    """

    @property
    def rtol(self) -> float: ...

    @property
    def atol(self) -> float: ...


def bound(expected: F64, tol: ToleranceLike) -> float:
    """The allowed absolute error ``atol + rtol * max|expected|``."""
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return float(tol.atol) + float(tol.rtol) * scale


def close(actual: F64, expected: F64, tol: ToleranceLike) -> bool:
    """Norm-wise closeness; False for differing shapes (no broadcasting) or any NaN."""
    if actual.shape != expected.shape:
        return False
    if actual.size == 0:
        return True
    with np.errstate(invalid="ignore", over="ignore"):
        err = float(np.max(np.abs(actual - expected)))
    return bool(err <= bound(expected, tol))


def mismatch_mask(actual: F64, expected: F64, tol: ToleranceLike) -> NDArray[np.bool_]:
    """Elements whose error exceeds the norm-wise bound; non-finite elements always count."""
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(actual - expected)
    return ~(err <= bound(expected, tol))


def first_indices(mask: NDArray[np.bool_], limit: int = MAX_INDICES) -> list[list[int]]:
    """The first ``limit`` True positions of ``mask`` (C order) as lists of ints."""
    return [[int(i) for i in idx] for idx in np.argwhere(mask)[:limit]]


def _line_pattern(mismatch: NDArray[np.bool_]) -> tuple[str, dict[str, Any]] | None:
    """'only row r' / 'only column c' / 'only at index i' when all mismatches share a line."""
    where = np.argwhere(mismatch)
    if len(where) == 0:
        return None
    if mismatch.ndim == 1 and len(where) == 1:
        i = int(where[0, 0])
        last = " (the last element)" if i == mismatch.shape[0] - 1 and i > 0 else ""
        return f"only at index {i}{last}", {"index": i}
    if mismatch.ndim != 2:
        return None
    rows, cols = np.unique(where[:, 0]), np.unique(where[:, 1])
    if len(rows) == 1 and len(cols) == 1:
        return f"only at index ({int(rows[0])}, {int(cols[0])})", {"index": where[0].tolist()}
    if len(rows) == 1:
        return _line_phrase("row", int(rows[0]), mismatch.shape[0]), {"row": int(rows[0])}
    if len(cols) == 1:
        return _line_phrase("column", int(cols[0]), mismatch.shape[1]), {"column": int(cols[0])}
    return None


def _line_phrase(kind: str, k: int, count: int) -> str:
    """'only in row 3 (the last row)'."""
    if k == count - 1 and count > 1:
        return f"only in {kind} {k} (the last {kind})"
    if k == 0 and count > 1:
        return f"only in {kind} {k} (the first {kind})"
    return f"only in {kind} {k}"


def _usable_masks(
    masks: Mapping[str, NDArray[np.bool_]], shape: tuple[int, ...]
) -> list[tuple[str, NDArray[np.bool_]]]:
    """Context masks broadcast to ``shape``; masks that do not broadcast are ignored."""
    usable = []
    for label, mask in masks.items():
        try:
            usable.append((label, np.broadcast_to(np.asarray(mask, dtype=bool), shape)))
        except ValueError:
            continue
    return usable


def locate(
    mismatch: NDArray[np.bool_], masks: Mapping[str, NDArray[np.bool_]]
) -> tuple[str | None, dict[str, Any]]:
    """Name the pattern of a mismatch set, most specific first.

    1. a context mask equal to the set ("exactly where x == 0 (ReLU kink)");
    2. one row / one column / one element;
    3. the smallest context mask containing the set ("all where x <= 0").
    """
    usable = _usable_masks(masks, mismatch.shape)
    for label, mask in usable:
        if np.array_equal(mask, mismatch):
            return f"exactly where {label}", {"pattern": label, "pattern_match": "exact"}
    line = _line_pattern(mismatch)
    if line is not None:
        return line
    containing = [(int(m.sum()), label) for label, m in usable if not np.any(mismatch & ~m)]
    if containing:
        size, label = min(containing)
        phrase = f"all where {label} ({int(mismatch.sum())} of the {size} such elements)"
        return phrase, {"pattern": label, "pattern_match": "subset"}
    return None, {}
