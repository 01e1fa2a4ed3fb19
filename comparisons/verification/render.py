"""Text and HTML renderings of a :class:`~comparisons.verification.report.VerifyReport`.

Below the report (whose ``str()`` and ``_repr_html_`` call it): a report is read through
:class:`RenderedReport`, the fields rendering needs, so this module does not import it.

Text: a header, what of the input was skipped (a notebook's magics), the forward row, a table
(one row per gradient), one paragraph per wrong gradient (its diagnosis and the case it was seen
in), the verdict line. HTML: the same table
with green/red cells, for notebooks.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from typing import Protocol

from comparisons.verification.results import ForwardResult, GradientResult


class RenderedReport(Protocol):
    """What rendering reads of a :class:`~comparisons.verification.report.VerifyReport`."""

    @property
    def op(self) -> str: ...

    @property
    def dtype(self) -> str: ...

    @property
    def seed(self) -> int: ...

    @property
    def cases(self) -> Sequence[str]: ...

    @property
    def forward(self) -> ForwardResult | None: ...

    @property
    def gradients(self) -> Sequence[GradientResult]: ...

    @property
    def error(self) -> str | None: ...

    @property
    def first_divergence(self) -> str | None: ...

    @property
    def passed(self) -> bool: ...

    @property
    def input_notes(self) -> Sequence[str]: ...

    def verdict(self) -> str: ...


COLUMNS = ("gradient", "result", "diagnosis", "factor", "max abs err", "max rel err",
           "finite diff.")
WIDTHS = (9, 6, 30, 8, 11, 11, 0)


def _num(x: float | None, fmt: str = ".2e") -> str:
    return "—" if x is None else format(x, fmt)


def _fd_cell(g: GradientResult) -> str:
    text = g.fd
    if g.fd_ignored:
        text += f" ({g.fd_ignored} untrusted left out)"
    return text


def _cells(g: GradientResult) -> list[str]:
    result = "ok" if g.passed else "FAIL"
    factor = "—" if g.factor is None else format(g.factor, ".4g")
    return [g.name, result, g.diagnosis, factor, _num(g.max_abs_err), _num(g.max_rel_err),
            _fd_cell(g)]


def _row(cells: list[str], widths: Sequence[int] = WIDTHS) -> str:
    return " ".join(c.ljust(w) if w else c for c, w in zip(cells, widths)).rstrip()


def widths_for(gradients: Sequence[GradientResult]) -> tuple[int, ...]:
    """:data:`WIDTHS`, the first column widened to the longest gradient name (``dcounts_sum_inv``
    of a named-intermediates report)."""
    first = max([WIDTHS[0], *(len(g.name) for g in gradients)])
    return (first, *WIDTHS[1:])


def header(report: RenderedReport) -> str:
    """``verify linear (float64, seed 0; cases: N=1, non-square, ...)``."""
    return (f"verify {report.op} ({report.dtype}, seed {report.seed}; "
            f"cases: {', '.join(report.cases) or '—'})")


def forward_line(fwd: ForwardResult) -> str:
    """``forward   ok   max rel err 1.1e-16`` (and where it was wrong, how it differs)."""
    state = "ok" if fwd.passed else f"FAIL (case {fwd.case}): {fwd.message}"
    if fwd.precision:
        state += f" [{fwd.precision}]"
    line = f"forward   {state}   max abs err {_num(fwd.max_abs_err)}, " \
           f"max rel err {_num(fwd.max_rel_err)}"
    if fwd.difference:
        line += "\n" + textwrap.fill(f"forward   differs from the reference: {fwd.difference}",
                                     width=100, subsequent_indent="    ")
    return line


def _where(g: GradientResult, n_cases: int) -> str:
    """' (case N=1; wrong in all 3 cases)' — where the reported diagnosis was seen."""
    if not g.case:
        return ""
    k = len(g.failing_cases)
    if k == n_cases and k > 1:
        return f" (case {g.case}; wrong in all {k} cases)"
    if k > 1:
        return f" (case {g.case}; wrong in: {', '.join(g.failing_cases)})"
    return f" (case {g.case}; right in the other cases)" if n_cases > 1 else f" (case {g.case})"


def explanation(g: GradientResult, n_cases: int = 0) -> str:
    """The paragraph under the table for one gradient that needs one."""
    where = _where(g, n_cases)
    tag = f" [{g.precision}]" if g.precision else ""
    text = f"{g.name}: {g.diagnosis}{where}{tag}: {g.message}"
    return textwrap.fill(text, width=100, subsequent_indent="    ")


def render_text(report: RenderedReport) -> str:
    """The human-readable report printed by ``backprop-lab verify``."""
    lines = [header(report), *(f"input: {n}" for n in report.input_notes)]
    if report.error is not None:
        lines += ["", "ERROR: " + report.error, "", report.verdict()]
        return "\n".join(lines)
    if report.forward is not None:
        lines.append(forward_line(report.forward))
    widths = widths_for(report.gradients)
    lines += ["", _row(list(COLUMNS), widths), _row(["-" * (w or 12) for w in widths], widths)]
    lines += [_row(_cells(g), widths) for g in report.gradients]
    notes = [explanation(g, len(report.cases)) for g in report.gradients
             if not g.passed or g.precision]
    notes += [textwrap.fill(f"{g.name}: note: {n}", width=100, subsequent_indent="    ")
              for g in report.gradients for n in g.notes]
    if report.first_divergence:
        notes.append(f"first divergence (walking backward, the first wrong gradient whose "
                     f"inputs are right): {report.first_divergence}")
    if notes:
        lines += ["", *notes]
    lines += ["", report.verdict()]
    return "\n".join(lines)


def _td(text: str, ok: bool | None = None) -> str:
    style = "" if ok is None else (
        ' style="background:#d9f2d9"' if ok else ' style="background:#f8d0d0"')
    return f"<td{style}>{html.escape(text)}</td>"


def render_html(report: RenderedReport) -> str:
    """A small HTML table (green = right, red = wrong) for Jupyter's rich display."""
    parts = [f"<div><b>{html.escape(header(report))}</b>"]
    parts += [f"<p>input: {html.escape(n)}</p>" for n in report.input_notes]
    if report.error is not None:
        parts.append(f"<pre style='background:#f8d0d0'>{html.escape(report.error)}</pre>")
    else:
        if report.forward is not None:
            color = "#d9f2d9" if report.forward.passed else "#f8d0d0"
            parts.append(f"<p style='background:{color}'>"
                         f"{html.escape(forward_line(report.forward))}</p>")
        head = "".join(f"<th>{html.escape(c)}</th>" for c in (*COLUMNS, "message"))
        rows = []
        for g in report.gradients:
            cells = _cells(g)
            row = "".join(_td(c, g.passed if i in (1, 2) else None) for i, c in enumerate(cells))
            row += _td("" if g.passed and not g.precision else explanation(g, len(report.cases)))
            rows.append(f"<tr>{row}</tr>")
        parts.append(f"<table><tr>{head}</tr>{''.join(rows)}</table>")
    color = "green" if report.passed else "red"
    parts.append(f"<p style='color:{color}'><b>{html.escape(report.verdict())}</b></p></div>")
    return "".join(parts)
