"""The result of ``verify``: one row per gradient, a verdict, text / HTML / JSON renderings.

JSON (``VerifyReport.to_json``, also ``backprop-lab verify --json``)::

    {"op": str, "passed": bool, "error": str | null, "first_divergence": str | null,
     "gradients": [{"name", "passed", "diagnosis", "factor", "max_abs_err", "max_rel_err",
                    "message", "notes", ...extras: case, failing_cases, fd,
                    fd_max_rel_err, fd_ignored, precision}],
     ...extras: dtype, seed, cases, forward, input_notes}

``forward`` is ``{"passed", "max_abs_err", "max_rel_err", "message", "case", "precision",
"difference"}``; ``difference`` names how a wrong forward differs from the reference when a
known pattern explains it (×N, ×2, n/(n − 1), a constant offset, a tiny relative difference).
``input_notes``: what of the input was not run (a notebook's IPython lines), one line each.
A gradient ``consistent_with_own_forward`` is wrong against autograd but right for the user's
own forward: the verdict then says to fix the forward, not the backward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from comparisons.verification.render import render_html, render_text
from comparisons.verification.results import (
    OWN_FORWARD,
    REFERENCE_BLAME,
    ForwardResult,
    GradientResult,
    ended_early,
    reference_failure,
)

__all__ = [
    "OWN_FORWARD", "REFERENCE_BLAME", "ForwardResult", "GradientResult", "VerifyReport",
    "reference_failure",
]  # fmt: skip


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found. ``passed``: no error, forward right, every witness agreed."""

    op: str
    dtype: str = "float64"
    seed: int = 0
    cases: list[str] = field(default_factory=list)
    forward: ForwardResult | None = None
    gradients: list[GradientResult] = field(default_factory=list)
    error: str | None = None
    first_divergence: str | None = None
    input_notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when nothing is wrong (an error in user code is wrong)."""
        if self.error is not None or self.forward is None or not self.forward.passed:
            return False
        return all(g.passed and g.fd != "FAIL" for g in self.gradients)

    def gradient(self, name: str) -> GradientResult:
        """The row of gradient ``name`` (KeyError if the op has none)."""
        for g in self.gradients:
            if g.name == name:
                return g
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape plus extras (dtype, seed, cases, forward)."""
        return {"op": self.op, "passed": self.passed, "error": self.error,
                "first_divergence": self.first_divergence,
                "gradients": [g.to_json() for g in self.gradients],
                "dtype": self.dtype, "seed": self.seed, "cases": list(self.cases),
                "forward": None if self.forward is None else self.forward.to_json(),
                "input_notes": list(self.input_notes)}

    def verdict(self) -> str:
        """One line: PASSED, or what is wrong in a few words."""
        if self.error is not None:
            reference = reference_failure(self.error)
            if reference is not None:  # the user's torch reference, not their forward/backward
                return f"verdict: FAILED: {reference}"
            ended = ended_early(self.error)
            if ended is not None:
                return f"verdict: FAILED: {ended} (code that ends the check early fails it)"
            return "verdict: FAILED: your code raised an exception or returned the wrong structure"
        if self.passed:
            n = len(self.gradients)
            what = "the gradient are" if n == 1 else f"all {n} gradients are"
            return f"verdict: PASSED: the forward value and {what} right"
        own = [g.name for g in self.gradients if g.diagnosis == OWN_FORWARD]
        wrong = [f"{g.name} {g.diagnosis}" for g in self.gradients
                 if not g.passed and g.diagnosis != OWN_FORWARD]
        parts = [] if self.forward is None or self.forward.passed else ["forward value wrong"]
        if own:
            parts.append(f"your backward is right for your forward ({', '.join(own)} "
                         f"{OWN_FORWARD}): fix the forward, not the backward")
        if wrong:
            parts.append(f"{len(wrong)} of {len(self.gradients)} gradients wrong "
                         f"({', '.join(wrong)})")
        fd_bad = [g.name for g in self.gradients if g.passed and g.fd == "FAIL"]
        if fd_bad:
            parts.append(f"finite differences of your forward disagree on {', '.join(fd_bad)}")
        if self.first_divergence:
            parts.append(f"first divergence: {self.first_divergence}")
        return "verdict: FAILED: " + "; ".join(parts)

    def __str__(self) -> str:
        return render_text(self)

    def _repr_html_(self) -> str:
        return render_html(self)
