"""Diagnosis engine of ``backprop-lab verify``: say *which* mistake a wrong gradient is.

``diagnose(given, expected, name=..., tol=..., context=...)`` compares one hand-written gradient
with its reference (autograd) gradient and returns a :class:`Diagnosis` whose ``code`` is one of
:data:`CODES`. Checks run in this precedence (the first that fits wins):

Shapes differ:
  1. ``transposed``  given.T has the expected shape and matches (a non-square dW returned as
     (D_in, D_out)); if given.T has the right shape but other values: ``wrong_shape``, with what
     the transposed array would be diagnosed as.
  2. ``not_summed_over_batch``  given has an extra leading axis (size > 1), or a leading axis
     where the reference has size 1, whose sum or mean over axis 0 matches.
  3. ``wrong_shape``  anything else; says when the values are right but an axis of size 1 is
     extra or missing (the (1, D) vs (D,) bug broadcasting would hide).
Shapes equal (a NaN/Inf in the reference gives ``unknown``; in given a dedicated message):
  4. ``ok``  norm-wise closeness ``max|g - e| <= atol + rtol * max|e|``.
  5. ``zero``  ``max|g| <= atol`` while the reference is not.
  6. ``transposed``  a square (2-D) gradient equal to the reference transposed.
  7. ``sign_flipped``  given equals minus the reference.
  8. context candidates, in :data:`CANDIDATE_ORDER` (``mask_not_applied`` reports as
     ``dropout_scale_missing``).
  9. ``scaled``  given equals f times the reference (least squares f = <g,e>/<e,e>, f != 1);
     f snaps to a factor named by what it equals in the case (2, 1/2, N·q, q, 1/N, 1 - p,
     (1 - p)/p, 2ℓ, 1/dout, ...: :mod:`comparisons.verification.factors`), its usual cause named.
 10. ``localized``  at most half of the elements are wrong: count, first indices and a pattern
     (a context mask equal to / containing the wrong set, one row, one column).
 11. ``unknown``.

Two codes are set by the verify front-end, not here: ``upstream_ignored`` is the candidate
"the reference gradient with dout = ones" (a backward of a non-scalar op that drops dout), and
``consistent_with_own_forward`` replaces a failing code when the user's forward is wrong and
the gradient matches central differences of that forward
(:mod:`comparisons.verification.forward_diff`). ``wrong_dtype`` (a float32 gradient in a float64
run,
right at float32 tolerance; a ragged list of dtype object) comes from
:mod:`comparisons.verification.returned`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from comparisons.verification.diagnose_context import CANDIDATE_ORDER, Candidate, DiagnosisContext
from comparisons.verification.diagnose_numeric import F64, ToleranceLike
from comparisons.verification.patterns import shape_finding, value_finding

__all__ = [
    "CANDIDATE_ORDER", "CODES", "Candidate", "Diagnosis", "DiagnosisContext", "diagnose",
    "first_divergence",
]  # fmt: skip

CODES = (
    "ok", "wrong_shape", "transposed", "sign_flipped", "scaled", "not_summed_over_batch",
    "missing_l2_term", "missing_activation_derivative", "dropout_scale_missing", "zero",
    "localized", "unknown", "upstream_ignored", "consistent_with_own_forward", "wrong_dtype",
    "missing_statistics_paths", "missing_gamma", "variance_convention",
    "repeated_index_not_accumulated", "missing_cross_terms",
    "kernel_flipped", "not_routed_to_max",
)  # fmt: skip


@dataclass(frozen=True)
class Diagnosis:
    """What is wrong with one gradient. ``passed`` is True exactly when ``code == "ok"``.

    ``max_abs_err`` / ``max_rel_err`` (norm-wise: ``max_abs_err / max|expected|``) are None when
    the shapes differ. ``factor`` is set for ``scaled``. ``details`` holds JSON-ready extras
    (indices, pattern, shapes, factor labels). ``notes`` are remarks on a passing (or failing)
    gradient that are not a diagnosis, each ``"code: sentence"`` (``"subgradient_at_kink: ..."``,
    ``"upstream_not_applied: ..."``).
    """

    code: str
    message: str
    factor: float | None = None
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    passed: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; non-finite floats (from NaN gradients) become None."""
        row = asdict(self)
        for key in ("factor", "max_abs_err", "max_rel_err"):
            if row[key] is not None and not math.isfinite(row[key]):
                row[key] = None
        return row


def _as_f64(a: ArrayLike, what: str) -> F64:
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: expected a numeric array, got {type(a).__name__}") from exc


def _errors(g: F64, e: F64) -> tuple[float, float]:
    """Max abs error and norm-wise relative error (as ``comparisons.core.compare``)."""
    if g.size == 0:
        return 0.0, 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        abs_err = float(np.max(np.abs(g - e)))
    scale = float(np.max(np.abs(e)))
    return abs_err, abs_err / max(scale, float(np.finfo(np.float64).tiny))


def diagnose(
    given: ArrayLike,
    expected: ArrayLike,
    *,
    name: str,
    tol: ToleranceLike,
    context: DiagnosisContext | None = None,
) -> Diagnosis:
    """Diagnose ``given`` (the user's gradient) against ``expected`` (the reference gradient).

    ``tol`` is any object with ``rtol`` and ``atol``; both arrays are judged in float64.
    ``name`` (e.g. "dW1") starts every message.
    """
    ctx = context if context is not None else DiagnosisContext()
    g, e = _as_f64(given, "given"), _as_f64(expected, "expected")
    if g.shape != e.shape:
        found = shape_finding(g, e, name, tol, ctx)
        return Diagnosis(found.code, found.message, found.factor, None, None, False, found.details)
    found = value_finding(g, e, name, tol, ctx)
    abs_err, rel_err = _errors(g, e)
    ok = found.code == "ok"
    return Diagnosis(found.code, found.message, found.factor, abs_err, rel_err, ok, found.details)


def _ancestors(name: str, deps: Mapping[str, list[str]]) -> set[str]:
    """Everything ``name`` depends on, transitively (cycle-safe)."""
    seen: set[str] = set()
    stack = list(deps.get(name, []))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(deps.get(node, []))
    seen.discard(name)
    return seen


def first_divergence(
    results: Mapping[str, Diagnosis], order: list[str], deps: Mapping[str, list[str]]
) -> str | None:
    """The first gradient in ``order`` that is wrong while all it depends on is right.

    ``deps`` maps a gradient to the gradients it is computed from (followed transitively;
    names absent from ``results`` are not evidence either way). Names of ``order`` missing from
    ``results`` are skipped. None when every checked gradient passed; with a dependency cycle
    and no clean first error, the first wrong gradient in ``order``.
    """
    wrong = [n for n in order if n in results and not results[n].passed]
    for n in wrong:
        if all(results[a].passed for a in _ancestors(n, deps) if a in results):
            return n
    return wrong[0] if wrong else None
