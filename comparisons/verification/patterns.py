"""Recognisers of the diagnosis engine: each names one known mistake, or returns None.

:func:`shape_finding` handles differing shapes, :func:`value_finding` equal shapes, in the
precedence documented in :mod:`comparisons.verification.diagnose`. Arrays arrive as float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from comparisons.verification import diagnose_messages as msg
from comparisons.verification.diagnose_context import CANDIDATE_ORDER, DiagnosisContext
from comparisons.verification.diagnose_numeric import (
    F64,
    ToleranceLike,
    close,
    first_indices,
    locate,
    mismatch_mask,
)
from comparisons.verification.factors import factor_table, scalar_values, snap

LOCALIZED_MAX_FRACTION = 0.5  # "localized" when at most this share of elements is wrong


@dataclass(frozen=True)
class Finding:
    """A recogniser's verdict: code, message, factor (``scaled`` only), JSON-ready details."""

    code: str
    message: str
    factor: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


def shape_finding(g: F64, e: F64, name: str, tol: ToleranceLike, ctx: DiagnosisContext) -> Finding:
    """transposed, not_summed_over_batch or wrong_shape, for ``g.shape != e.shape``."""
    details: dict[str, Any] = {"given_shape": list(g.shape), "expected_shape": list(e.shape)}
    if g.ndim >= 2 and g.shape[::-1] == e.shape:
        inner = value_finding(g.T, e, name, tol, ctx)
        if inner.code == "ok":
            return Finding("transposed", msg.transposed_shape(name, g, e, ctx), None, details)
        details["after_transpose"] = inner.code
        return Finding("wrong_shape", msg.reversed_shape(name, g, e, inner.message), None, details)
    how = batch_reduction(g, e, tol)
    if how is not None:
        details["reduction"] = how
        return Finding("not_summed_over_batch", msg.batch_axis(name, g, e, how), None, details)
    values_right = g.size == e.size and close(g.reshape(e.shape), e, tol)
    details["values_right"] = values_right
    return Finding("wrong_shape", msg.wrong_shape(name, g, e, values_right, ctx), None, details)


def batch_reduction(g: F64, e: F64, tol: ToleranceLike) -> str | None:
    """'sum' / 'mean' when reducing ``g`` over a leading batch axis (size > 1) gives ``e``.

    The axis is either extra ((N, D) for (D,)) or stands where ``e`` has size 1 ((N, D) for
    (1, D)). A leading axis of size 1 is not a batch: (1, D) for (D,) stays ``wrong_shape``.
    """
    if g.ndim == e.ndim + 1 and g.shape[1:] == e.shape:
        keep = False
    elif g.ndim == e.ndim >= 1 and e.shape[0] == 1 and g.shape[1:] == e.shape[1:]:
        keep = True
    else:
        return None
    if g.shape[0] < 2:
        return None
    for how in ("sum", "mean"):
        if close(getattr(np, how)(g, axis=0, keepdims=keep), e, tol):
            return how
    return None


def value_finding(g: F64, e: F64, name: str, tol: ToleranceLike, ctx: DiagnosisContext) -> Finding:
    """The first fitting code for equal shapes (non-finite handled first)."""
    if not np.all(np.isfinite(e)):
        return Finding("unknown", msg.reference_not_finite(name))
    if not np.all(np.isfinite(g)):
        return non_finite(g, e, name, tol, ctx)
    if close(g, e, tol):
        return Finding("ok", msg.ok(name))
    if float(np.max(np.abs(g))) <= tol.atol:
        return Finding("zero", msg.zero(name, ctx))
    if g.ndim == 2 and g.shape[0] == g.shape[1] and close(g.T, e, tol):
        return Finding("transposed", msg.transposed_square(name, g, ctx))
    if close(-g, e, tol):
        return Finding("sign_flipped", msg.sign_flipped(name, ctx))
    for check in (candidate_finding, scaled_finding, localized_finding):
        found = check(g, e, name, tol, ctx)
        if found is not None:
            return found
    return Finding("unknown", msg.unknown(name, g, e, mismatch_mask(g, e, tol), ctx))


