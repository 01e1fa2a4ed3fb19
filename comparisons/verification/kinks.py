"""Subgradients at kinks: where an op is not differentiable, every value of its subdifferential
is a right answer, not only the one torch picks.

Each kink here joins a branch of slope ``low`` (0, or leaky ReLU's negative slope) to a branch
of slope 1, so the valid gradients at a kink element are ``t · one`` for any ``t`` between
``low`` and 1, where ``one`` is the gradient taken on the slope-1 side:

* ``relu``: at x == 0, dx = t · dout (torch: t = 0; ``x >= 0`` gives t = 1);
* ``log_rmse``: at pred == 1 the clamp max(pred, 1) has slope t, so
  dpred = t · dloss · (log 1 − log target) / (numel · loss) (torch's clamp(min=1): t = 1;
  a mask ``pred > 1`` gives t = 0);
* ``two_layer``: at z == 0, dz = t · dh (torch: t = 0). dW1 = dzᵀ X + lam W1 follows the
  choice: it is judged against the reference recomputed from the user's valid dz.

:func:`accept_subgradients` puts the user's value into the reference at every kink element
where it lies on that segment (within the autograd tolerance's absolute bound), and writes a
``subgradient_at_kink`` note when the user's choice differs from torch's. An invalid value
(2 · dout, −dout, NaN) is left alone: the diagnosis names it (``localized``, "x == 0 (ReLU
kink)"). :data:`KINKS` holds one small rule per op with kinks: the ``kinks`` of each op's
declaration (``comparisons.core.builtin_ops.DECLARATIONS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.core.builtin_ops import DECLARATIONS
from comparisons.core.opdecl import Kink, KinkRule
from comparisons.core.ops import Inputs, OpSpec
from comparisons.core.tolerances import Tolerance, tolerance
from comparisons.verification.diagnose import Diagnosis
from comparisons.verification.diagnose_numeric import F64, bound, close, first_indices
from comparisons.verification.returned import as_gradient

NOTE_INDICES = 2  # kink positions a note lists


def _f64(a: Any) -> F64:
    return np.asarray(a, dtype=np.float64)


KINKS: dict[str, KinkRule] = {
    name: d.kinks for name, d in DECLARATIONS.items() if d.kinks is not None}
"""Op name -> its kink rule (its declaration's ``kinks``)."""


def accept_subgradients(spec: OpSpec, inputs: Inputs, dout: Any, grads: Mapping[str, Any],
                        ref_grads: Mapping[str, Any]
                        ) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """The reference with the user's valid kink values in place, and the notes per gradient.

    ``grads``: what the user's backward returned (by name); ``ref_grads``: autograd's. Ops
    without a rule, and gradients that are not arrays of the reference's shape, are unchanged.
    """
    rule = KINKS.get(spec.name)
    adjusted = dict(ref_grads)
    notes: dict[str, tuple[str, ...]] = {}
    if rule is None:
        return adjusted, notes
    ref = {k: _f64(v) for k, v in ref_grads.items()}
    changed: dict[str, F64] = {}
    for kink in rule.find(inputs, _f64(dout), ref):
        user = _user(grads.get(kink.grad), ref[kink.grad].shape)
        if user is None or not kink.mask.any():
            continue
        b = _bound(ref[kink.grad], ref_grads[kink.grad], grads.get(kink.grad))
        valid = kink.mask & _on_segment(user, kink.one, b, kink.low)
        if kink.consistent is not None:
            valid &= kink.consistent(user, b)
        if valid.any():
            changed[kink.grad] = np.where(valid, user, ref[kink.grad])
            note = kink_note(kink, valid, user, ref[kink.grad], b)
            notes.update({kink.grad: (note,)} if note else {})
    if changed and rule.follow is not None:
        for name, value in rule.follow(inputs, ref, {**ref, **changed}).items():
            if _follows(value, grads.get(name), ref_grads[name], ref[name]):
                changed[name] = value
                notes[name] = (follow_note(name, rule.equation),)
    for name, value in changed.items():
        adjusted[name] = value.astype(np.asarray(ref_grads[name]).dtype)
    return adjusted, {k: v for k, v in notes.items() if v}


def attach_notes(diagnoses: Mapping[str, Diagnosis],
                 notes: Mapping[str, tuple[str, ...]]) -> dict[str, Diagnosis]:
    """The diagnoses with the kink notes added to the passing ones (a failing gradient's own
    diagnosis says what to fix; a remark on its valid kink elements would only distract)."""
    return {g: replace(d, notes=(*d.notes, *notes[g])) if d.passed and notes.get(g) else d
            for g, d in diagnoses.items()}


def _user(given: Any, shape: tuple[int, ...]) -> F64 | None:
    arr = as_gradient(given)[0]
    if arr is None or arr.shape != shape:
        return None
    return _f64(arr)


def _bound(ref: F64, *raw: Any) -> float:
    """The absolute error the autograd tolerance allows on this gradient: float32's when the
    reference or the user's array (a float32 return in a float64 run) is float32."""
    low = any(a.dtype.kind == "f" and a.dtype.itemsize <= 4
              for a in (as_gradient(r)[0] for r in raw) if a is not None)
    return bound(ref, tolerance("autograd", "float32" if low else "float64"))


def _on_segment(user: F64, one: F64, b: float, low: float = 0.0) -> NDArray[np.bool_]:
    """Elements where ``user`` lies within ``b`` of the segment between ``low · one`` and
    ``one``."""
    end = low * one
    with np.errstate(invalid="ignore"):
        return (user >= np.minimum(one, end) - b) & (user <= np.maximum(one, end) + b)


def _follows(value: F64, given: Any, raw: Any, ref: F64) -> bool:
    """Judge by ``value`` (recomputed from the user's kink choice) instead of torch's ``ref``?

    Not when the user's gradient matches torch's (computed from torch's choice, also valid),
    nor when the user's choice changes nothing here.
    """
    tol = Tolerance(rtol=0.0, atol=_bound(ref, raw, given))
    user = _user(given, ref.shape)
    return user is not None and not close(user, ref, tol) and not close(value, ref, tol)


def follow_note(name: str, equation: str) -> str:
    """The note on a gradient judged against the reference recomputed from the user's choice."""
    return (f"subgradient_at_kink: {name} is judged against the reference recomputed from "
            f"your valid choice at the kink ({equation}); it differs from torch's {name} "
            f"only through that choice, and both are valid.")


def kink_note(kink: Kink, valid: NDArray[np.bool_], user: F64, ref: F64, b: float) -> str:
    """The note on the valid kink elements ('' when the user's values there are torch's)."""
    if not np.any(np.abs(user - ref)[valid] > b):
        return ""
    count, total = int(valid.sum()), int(kink.mask.sum())
    where = (f"{count} of the {total} elements" if count < total
             else f"the {count} element{'s' if count > 1 else ''}")
    first = ", ".join(str(tuple(i)) if len(i) != 1 else str(i[0])
                      for i in first_indices(valid, NOTE_INDICES))
    one, mine, torch_ = kink.one[valid], user[valid], ref[valid]
    return (f"subgradient_at_kink: at {where} where {kink.where} (first {first}), torch uses "
            f"{choice(torch_, one, b, low=kink.low)} and you use "
            f"{choice(mine, one, b, f'{kink.grad} = ', kink.one_is, kink.low)}; both are valid "
            f"subgradients of {kink.function} there.")


def choice(values: F64, one: F64, b: float, lead: str = "", one_is: str = "",
           low: float = 0.0) -> str:
    """Which t in [low, 1] ``values`` = t · ``one`` takes: "0", "1 (dx = dout)", "0.5", a mix.

    ``low``: the other end of the segment (0 for ReLU, the negative slope for leaky ReLU).
    """
    zero, full = np.abs(values - low * one) <= b, np.abs(values - one) <= b
    known = ~(zero & full)  # where one is ~0, every t gives the same value
    zero, full = zero[known], full[known]
    spelled = f" ({lead}{one_is})" if lead else ""
    end = f"{low:.3g}"
    if zero.size == 0:
        return f"a value in [{end}, 1]"
    if zero.all():
        return end + (f" ({lead}{end if low else ''}{' · ' + one_is if low else '0'})"
                      if lead else "")
    if full.all():
        return "1" + spelled
    t = values[known] / one[known]
    if not zero.any() and not full.any() and np.all(np.abs(values[known] - t[0] * one[known])
                                                    <= b):
        return f"t = {t[0]:.3g}" + (f" ({lead}{t[0]:.3g} · {one_is})" if lead else "")
    counts = [(end, int(zero.sum())), ("1" + spelled, int(full.sum())),
              ("a t strictly between", int((~zero & ~full).sum()))]
    return "a mix (" + ", ".join(f"{what} at {n}" for what, n in counts if n) + " of them)"
