"""``verify_isolated``: ``verify_file`` with the student's code in a sandboxed child process.

The entry point of :mod:`comparisons.verification.sandbox` (whose docstring describes the
isolation, its limits and what each platform enforces), for ``backprop-lab verify FILE`` and
``backprop-lab grade``: :func:`verify_isolated`, :class:`Limits`, :class:`IsolatedReport`,
:class:`Spares`.
"""

from __future__ import annotations

from comparisons.verification.sandbox.isolated import IsolatedReport, verify_isolated
from comparisons.verification.sandbox.limits import Limits
from comparisons.verification.sandbox.spares import Spares

__all__ = ["IsolatedReport", "Limits", "Spares", "verify_isolated"]
