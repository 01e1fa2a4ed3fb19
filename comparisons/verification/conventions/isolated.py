"""``verify FILE --convention NAME`` with the student's code in a sandboxed child process.

The file is imported in a child (:func:`comparisons.verification.isolation.open_isolated`)
and :func:`~comparisons.verification.conventions.cs231n.verify_functions` gets the child's
proxies in place of the functions: the course's forwards keep their caches in the child, the
parent alone holds the reference, the tolerances, the statistics checks and the verdict, so
nothing the file does (``os._exit`` in a backward, a forged report, an endless loop) changes a
verdict or an exit code; a limit hit is the section's error, with the reason. NumPy's global
random state is reseeded in the child (a ``reseed`` request) where the in-process path calls
``np.random.seed``: the same seed gives the same report either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from comparisons.core.errors import UsageError
from comparisons.verification.arguments import check_dtype, check_seed
from comparisons.verification.conventions.cs231n import FORWARDS, FUNCTION_NAMES, verify_functions
from comparisons.verification.conventions.report import ConventionReport
from comparisons.verification.guard import ChildError, ChildExit
from comparisons.verification.isolation import Limits, Spares, open_isolated
from comparisons.verification.sandbox.remote import Session

SUPPORTED = ("cs231n",)


def reseed_in(session: Session) -> Callable[[int], None]:
    """``reseed(seed)``: ``np.random.seed(seed)`` in the child; a dead child is left to the
    next call into the student's code to report."""

    def reseed(seed: int) -> None:
        try:
            session.request({"op": "reseed", "seed": int(seed)}, {})
        except (ChildError, ChildExit):
            pass

    return reseed


def verify_convention_isolated(path: str | Path, convention: str, *, dtype: str = "float64",
                               seed: int = 0, limits: Limits | None = None,
                               spares: Spares | None = None, cell: str | None = None,
                               data_dir: str | Path | None = None) -> ConventionReport:
    """:func:`~comparisons.verification.conventions.run.verify_convention_file`, isolated:
    the same report (field for field on the gallery), ``limits`` and ``spares`` as for
    :func:`~comparisons.verification.isolation.verify_isolated`. UsageError (one line) for an
    unknown convention, a missing file, bad syntax, a file with none of the functions."""
    if convention not in SUPPORTED:
        raise UsageError(f"--convention: expected one of {', '.join(SUPPORTED)}, "
                         f"got {convention!r}")
    dtype, seed = check_dtype(dtype), check_seed(seed)
    with open_isolated(path, limits=limits, spares=spares, cell=cell, data_dir=data_dir,
                       forwards=FORWARDS) as opened:
        if opened.module is None:
            return ConventionReport(convention, str(path), dtype, seed, error=opened.error,
                                    input_notes=list(opened.notes))
        functions = {n: getattr(opened.module, n) for n in FUNCTION_NAMES
                     if callable(getattr(opened.module, n, None))}
        if not functions:
            raise UsageError(f"{path}: none of CS231n's layers.py functions is defined "
                             f"(expected e.g. affine_forward and affine_backward, "
                             f"relu_forward, softmax_loss)")
        report = verify_functions(functions, dtype=dtype, seed=seed, file=str(path),
                                  notes=opened.notes, reseed=reseed_in(opened.session))
        copy = str(opened.sandbox.scratch / Path(path).name)
    return relocated(report, copy, str(Path(path).resolve()))


def relocated(report: ConventionReport, copy: str, original: str) -> ConventionReport:
    """The report with the scratch copy's path in errors read as the original file's."""
    sections = [dataclasses.replace(s, report=dataclasses.replace(
        s.report, error=None if s.report.error is None else s.report.error.replace(
            copy, original))) for s in report.sections]
    return dataclasses.replace(report, sections=sections)
