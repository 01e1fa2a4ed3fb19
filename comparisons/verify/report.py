"""The result of ``verify``: one row per gradient, a verdict, text / HTML / JSON renderings.

JSON (``VerifyReport.to_json``, also ``backprop-lab verify --json``)::

    {"op": str, "passed": bool, "error": str | null, "first_divergence": str | null,
     "gradients": [{"name", "passed", "diagnosis", "factor", "max_abs_err", "max_rel_err",
                    "message", "notes", ...extras: case, failing_cases, fd,
                    fd_max_rel_err, fd_ignored, precision}],
     ...extras: dtype, seed, cases, forward}

``forward`` is ``{"passed", "max_abs_err", "max_rel_err", "message", "case", "precision",
"difference"}``; ``difference`` names how a wrong forward differs from the reference when a
known pattern explains it (×N, ×2, n/(n − 1), a constant offset, a tiny relative difference).
A gradient ``consistent_with_own_forward`` is wrong against autograd but right for the user's
own forward: the verdict then says to fix the forward, not the backward.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

OWN_FORWARD = "consistent_with_own_forward"

@dataclass(frozen=True)
class GradientResult:
    """One gradient over all shape cases: passes only if it passes in every case.

    ``diagnosis`` is a code of the diagnosis vocabulary; when wrong, ``case`` names the case
    whose diagnosis is reported and ``failing_cases`` all cases where it was wrong. ``fd`` is
    the finite-difference witness (``"ok"``, ``"FAIL"`` or ``"—"`` when not run; it sees
    inputs only), ``fd_ignored`` the untrusted elements left out of it. ``precision`` is set
    by a float32 run: ``"float32 artefact"`` or ``"real bug"``. ``notes``: remarks that are
    not a diagnosis, each ``"code: sentence"`` (a valid subgradient at a kink, an upstream
    factor missing from a term of a scalar objective), gathered over the cases, no repeats.
    """

    name: str
    passed: bool
    diagnosis: str
    factor: float | None
    max_abs_err: float | None
    max_rel_err: float | None
    message: str
    case: str | None = None
    failing_cases: list[str] = field(default_factory=list)
    fd: str = "—"
    fd_max_rel_err: float | None = None
    fd_ignored: int = 0
    precision: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON row (non-finite floats become null)."""
        return {k: _finite(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ForwardResult:
    """The user's forward value against the reference, over all cases.

    ``difference``: when wrong, how it differs from the reference if a known pattern explains
    it (``"yours = N × the reference: a sum where the reference takes the mean (N = 7)"``).
    """

    passed: bool
    max_abs_err: float | None
    max_rel_err: float | None
    message: str = ""
    case: str | None = None
    precision: str | None = None
    difference: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object under ``"forward"``."""
        return {k: _finite(v) for k, v in asdict(self).items()}


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
                "forward": None if self.forward is None else self.forward.to_json()}

    def verdict(self) -> str:
        """One line: PASSED, or what is wrong in a few words."""
        if self.error is not None:
            reference = reference_failure(self.error)
            if reference is not None:  # the user's torch reference, not their forward/backward
                return f"verdict: FAILED: {reference}"
            ended = _ended_early(self.error)
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
        from comparisons.verify.render import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        from comparisons.verify.render import render_html

        return render_html(self)


REFERENCE_BLAME = "this is the reference you wrote, not your backward"


def reference_failure(error: str) -> str | None:
    """The one-line summary of an error that is the custom reference's failure, else None.

    Such an error starts with ``"your reference"`` (a prefix only the harness writes) and its
    summary, holding :data:`REFERENCE_BLAME`, is its first line or, after the headline
    ``"your reference (case N=1, float64) raised an exception:"``, its second.
    """
    if not error.startswith("your reference"):
        return None
    lines = error.splitlines()
    return next((line for line in lines[:2] if REFERENCE_BLAME in line), None)


def _ended_early(error: str) -> str | None:
    """The headline of an error whose user code called sys.exit or raised a BaseException that
    is not an Exception (``"your backward (case N=1, float64) called sys.exit(0)"``), else None."""
    first = error.splitlines()[0].rstrip(":") if error else ""
    if re.search(r" (called sys\.exit\(.*\)|raised (KeyboardInterrupt|GeneratorExit|\w*Exit))$",
                 first):
        return first
    return None


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

