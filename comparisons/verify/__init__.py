"""``backprop-lab verify``: check a hand-derived backward pass and say *what* is wrong with it.

``comparisons.verify`` is both this package and a function: calling the package,
``comparisons.verify(forward, backward, against="linear")``, runs
:func:`comparisons.verify.runner.verify` and returns a
:class:`~comparisons.verify.report.VerifyReport`. (A plain function ``comparisons.verify``
cannot be had while this package has the same name: importing any ``comparisons.verify.*``
module sets the attribute ``comparisons.verify`` to the package. Hence the package's type
has a ``__call__``, until the package is renamed.) Nothing heavy (torch) is imported until
then, so ``import comparisons`` and ``backprop-lab --help`` stay light.

Modules, bottom up: ``diagnose_numeric``, ``diagnose_context``, ``factors``,
``diagnose_messages``, ``patterns``, ``diagnose`` (the diagnosis engine); ``candidates``,
``kinks``, ``upstream``, ``returned``, ``forward_diff`` (each op's usual mistakes and the
harness's special cases); ``guard`` (user code contained); ``results`` < ``render`` <
``report`` (the report and its text / HTML / JSON); ``cases`` (one case judged) <
``aggregate`` (one row per gradient) < ``runner`` (:func:`verify`); ``custom`` (layers
described by ``reference`` + ``SHAPES``), ``loader`` (a user's .py file); its command line
(``backprop-lab verify``) is ``comparisons.cli.verify``.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["GradientResult", "VerifyReport", "verify", "verify_file"]


def __getattr__(name: str) -> Any:
    """``verify``, ``VerifyReport``, ``GradientResult``, ``verify_file``, imported on first use
    (the runner and the loader import torch; ``--help`` loads this package)."""
    if name == "verify":
        from comparisons.verify.runner import verify

        return verify
    if name == "verify_file":
        from comparisons.verify.loader import verify_file

        return verify_file
    if name in ("VerifyReport", "GradientResult"):
        from comparisons.verify import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CallablePackage(types.ModuleType):
    """The package type that makes ``comparisons.verify(...)`` call ``runner.verify``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from comparisons.verify.runner import verify  # torch: only when a verification runs

        return verify(*args, **kwargs)


sys.modules[__name__].__class__ = CallablePackage
