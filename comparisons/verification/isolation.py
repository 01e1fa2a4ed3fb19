"""``verify_isolated``: ``verify_file`` with the student's code in a sandboxed child process.

The entry point of :mod:`comparisons.verification.sandbox` (whose docstring describes the
isolation, its limits and what each platform enforces), for ``backprop-lab verify FILE`` and
``backprop-lab grade``: :func:`verify_isolated`, :class:`Limits`, :class:`IsolatedReport`,
:class:`Spares`, and :func:`open_isolated` (the file's functions as proxies, for checkers of
other conventions).
"""

from __future__ import annotations

from comparisons.verification.sandbox.isolated import (
    IsolatedReport,
    Opened,
    open_isolated,
    verify_isolated,
)
from comparisons.verification.sandbox.limits import Limits
from comparisons.verification.sandbox.spares import Spares

__all__ = ["IsolatedReport", "Limits", "Opened", "Spares", "open_isolated", "verify_isolated"]
