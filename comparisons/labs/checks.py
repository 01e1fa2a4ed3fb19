"""What a course notebook imports: the check an exercise cell ends with.

In a notebook, an exercise cell (tag ``exercise``, metadata ``{"exercise": ID}``) holds the
student's code; the cell beneath it (tag ``check``, same metadata) checks it::

    check(comparisons.verify(forward, backward, against="two_layer"), "two_layer")

:func:`check` prints one status line, ``[check ID] correct: ...`` or ``[check ID] not yet
correct: dW1 zero, ...``, then shows the report (a table in Jupyter). It accepts a
``VerifyReport``, a ``compare`` :class:`~comparisons.core.compare.Check` (or a list of them) and a
:class:`ValueCheck` from :func:`check_value`, which calls a student's function safely (an
exception becomes a "not yet correct" line, never a crashed notebook).

The tests run the notebooks with ``tests/notebook_runner.py`` (solutions substituted, then
each exercise as shipped).
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from comparisons.core.compare import Check
from comparisons.core.tolerances import tolerance
from comparisons.verification.diagnose import diagnose
from comparisons.verification.guard import user_traceback

STATUS = re.compile(r"^\[check (?P<id>[\w-]+)\] (?P<status>correct|not yet correct): (?P<text>.*)$",
                    re.MULTILINE)


@dataclass(frozen=True)
class ValueCheck:
    """A student's value against the expected one: ``diagnosis`` is a verify code or "error"."""

    name: str
    passed: bool
    diagnosis: str
    message: str
    error: str | None = None

    def __str__(self) -> str:
        return self.error or self.message

    def _repr_html_(self) -> str:
        colour = "#d9f2d9" if self.passed else "#f8d0d0"
        return f"<pre style='background:{colour}'>{html.escape(str(self))}</pre>"


def check_value(fn: Any, args: Sequence[Any], expected: Any, *, name: str,
                context: Any = None) -> ValueCheck:
    """Call ``fn(*args)`` and diagnose its value against ``expected`` (float64, the forward
    tolerance). ``context``: a ``DiagnosisContext`` naming the usual mistakes."""
    try:
        given = fn(*args)
    except Exception as exc:  # the student's code may raise anything
        return ValueCheck(name, False, "error", f"{name}: your code raised {type(exc).__name__}",
                          f"your code raised an exception:\n{user_traceback(exc)}")
    try:
        arr = np.asarray(given, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or given is None:
        return ValueCheck(name, False, "wrong_shape", f"{name}: your code returned "
                          f"{type(given).__name__}, expected an array of shape "
                          f"{np.shape(expected)}")
    d = diagnose(arr, expected, name=name, tol=tolerance("forward", np.float64), context=context)
    return ValueCheck(name, d.passed, d.code, d.message)


def outcome(result: Any) -> tuple[bool, str]:
    """``(passed, summary)`` of any checkable result (see the module docstring)."""
    if isinstance(result, ValueCheck):
        if result.error is not None:
            return False, "your code raised an exception: " + _last_line(result.error)
        return result.passed, ("matches the expected value" if result.passed
                               else f"{result.name} {result.diagnosis}")
    if isinstance(result, Check):
        result = [result]
    if isinstance(result, list | tuple) and all(isinstance(c, Check) for c in result):
        bad = [f"{c.tensor} ({c.message})" for c in result if not c.passed]
        return not bad, "; ".join(bad) or f"all {len(result)} comparisons agree"
    if hasattr(result, "verdict") and hasattr(result, "gradients"):  # a VerifyReport
        if result.error is not None:
            return False, "your code raised an exception or returned the wrong structure: " \
                          + _last_line(result.error)
        verdict = result.verdict().removeprefix("verdict: ")
        return result.passed, verdict.removeprefix("PASSED: ").removeprefix("FAILED: ")
    raise TypeError(f"result: expected a VerifyReport, Check(s) or ValueCheck, got "
                    f"{type(result).__name__}")


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def check(result: Any, exercise: str) -> None:
    """Print the status line of exercise ``exercise``, then show ``result`` (HTML in Jupyter)."""
    passed, summary = outcome(result)
    print(f"[check {exercise}] {'correct' if passed else 'not yet correct'}: {summary}")
    shell = sys.modules.get("IPython")
    if shell is not None and shell.get_ipython() is not None:
        from IPython.display import display  # IPython: present only in a running notebook

        bundle = {"text/plain": _plain(result)}
        if hasattr(result, "_repr_html_"):
            bundle["text/html"] = result._repr_html_()
        display(bundle, raw=True)
    else:
        print(_plain(result))


def _plain(result: Any) -> str:
    if isinstance(result, Check):
        result = [result]
    if isinstance(result, list | tuple):
        return "\n".join(f"{'ok  ' if c.passed else 'FAIL'} {c.tensor}: {c.message}"
                         for c in result)
    return str(result)


# ---------------------------------------------------------------- running notebooks (tests)
