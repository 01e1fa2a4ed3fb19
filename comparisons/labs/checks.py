"""What a course notebook imports: the check an exercise cell ends with.

In a notebook, an exercise cell (tag ``exercise``, metadata ``{"exercise": ID}``) holds the
student's code; the cell beneath it (tag ``check``, same metadata) checks it::

    check(comparisons.verify(forward, backward, against="two_layer"), "two_layer")

:func:`check` prints one status line, ``[check ID] correct: ...`` or ``[check ID] not yet
correct: dW1 zero, ...``, then shows the report (a table in Jupyter). It accepts a
``VerifyReport``, a ``compare`` :class:`~comparisons.core.compare.Check` (or a list of them) and a
:class:`ValueCheck` from :func:`check_value`, which calls a student's function safely (an
exception becomes a "not yet correct" line, never a crashed notebook).

How much of the answer a check shows is its hint level (:mod:`comparisons.labs.hints`):
``"none"`` (the default: diagnoses without the equation they come from), ``"shape"`` (the
gradient's shape instead) or ``"formula"`` (verify's full messages); per check with
``check(..., hint=...)`` or for the whole notebook with :func:`set_hint`. A backward with
several steps (the two-layer network's do, dW2, dh, dz, dW1) can be checked step by step:
``check(report, ID, steps=True)`` prints one line per step, its shape first, then its values,
and ``upto="dh"`` judges the steps up to dh only (the ones already written).

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
from comparisons.labs.hints import HINT_LEVELS, check_hint, with_hint

__all__ = ["HINT_LEVELS", "STATUS", "Step", "ValueCheck", "check", "check_value", "outcome",
           "set_hint", "steps"]
from comparisons.verification.diagnose import diagnose
from comparisons.verification.guard import user_traceback

STATUS = re.compile(r"^\[check (?P<id>[\w-]+)\] (?P<status>correct|not yet correct): (?P<text>.*)$",
                    re.MULTILINE)
SHAPE_CODES = ("wrong_shape", "not_summed_over_batch")
"""Diagnoses that mean the gradient's shape is wrong (a non-square ``transposed`` too)."""
HINT = {"level": "none"}  # the notebook-wide hint level: set_hint changes it
TABLE_STYLE = "<style>.backprop-check td, .backprop-check th {text-align: left;}</style>"


def set_hint(level: str) -> None:
    """Set the hint level of every later :func:`check` of this notebook (one of
    :data:`~comparisons.labs.hints.HINT_LEVELS`)."""
    HINT["level"] = check_hint(level)


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


@dataclass(frozen=True)
class Step:
    """One gradient of a stepwise backward: its shape first, then its values."""

    name: str
    shape_ok: bool
    values_ok: bool
    diagnosis: str

    def line(self, number: int) -> str:
        """``step 3 dh: shape ok, values wrong (scaled)``."""
        shape = "ok" if self.shape_ok else f"wrong ({self.diagnosis})"
        values = ("not compared (fix the shape first)" if not self.shape_ok else
                  "ok" if self.values_ok else f"wrong ({self.diagnosis})")
        return f"step {number} {self.name}: shape {shape}, values {values}"


def steps(report: Any) -> list[Step]:
    """The gradients of a VerifyReport in its (backward) order, shape and values judged apart."""
    out = []
    for g in report.gradients:
        given, wanted = g.details.get("given_shape"), g.details.get("expected_shape")
        shape_ok = g.diagnosis not in SHAPE_CODES and (given is None or given == wanted)
        out.append(Step(g.name, shape_ok, shape_ok and g.passed, g.diagnosis))
    return out


def _upto(report: Any, upto: str | None) -> tuple[list[Step], list[str]]:
    """The steps judged (those up to ``upto``, all without it) and the names left out."""
    all_steps = steps(report)
    names = [st.name for st in all_steps]
    if upto is None:
        return all_steps, []
    if upto not in names:
        raise ValueError(f"upto: expected one of the steps {names}, got {upto!r}")
    k = names.index(upto) + 1
    return all_steps[:k], names[k:]


def _stepwise(report: Any, upto: str | None) -> tuple[bool, str, list[str]]:
    """``(passed, summary, step lines)`` of a report judged step by step."""
    judged, later = _upto(report, upto)
    if report.error is not None or not judged:
        passed, summary = outcome(report)
        return passed, summary, []
    lines = [st.line(i) for i, st in enumerate(judged, start=1)]
    wrong = next((i for i, st in enumerate(judged, start=1) if not st.values_ok), None)
    forward_ok = report.forward is not None and report.forward.passed
    fd_ok = all(g.fd != "FAIL" for g in report.gradients if g.name in
                {st.name for st in judged})
    if not forward_ok:
        return False, "the forward value is wrong: fix it before the backward", lines
    if wrong is not None:
        st = judged[wrong - 1]
        part = "shape" if not st.shape_ok else "values"
        return False, f"step {wrong} ({st.name}) has the wrong {part}: {st.name} " \
                      f"{st.diagnosis}", lines
    if not fd_ok:
        passed, summary = outcome(report)
        return passed, summary, lines
    done = ", ".join(st.name for st in judged)
    rest = f" ({', '.join(later)} not checked yet)" if later else ""
    return True, f"steps {done} are right{rest}", lines


def check(result: Any, exercise: str, *, hint: str | None = None, steps: bool = False,
          upto: str | None = None) -> None:
    """Print the status line of exercise ``exercise``, then show ``result`` (HTML in Jupyter).

    ``hint``: ``"none"``, ``"shape"`` or ``"formula"`` (default: the notebook's, see
    :func:`set_hint`); ``steps``: one line per gradient of a VerifyReport, shape then values;
    ``upto``: judge the steps up to this gradient only (implies ``steps``)."""
    level = check_hint(HINT["level"] if hint is None else hint)
    is_report = hasattr(result, "verdict") and hasattr(result, "gradients")
    if is_report:
        result = with_hint(result, level)
    if is_report and (steps or upto is not None):
        passed, summary, lines = _stepwise(result, upto)
    else:
        (passed, summary), lines = outcome(result), []
    print(f"[check {exercise}] {'correct' if passed else 'not yet correct'}: {summary}")
    for line in lines:
        print("  " + line)
    shell = sys.modules.get("IPython")
    if shell is not None and shell.get_ipython() is not None:
        from IPython.display import display  # IPython: present only in a running notebook

        bundle = {"text/plain": _plain(result)}
        if hasattr(result, "_repr_html_"):
            bundle["text/html"] = (f"<div class='backprop-check'>{TABLE_STYLE}"
                                   f"{result._repr_html_()}</div>")
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
