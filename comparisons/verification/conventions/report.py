"""The report of one course file: a section per verified pair, the checks no gradient makes.

JSON (``ConventionReport.to_json``, also ``backprop-lab verify FILE --convention C --json``)::

    {"convention": str, "file": str | null, "passed": bool, "error": str | null,
     "dtype": str, "seed": int, "skipped": [function names not in the file],
     "input_notes": [what of a notebook was skipped],
     "functions": [{"function": "affine", "forward_function": "affine_forward",
                    "backward_function": "affine_backward" | null,
                    ...the VerifyReport JSON of the pair ("op" is the op it was verified
                    as, its "passed" is the section's: the report's and every check's),
                    "report_passed": bool,
                    "checks": [{"name", "passed", "diagnosis", "message"}]}]}

A pair whose forward is in the file without its backward is a section whose report has an
``error`` saying so (it fails); ``error`` at the top level is the file failing to import.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field
from typing import Any

from comparisons.verification.render import render_html
from comparisons.verification.report import VerifyReport


@dataclass(frozen=True)
class CheckResult:
    """A check beside the gradients (dropout's kept fraction, batch norm's running mean).

    ``diagnosis``: ``"ok"`` or a code naming the mistake (``keep_drop_confused``, ...)."""

    name: str
    passed: bool
    diagnosis: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """``{"name", "passed", "diagnosis", "message"}``."""
        return {"name": self.name, "passed": self.passed, "diagnosis": self.diagnosis,
                "message": self.message}


@dataclass(frozen=True)
class FunctionSection:
    """One pair of the file: the op's report and the convention's extra checks."""

    function: str
    forward_function: str | None
    backward_function: str | None
    report: VerifyReport
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """The report passed and so did every check."""
        return self.report.passed and all(c.passed for c in self.checks)

    @property
    def title(self) -> str:
        """``affine_forward / affine_backward``."""
        names = [n for n in (self.forward_function, self.backward_function) if n]
        return " / ".join(names)

    def problems(self) -> str:
        """What is wrong, in a few words ("" when it passed)."""
        parts = []
        if not self.report.passed:
            parts.append(self.report.verdict().removeprefix("verdict: FAILED: "))
        parts += [f"{c.name}: {c.diagnosis}" for c in self.checks if not c.passed]
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The per-op report JSON with the section's names, checks and verdict."""
        return {"function": self.function, "forward_function": self.forward_function,
                "backward_function": self.backward_function, **self.report.to_json(),
                "passed": self.passed, "report_passed": self.report.passed,
                "checks": [c.to_json() for c in self.checks]}

    def text(self) -> str:
        """The section: a heading, the op's report, then the checks."""
        lines = [f"== {self.title} (verified as {self.report.op}) ==", str(self.report)]
        if self.checks:
            lines.append("checks beside the gradients:")
            lines += [f"  {'ok  ' if c.passed else 'FAIL'}  {c.name}: {c.message}"
                      for c in self.checks]
        verdict = "PASSED" if self.passed else f"FAILED: {self.problems()}"
        lines.append(f"{self.function}: {verdict}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ConventionReport:
    """Every known pair found in one file, verified under one course's convention."""

    convention: str
    file: str | None
    dtype: str = "float64"
    seed: int = 0
    sections: list[FunctionSection] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None
    input_notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No import error, at least one section, every section passed."""
        return self.error is None and bool(self.sections) and all(
            s.passed for s in self.sections)

    def section(self, function: str) -> FunctionSection:
        """The section of ``function`` (``"affine"``, ``"batchnorm_alt"``); KeyError if none."""
        for s in self.sections:
            if s.function == function:
                return s
        raise KeyError(function)

    def verdict(self) -> str:
        """One line: PASSED, or which functions are wrong."""
        if self.error is not None:
            return "verdict: FAILED: the file could not be imported"
        wrong = [s.function for s in self.sections if not s.passed]
        n = len(self.sections)
        if not wrong:
            return f"verdict: PASSED: all {n} functions are right"
        return f"verdict: FAILED: {len(wrong)} of {n} functions wrong ({', '.join(wrong)})"

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape (module docstring)."""
        return {"convention": self.convention, "file": self.file, "passed": self.passed,
                "error": self.error, "dtype": self.dtype, "seed": self.seed,
                "skipped": list(self.skipped), "input_notes": list(self.input_notes),
                "functions": [s.to_json() for s in self.sections]}

    def __str__(self) -> str:
        head = (f"verify {self.file or '(functions)'} --convention {self.convention} "
                f"({self.dtype}, seed {self.seed}): {len(self.sections)} "
                f"pair{'' if len(self.sections) == 1 else 's'} of functions found")
        lines = [head, *(f"input: {n}" for n in self.input_notes)]
        if self.skipped:
            lines.append(textwrap.fill(f"not in the file (skipped): {', '.join(self.skipped)}",
                                       width=100, subsequent_indent="    "))
        if self.error is not None:
            lines.append(self.error)
        lines += ["", *(s.text() + "\n" for s in self.sections)]
        if self.sections:
            lines.append("summary:")
            lines += [f"  {'PASSED' if s.passed else 'FAILED'}  {s.function}"
                      + ("" if s.passed else f": {s.problems()}") for s in self.sections]
        lines.append(self.verdict())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Each section's HTML report under its heading, its checks, then the verdict."""
        parts = [f"<p><b>{html.escape(self.convention)}</b>: {html.escape(self.file or '')}</p>"]
        if self.error is not None:
            parts.append(f"<pre>{html.escape(self.error)}</pre>")
        for s in self.sections:
            parts.append(f"<h4>{html.escape(s.title)}</h4>{render_html(s.report)}")
            rows = "".join(f"<li>{'ok' if c.passed else 'FAIL'} {html.escape(c.name)}: "
                           f"{html.escape(c.message)}</li>" for c in s.checks)
            if rows:
                parts.append(f"<ul>{rows}</ul>")
        parts.append(f"<p><b>{html.escape(self.verdict())}</b></p>")
        return "\n".join(parts)
