"""``verify FILE --intermediates`` with the file's code in two sandboxed child processes.

The truth (autograd through the file's ``forward()``) is the file's code too, so it runs in a
child of its own (:func:`~comparisons.verification.intermediates_calls.truth_reply`), and
``backward(tensors)`` in a second child (:func:`~.intermediates_calls.gradients_reply`): the
backward cannot see or patch the process that computed the truth. Each child imports a copy
of the file with one small function appended that makes its call and returns plain data
(arrays, tensors, names); the parent alone judges every gradient
(:func:`~comparisons.verification.intermediates.run_calls`), with its own tolerances and
diagnosis, so an ``os._exit``, a forged report, a patched NumPy or an endless loop in either
child is a failed report with the reason, never a pass or a hung tool. What the code printed
in both children (the truth's first: the file is imported in each, so what it prints at import
shows twice) and what the sandbox refused it are in the report, an
:class:`~comparisons.verification.isolation.IsolatedReport` as ``verify FILE`` gives.

What a hostile ``forward()`` can still do: it defines the network, so it defines the truth.
It can return a graph whose gradients are whatever its backward returns (a pass for its own
made-up network), make the truth child report a usage problem (exit 2 rather than 1), or fail
the run; it cannot reach the parent's verdict logic or the backward's process.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from comparisons.core.errors import UsageError
from comparisons.verification.guard import ChildError, ChildExit, StructureError, UserCodeError
from comparisons.verification.intermediates import OP, GradientsOf, TruthOf, run_calls
from comparisons.verification.intermediates_calls import Truth, truth_from
from comparisons.verification.report import VerifyReport
from comparisons.verification.sandbox.isolated import (
    IsolatedReport,
    Opened,
    Printed,
    checked_source,
    open_isolated,
)
from comparisons.verification.sandbox.limits import Limits
from comparisons.verification.sandbox.spares import Spares

TRUTH = "backprop_lab_truth_"
GRADIENTS = "backprop_lab_gradients_"
APPENDED = {
    TRUTH: "\n\n\ndef {name}(promoted):  # appended by backprop-lab: the truth, computed here\n"
           "    from comparisons.verification.intermediates_calls import truth_reply\n"
           "    return truth_reply(forward, promoted)\n",
    GRADIENTS: "\n\n\ndef {name}(inputs, promoted):  # appended by backprop-lab\n"
               "    from comparisons.verification.intermediates_calls import gradients_reply\n"
               "    return gradients_reply(backward, inputs, promoted)\n",
}
"""The function appended to each child's copy of the file (after it: the file's line numbers
in tracebacks are unchanged)."""
WHERE = (" (the file runs in two processes: imported and forward() for the truth, then "
         "imported and backward())")
"""Where the file printed, in the report's text: import-time output shows twice."""


class Reported(Exception):
    """A failure of the file's code, already said as the report's error text."""


class Child:
    """One child's helper: ``call(*args)`` its reply; a dead child or an odd reply is a
    :class:`UserCodeError`, the file's code failing there a :class:`Reported`."""

    def __init__(self, opened: Opened, name: str, where: str) -> None:
        self.opened, self.name, self.where = opened, name, where

    def call(self, *args: Any) -> Mapping[str, Any]:
        assert self.opened.module is not None
        try:
            reply = getattr(self.opened.module, self.name)(*args)
        except (ChildError, ChildExit) as exc:
            raise UserCodeError(self.where, exc.text, exc.reason) from None
        if not isinstance(reply, Mapping):
            raise UserCodeError(self.where, "", f"sent a reply that is no dict "
                                                f"({type(reply).__name__})")
        if "error" in reply:
            raise Reported(str(reply["error"]))
        return reply