def _resolve(key: str, raw: Any, e: F64) -> list[F64]:
    """A candidate as float64 arrays of the reference's shape: the one, or each of a tuple's
    (one mistake written in several ways); ValueError otherwise."""
    value = raw() if callable(raw) else raw
    cands = [np.asarray(v, dtype=np.float64) for v in (value if isinstance(value, tuple)
                                                         else (value,))]
    for cand in cands:
        if cand.shape != e.shape:
            raise ValueError(f"candidates[{key!r}]: expected shape {e.shape} like the "
                             f"reference, got {cand.shape}")
    return cands


def candidate_finding(
    g: F64, e: F64, name: str, tol: ToleranceLike, ctx: DiagnosisContext
) -> Finding | None:
    """The first candidate (explicit ones win over built ones) that ``g`` matches."""
    candidates = {**ctx.built_candidates(e), **ctx.candidates}
    for key in CANDIDATE_ORDER:
        if key in candidates and any(close(g, c, tol) for c in _resolve(key, candidates[key], e)):
            code = "dropout_scale_missing" if key == "mask_not_applied" else key
            return Finding(code, msg.candidate(key, name, ctx), None, {"candidate": key})
    return None


def scaled_finding(
    g: F64, e: F64, name: str, tol: ToleranceLike, ctx: DiagnosisContext
) -> Finding | None:
    """``g ~ f e`` with the least-squares f = <g,e>/<e,e> != 1, snapped to a named factor.

    A one-element gradient is a multiple of any reference: it is ``scaled`` only by a named
    factor (×2, ×N: a cause), never by an arbitrary one (−18.9 says nothing)."""
    ee = float(np.vdot(e, e))
    if ee == 0.0 or not math.isfinite(ee):
        return None
    f = float(np.vdot(g, e)) / ee
    rel = max(10.0 * float(tol.rtol), 1e-9)
    if abs(f - 1.0) <= rel or not close(g, f * e, tol):
        return None
    named = snap(f, factor_table(ctx), rel)
    if not named and g.size == 1:
        return None
    value = named[0].value if named else f
    values = scalar_values(ctx)
    uses = {u: values[u] for n in named for u in n.uses}
    details = {"factor_labels": [n.label for n in named], "fitted_factor": f,
               "factor_values": uses}
    return Finding("scaled", msg.scaled(name, value, named, values), value, details)


def localized_finding(
    g: F64, e: F64, name: str, tol: ToleranceLike, ctx: DiagnosisContext
) -> Finding | None:
    """Wrong at no more than LOCALIZED_MAX_FRACTION of the elements; names their pattern."""
    wrong = mismatch_mask(g, e, tol)
    count = int(wrong.sum())
    if count == 0 or count > LOCALIZED_MAX_FRACTION * wrong.size:
        return None
    phrase, where = locate(wrong, ctx.masks)
    details = {"count": count, "indices": first_indices(wrong), **where}
    return Finding("localized", msg.localized(name, wrong, phrase, ctx), None, details)


def non_finite(g: F64, e: F64, name: str, tol: ToleranceLike, ctx: DiagnosisContext) -> Finding:
    """NaN/Inf in ``g``: ``localized`` if few and the rest matches, else ``unknown``."""
    bad = ~np.isfinite(g)
    phrase, where = locate(bad, ctx.masks)
    details = {"non_finite": int(bad.sum()), "indices": first_indices(bad), **where}
    few = bad.sum() <= LOCALIZED_MAX_FRACTION * bad.size
    rest_right = not np.any(mismatch_mask(g, e, tol) & ~bad)
    code = "localized" if few and rest_right else "unknown"
    return Finding(code, msg.non_finite(name, bad, phrase, rest_right), None, details)
