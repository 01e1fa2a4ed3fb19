"""The rows of a verify report: one per gradient, one for the forward value, and the
phrases the harness and the verdict share (what blames the user's reference, what an early
exit looks like). Below :mod:`comparisons.verification.render` and
:mod:`comparisons.verification.report`,
which both read them.
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
        return {k: finite(v) for k, v in asdict(self).items()}


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
        return {k: finite(v) for k, v in asdict(self).items()}


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


def ended_early(error: str) -> str | None:
    """The headline of an error whose user code called sys.exit or raised a BaseException that
    is not an Exception (``"your backward (case N=1, float64) called sys.exit(0)"``), or was
    stopped by the sandbox (:data:`SANDBOX_STOPS`: a limit, a crash, a refused action), else
    None."""
    first = error.splitlines()[0].rstrip(":") if error else ""
    if re.search(r" (called sys\.exit\(.*\)|raised (KeyboardInterrupt|GeneratorExit|\w*Exit))$",
                 first) or re.search(SANDBOX_STOPS, first):
        return first
    return None


SANDBOX_STOPS = (r" (exceeded the .* limit( \(.*\))?|ended the process with exit code .*|"
                 r"crashed: .*|tried to .*|printed more than .*|sent a reply the sandbox "
                 r"refuses.*|closed the sandbox's pipe)$")
"""How the headline of a submission the sandbox stopped ends
(:mod:`comparisons.verification.sandbox`): ``"your backward (case N=1, float64) exceeded the
10 s time limit"``."""


def finite(value: Any) -> Any:
    """``value``, or None for a non-finite float (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
