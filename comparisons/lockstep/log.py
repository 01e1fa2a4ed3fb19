"""The per-step record of a lockstep run and the divergence rule.

For each step, with ``tol = tolerance("lockstep", dtype)`` and the one helper ``compare``:

* loss: ``Δ = |loss_h - loss_t|``, ``ref = |loss_t|`` (the objective before the update);
* each parameter θ after the update: ``Δ = max|θ_h - θ_t|``, ``ref = max|θ_t|``; the same
  for each buffer (e.g. BatchNorm1d's running statistics and its batch count).

A step passes when every ``Δ <= tol.atol + tol.rtol * ref`` (compare's rule). Two relative
differences are kept: the plain one, ``Δ / ref`` (``loss_rel_diff``, ``param_drift``), and the
*envelope-relative* one, ``Δ / (ref + atol / rtol)``, which is ``<= rtol`` exactly when the step
passes (it differs from the plain one only for values near zero, e.g. a training loss that falls
to 1e-12, where rounding of ``ŷ - y`` dominates any relative measure). The limit the rule puts
on a plain one is ``rtol + atol / ref`` (:func:`plain_limit`); ``drift_limit`` keeps it for the
parameter whose drift is the step's largest, so plots draw the limit actually applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.core.compare import compare
from comparisons.core.tolerances import Tolerance


def plain_limit(ref: NDArray | float, tol: Tolerance) -> NDArray | float:
    """The largest plain relative difference ``Δ / ref`` that passes: ``rtol + atol / ref``
    (compare's ``Δ <= atol + rtol * ref`` divided by ``ref``; ``ref`` floored at the smallest
    normal float64)."""
    return tol.rtol + tol.atol / np.maximum(ref, np.finfo(np.float64).tiny)


def _relative(delta: float | None, ref: float, tol: Tolerance) -> tuple[float, float]:
    """(plain, envelope-relative) difference; inf when compare found no value (NaN, shape)."""
    if delta is None:
        return np.inf, np.inf
    return delta / max(ref, np.finfo(np.float64).tiny), delta / (ref + tol.atol / tol.rtol)


@dataclass
class StepLog:
    """Accumulates per-step losses, differences and the first divergent step (0-based)."""

    names: tuple[str, ...]
    tol: Tolerance
    losses: dict[str, list[float]] = field(default_factory=dict)
    loss_rel: list[float] = field(default_factory=list)
    drift: list[float] = field(default_factory=list)
    drift_limit: list[float] = field(default_factory=list)
    envelope: list[float] = field(default_factory=list)
    first: int | None = None
    steps: int = 0

    def record(self, losses: Mapping[str, NDArray], engines: Sequence[Any]) -> None:
        """Add one step: every engine's loss; with two engines, compare loss and parameters."""
        step, self.steps = self.steps, self.steps + 1
        for name, value in losses.items():
            self.losses.setdefault(name, []).append(float(value))
        if len(self.names) < 2:
            return
        hm, pt = engines
        pairs = [("loss", losses["handmade"], losses["torch"])]
        ref = pt.state_dict(copy=False)
        pairs += [(k, v, ref[k]) for k, v in hm.state_dict(copy=False).items()]
        rel, env, limits, passed = [], [], [], True
        for key, actual, expected in pairs:
            c = compare(actual, expected, name=f"step {step}", tensor=key, against="lockstep",
                        tol=self.tol)
            ref = float(np.max(np.abs(expected)))
            plain, envelope = _relative(c.max_abs_err, ref, self.tol)
            rel.append(plain)
            env.append(envelope)
            limits.append(float(plain_limit(ref, self.tol)))
            passed = passed and c.passed
        self.loss_rel.append(rel[0])
        worst = int(np.argmax(rel[1:])) + 1 if len(rel) > 1 else 0
        self.drift.append(rel[worst] if worst else 0.0)
        self.drift_limit.append(limits[worst] if worst else self.tol.rtol)
        self.envelope.append(max(env))
        if self.first is None and not passed:
            self.first = step


def metric_rel_diff(metrics: dict[str, dict[str, list[float]]], tol: Tolerance) -> float | None:
    """Largest envelope-relative ``|m_h - m_t| / (|m_t| + atol/rtol)`` over metrics and epochs.

    None unless both engines were evaluated.
    """
    if set(metrics) != {"handmade", "torch"}:
        return None
    worst = 0.0
    for name, values in metrics["torch"].items():
        h, t = np.asarray(metrics["handmade"][name]), np.asarray(values)
        rel = np.abs(h - t) / (np.abs(t) + tol.atol / tol.rtol)
        worst = max(worst, float(np.max(rel, initial=0.0)))
    return worst
