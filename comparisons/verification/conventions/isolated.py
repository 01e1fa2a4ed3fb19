"""``verify FILE --convention NAME`` with the student's code in a sandboxed child process.

The file is imported in a child (:func:`comparisons.verification.isolation.open_isolated`)
and :func:`~comparisons.verification.conventions.cs231n.verify_functions` gets the child's
proxies in place of the functions: the course's forwards keep their caches in the child, the
parent alone holds the reference, the tolerances, the statistics checks and the verdict, so
nothing the file does (``os._exit`` in a backward, a forged report, an endless loop) changes a
verdict or an exit code; a limit hit is the section's error, with the reason. What the code
printed (in every child it ran in) and what the sandbox refused it are in the report
(:class:`IsolatedConventionReport`), as ``verify FILE`` shows them. NumPy's global
random state is reseeded in the child (a ``reseed`` request) where the in-process path calls
``np.random.seed``: the same seed gives the same report either way.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comparisons.core.errors import UsageError
from comparisons.verification.arguments import check_dtype, check_seed
from comparisons.verification.conventions.cs231n import FORWARDS, FUNCTION_NAMES, verify_functions
from comparisons.verification.conventions.report import ConventionReport
from comparisons.verification.guard import ChildError, ChildExit
from comparisons.verification.isolation import Limits, Opened, Spares, open_isolated
from comparisons.verification.sandbox.isolated import Printed
from comparisons.verification.sandbox.remote import Session

SUPPORTED = ("cs231n",)


@dataclass(frozen=True)
class IsolatedConventionReport(ConventionReport):
    """A :class:`ConventionReport` with what the file's code printed and what the sandbox
    refused it, as :class:`~comparisons.verification.isolation.IsolatedReport` has them
    (``printed``: the first SHOWN characters, escaped; ``printed_bytes``; ``refused``)."""

    printed: str = ""
    printed_bytes: int = 0
    refused: list[str] = field(default_factory=list)

    def output(self) -> Printed:
        """The printed fields as one :class:`Printed`."""
        return Printed(self.printed, self.printed_bytes, tuple(self.refused))

    def to_json(self) -> dict[str, Any]:
        """The convention report's JSON plus ``printed``, ``printed_bytes``, ``refused``."""
        return {**super().to_json(), **self.output().to_json()}

    def __str__(self) -> str:
        return self.output().inserted(super().__str__())


def captured(report: ConventionReport, opened: list[Opened]) -> IsolatedConventionReport:
    """``report`` with what the children of ``opened`` printed and refused."""
    printed = Printed.of(opened)
    kept = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
    return IsolatedConventionReport(**kept, printed=printed.text, printed_bytes=printed.size,
                                    refused=list(printed.refused))


def reseed_in(session: Session) -> Callable[[int], None]:
    """``reseed(seed)``: ``np.random.seed(seed)`` in the child; a dead child is left to the
    next call into the student's code to report."""

    def reseed(seed: int) -> None:
        try:
            session.request({"op": "reseed", "seed": int(seed)}, {})
        except (ChildError, ChildExit):
            pass

    return reseed


class Children:
    """The children a file runs in: one, and a fresh one before the next pair when the last
    pair's code killed it (``os._exit``, a limit): a correct pair is not failed for another
    pair's exit. Each new child gets what is left of ``limits.total_timeout``."""

    def __init__(self, stack: ExitStack, path: str | Path, limits: Limits,
                 spares: Spares | None, cell: str | None, data_dir: str | Path | None) -> None:
        self.stack, self.path, self.limits, self.spares = stack, path, limits, spares
        self.cell, self.data_dir = cell, data_dir
        self.start = time.monotonic()
        self.opened = self.open(limits)
        self.all = [self.opened]
        self.copies = [str(self.opened.sandbox.scratch / Path(path).name)]

    def open(self, limits: Limits) -> Opened:
        return self.stack.enter_context(open_isolated(
            self.path, limits=limits, spares=self.spares, cell=self.cell,
            data_dir=self.data_dir, forwards=FORWARDS))

    def functions(self) -> dict[str, Callable[..., Any]]:
        module = self.opened.module
        return {n: getattr(module, n) for n in FUNCTION_NAMES
                if callable(getattr(module, n, None))}

    def renew(self) -> tuple[Mapping[str, Callable[..., Any]], Callable[[int], None]]:
        """The functions and reseed of a live child (the dead one's when no time is left)."""
        left = self.limits.total_timeout - (time.monotonic() - self.start)
        if self.opened.sandbox.dead is not None and left > 1.0:
            fresh = self.open(dataclasses.replace(self.limits, total_timeout=left))
            if fresh.module is not None:
                self.opened = fresh
                self.all.append(fresh)
                self.copies.append(str(fresh.sandbox.scratch / Path(self.path).name))
        return self.functions(), reseed_in(self.opened.session)


def verify_convention_isolated(path: str | Path, convention: str, *, dtype: str = "float64",
                               seed: int = 0, limits: Limits | None = None,
                               spares: Spares | None = None, cell: str | None = None,
                               data_dir: str | Path | None = None
                               ) -> IsolatedConventionReport:
    """:func:`~comparisons.verification.conventions.run.verify_convention_file`, isolated:
    the same report (field for field on the gallery) plus what the code printed (in each
    child it ran in, in turn) and what was refused, ``limits`` and ``spares`` as for
    :func:`~comparisons.verification.isolation.verify_isolated`. UsageError (one line) for an
    unknown convention, a missing file, bad syntax, a file with none of the functions."""
    if convention not in SUPPORTED:
        raise UsageError(f"--convention: expected one of {', '.join(SUPPORTED)}, "
                         f"got {convention!r}")
    dtype, seed = check_dtype(dtype), check_seed(seed)
    with ExitStack() as stack:
        children = Children(stack, path, limits or Limits(), spares, cell, data_dir)
        opened = children.opened
        if opened.module is None:
            return captured(ConventionReport(convention, str(path), dtype, seed,
                                             error=opened.error,
                                             input_notes=list(opened.notes)), children.all)
        functions = children.functions()
        if not functions:
            raise UsageError(f"{path}: none of CS231n's layers.py functions is defined "
                             f"(expected e.g. affine_forward and affine_backward, "
                             f"relu_forward, softmax_loss)")
        report = verify_functions(functions, dtype=dtype, seed=seed, file=str(path),
                                  notes=opened.notes, reseed=reseed_in(opened.session),
                                  renew=children.renew)
        report = captured(report, children.all)
    return relocated(report, children.copies, str(Path(path).resolve()))


def relocated(report: IsolatedConventionReport, copies: list[str],
              original: str) -> IsolatedConventionReport:
    """The report with the scratch copies' paths in errors read as the original file's."""
    def moved(text: str | None) -> str | None:
        for copy in copies:
            text = None if text is None else text.replace(copy, original)
        return text

    sections = [dataclasses.replace(s, report=dataclasses.replace(s.report, error=moved(
        s.report.error))) for s in report.sections]
    return dataclasses.replace(report, sections=sections)
