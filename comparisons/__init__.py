"""backprop-lab's comparison side: the check suite, ``verify``, the CLI and the demo.

``comparisons.verify(forward, backward, against="linear")`` verifies a hand-written pair (the
``comparisons.verify`` package is callable: see :mod:`comparisons.verify`) and returns a
:class:`VerifyReport`. Both are light to import: torch loads when a verification runs.
"""

from __future__ import annotations

from comparisons import verify
from comparisons.verify.report import VerifyReport

__all__ = ["VerifyReport", "verify"]
