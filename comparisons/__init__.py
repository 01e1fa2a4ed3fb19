"""backprop-lab's comparison side: the check suite, ``verify``, the CLI and the demo.

``comparisons.verify(forward, backward, against="linear")`` verifies a hand-written pair (the
``comparisons.verify`` package is callable); submodules are imported only when used, so
``import comparisons`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    """Lazy ``comparisons.verify`` (the callable package) and ``comparisons.VerifyReport``."""
    if name == "verify":
        return importlib.import_module("comparisons.verify")
    if name == "VerifyReport":
        return importlib.import_module("comparisons.verify.report").VerifyReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
