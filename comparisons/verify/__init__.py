"""``backprop-lab verify``: check a hand-derived backward pass and say *what* is wrong with it.

``comparisons.verify`` is both this package and a function: calling the package,
``comparisons.verify(forward, backward, against="linear")``, runs
:func:`comparisons.verify.runner.verify` and returns a
:class:`~comparisons.verify.report.VerifyReport`. Nothing heavy (torch) is imported until
then, so ``import comparisons`` stays light.

Modules: ``diagnose`` (the diagnosis engine), ``candidates`` (each op's usual mistakes),
``runner`` / ``aggregate`` (cases, witnesses, one row per gradient), ``report`` / ``render``
(the report and its text / HTML / JSON), ``loader`` (a user's .py file), ``custom`` (layers
described by ``reference`` + ``SHAPES``), ``cli`` (``backprop-lab verify``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_LAZY = {"verify": "comparisons.verify.runner", "VerifyReport": "comparisons.verify.report",
         "GradientResult": "comparisons.verify.report", "verify_file": "comparisons.verify.loader"}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Lazy access to ``verify``, ``VerifyReport``, ``GradientResult``, ``verify_file``."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _CallablePackage(types.ModuleType):
    """The package type that makes ``comparisons.verify(...)`` call ``runner.verify``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from comparisons.verify.runner import verify

        return verify(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