def calls(truth: Child, grads: Child, path: str | Path) -> tuple[TruthOf, GradientsOf]:
    """The two calls of :func:`run_calls`, each made in its child."""

    def truth_of(promoted: bool) -> Truth:
        reply = truth.call(promoted)
        if "usage" in reply:
            raise UsageError(f"{path}: {reply['usage']}")
        try:
            return truth_from(reply["truth"])
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise UserCodeError(truth.where, "", f"sent a truth the checker cannot read "
                                                 f"({type(exc).__name__})") from None

    def gradients_of(inputs: Mapping[str, Any], promoted: bool) -> Mapping[str, Any]:
        grads_ = grads.call(dict(inputs), promoted).get("grads")
        if not isinstance(grads_, Mapping):
            raise UserCodeError(grads.where, "", "sent gradients that are no dict")
        return grads_

    return truth_of, gradients_of


def verify_intermediates_isolated(path: str | Path, *, limits: Limits | None = None,
                                  spares: Spares | None = None) -> IsolatedReport:
    """:func:`~comparisons.verification.intermediates.verify_intermediates_file`, isolated
    (module docstring): the same report plus what the code printed and what was refused
    (the truth's child's, then backward's); UsageError (one line naming the file) for a missing
    file, bad syntax, no forward/backward, a forward returning no scalar loss."""
    source = checked_source(path)  # the file's own usage errors, naming it
    if source.path.suffix != ".py":
        raise UsageError(f"{path}: --intermediates expects a .py file")
    text = source.units[0][1]
    with tempfile.TemporaryDirectory(prefix="backprop-lab-ninja-") as tmp, ExitStack() as stack:
        children: dict[str, tuple[Opened, Path]] = {}
        for name in (TRUTH, GRADIENTS):
            copy = Path(tmp) / name / source.path.name
            copy.parent.mkdir()
            copy.write_text(text + APPENDED[name].format(name=name))
            opened = stack.enter_context(open_isolated(copy, limits=limits, spares=spares))
            if opened.module is None:
                return with_printed(VerifyReport(OP, error=readable(opened, copy, source.path)),
                                    [o for o, _ in children.values()] + [opened])
            missing = [n for n in ("forward", "backward")
                       if not callable(getattr(opened.module, n, None))]
            if missing:
                raise UsageError(f"{path}: no {' or '.join(missing)} function defined "
                                 f"(expected forward() -> dict of named tensors and "
                                 f"backward(tensors) -> dict of 'd' + name gradients)")
            children[name] = (opened, copy)
        (t_open, t_copy), (g_open, g_copy) = children[TRUTH], children[GRADIENTS]
        report = judged(calls(Child(t_open, TRUTH, "your forward (autograd on it)"),
                              Child(g_open, GRADIENTS, "your backward"), path))
        if report.error is not None:
            error = readable(t_open, t_copy, source.path, report.error)
            report = VerifyReport(OP, error=readable(g_open, g_copy, source.path, error))
        return with_printed(report, [t_open, g_open])


def with_printed(report: VerifyReport, opened: list[Opened]) -> IsolatedReport:
    """``report`` with what the children of ``opened`` printed and refused, in turn."""
    printed = Printed.of(opened)
    kept = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
    return IsolatedReport(**kept, printed=printed.text, printed_bytes=printed.size,
                          refused=list(printed.refused), where=WHERE if len(opened) > 1 else "")


def judged(pair: tuple[TruthOf, GradientsOf]) -> VerifyReport:
    """:func:`run_calls`, a failure of the file's code as the report's error."""
    try:
        return run_calls(*pair)
    except (Reported, StructureError) as exc:
        return VerifyReport(OP, error=str(exc))
    except ChildExit as exc:  # an object the backward returned, ended in the child when used
        return VerifyReport(OP, error=f"your code (a value it returned) {exc.reason}:\n"
                                      f"{exc.text}")
    except UserCodeError as exc:
        headline = f"{exc.where} {exc.reason}"
        return VerifyReport(OP, error=f"{headline}:\n{exc.text}" if exc.text else headline)


def readable(opened: Opened, copy: Path, original: Path, text: str | None = None) -> str:
    """``text`` (default: the import error) with the child's and the copy's paths read as
    the original file's."""
    if text is None:
        text = opened.error or ""
    for path in (opened.sandbox.scratch / copy.name, copy):
        text = text.replace(str(path), str(original))
    return text
