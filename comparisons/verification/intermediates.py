"""``backprop-lab verify FILE --intermediates``: a backward written through named intermediates.

The file ("backprop ninja" style, makemore part 4) defines ``forward()``, which builds its own
seeded parameters and data in torch and returns a dict of named tensors in the order it
computed them, parameters included (the entry ``loss``, else the last, is the scalar loss),
and ``backward(tensors)``, which receives that dict (detached copies) and returns
``{"d" + name: gradient}`` for any subset of the names (NumPy arrays or torch tensors). The
calls into the file are :mod:`comparisons.verification.intermediates_calls`.

Each returned gradient is judged against autograd's dL/dname (the total derivative: an
intermediate used twice sums both paths) by :func:`~comparisons.verification.diagnose.diagnose`
with the autograd tolerance of the file's precision, shapes strict (a ``(64,)`` where the
tensor is ``(1, 64)`` is ``wrong_shape``, never broadcast). One row per returned name, in
reverse topological order of autograd's graph; the first divergence is the wrong gradient
nearest the loss such that every returned gradient it is computed from (transitively) is right
(:func:`~comparisons.verification.diagnose.first_divergence` with the graph's dependencies).

float32 files: when a row fails, forward and backward are rerun in float64 at the same point
(``promoted``: every float32 result promoted) and judged against that accurate truth at the
float32 tolerance; a row right there is passed with the precision label
:data:`~comparisons.verification.aggregate.ARTEFACT`, one wrong there too takes the rerun's
diagnosis, labelled :data:`~comparisons.verification.aggregate.REAL_BUG`.
The file's seed and precision are its own (``seed`` in the report is 0, ``dtype`` the file's).

:func:`run_calls` judges from the two calls given as functions (``truth_of(promoted)``,
``gradients_of(inputs, promoted)``): made here by :func:`verify_intermediates`, or in two
sandboxed children by :mod:`comparisons.verification.intermediates_isolated` (what
``backprop-lab verify FILE --intermediates`` runs unless ``--in-process``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from comparisons.core.errors import UsageError
from comparisons.core.tolerances import tolerance
from comparisons.verification.aggregate import ARTEFACT, REAL_BUG
from comparisons.verification.diagnose import Diagnosis, diagnose, first_divergence
from comparisons.verification.guard import StructureError, UserCodeError, contained, error_text
from comparisons.verification.intermediates_calls import (
    Truth,
    check_no_arguments,
    compute_truth,
    student_gradients,
)
from comparisons.verification.loader import import_file
from comparisons.verification.report import ForwardResult, GradientResult, VerifyReport
from comparisons.verification.returned import (
    as_gradient,
    dtype_diagnosis,
    lower_precision,
    not_an_array,
)

__all__ = [
    "OP", "check_options", "judge", "load", "verify_intermediates", "verify_intermediates_file",
]

OP = "intermediates"
NO_RERUN = "not rerun in float64: {} stay float32 (made outside forward()?)"


def judge(name: str, given: Any, expected: np.ndarray, dtype: str) -> Diagnosis:
    """The diagnosis of one returned gradient ``given`` against autograd's ``expected``, at
    the autograd tolerance of ``dtype``; a float32 gradient in a float64 run is judged at the
    float32 tolerance and, right there, ``wrong_dtype``."""
    arr, what = as_gradient(given)
    if arr is None:
        return not_an_array(name, given, what, tuple(expected.shape))
    if lower_precision(arr, dtype):
        at_low = diagnose(arr, expected, name=name, tol=tolerance("autograd", "float32"))
        return dtype_diagnosis(name, arr, dtype, at_low)
    return diagnose(arr, expected, name=name, tol=tolerance("autograd", dtype))


def returned_names(truth: Truth, grads: Mapping[str, Any]) -> list[str]:
    """The tensor names of the returned ``"d" + name`` keys, in ``truth.order``;
    StructureError naming the first key that names no tensor with a gradient."""
    if not grads:
        raise StructureError("your backward returned an empty dict: expected {'d' + name: "
                             "gradient} for one or more of the tensors forward() returned")
    for key in grads:
        name = key[1:]
        if key.startswith("d") and name in truth.tensors:
            continue
        if key.startswith("d") and name in truth.inputs:
            raise StructureError(f"your backward returned {key!r}, but {name} has no gradient "
                                 f"(it does not require grad)")
        known = ", ".join("d" + n for n in truth.order)
        raise StructureError(f"your backward returned {key!r}: expected 'd' + the name of a "
                             f"tensor forward() returned, one of {known}")
    return [n for n in truth.order if "d" + n in grads]


def _row(key: str, d: Diagnosis) -> GradientResult:
    message = d.message if not d.passed else f"{key} matches autograd's gradient."
    return GradientResult(key, d.passed, d.code, d.factor, d.max_abs_err, d.max_rel_err,
                          message, details=dict(d.details), notes=list(d.notes))


def judge_all(truth: Truth, grads: Mapping[str, Any], dtype: str) -> list[GradientResult]:
    """One row per returned gradient, in reverse topological order."""
    return [_row("d" + n, judge("d" + n, grads["d" + n], truth.tensors[n][1], dtype))
            for n in returned_names(truth, grads)]


def relabel(row32: GradientResult, row64: GradientResult | None) -> GradientResult:
    """A float32 failure judged by its float64 rerun (None: the rerun returned no such row)."""
    if row64 is None:
        return replace(row32, precision=REAL_BUG)
    if row64.passed:
        msg = (f"{row32.name} is right: the float32 mismatch ({row32.diagnosis}, max rel err "
               f"{row32.max_rel_err or 0:.2e}) is rounding; it passes in float64.")
        return replace(row32, passed=True, diagnosis="ok", factor=None, message=msg,
                       precision=ARTEFACT)
    return replace(row64, precision=REAL_BUG)


TruthOf = Callable[[bool], Truth]
"""``truth_of(promoted)``: :func:`compute_truth` of the file's forward (here or in a child)."""
GradientsOf = Callable[[Mapping[str, Any], bool], Mapping[str, Any]]
"""``gradients_of(inputs, promoted)``: :func:`student_gradients` of the file's backward."""


def in_process(forward: Callable[[], Any],
               backward: Callable[..., Any]) -> tuple[TruthOf, GradientsOf]:
    """The two calls into the file, made in this process."""
    return (lambda promoted: compute_truth(forward, promoted=promoted),
            lambda inputs, promoted: student_gradients(backward, inputs, promoted=promoted))


def float64_rerun(truth_of: TruthOf, gradients_of: GradientsOf,
                  rows32: list[GradientResult]) -> list[GradientResult]:
    """The float32 rows with each failure relabelled by the float64 rerun, or labelled
    :data:`NO_RERUN` when some named tensors stay float32 even so (made at import, outside
    ``forward()``). The rerun judges at the float32 tolerance, the file's precision: the
    question is whether the float32 run's mismatch is rounding, and with an accurate truth a
    gradient within float32's tolerance is right (a backward that rounds to float32 on
    purpose, ``.float()``, carries that rounding into the rerun)."""
    truth = truth_of(True)
    stuck = [n for n, d in truth.dtypes.items() if d != "float64"]
    if stuck:
        note = NO_RERUN.format(", ".join(stuck))
        return [g if g.passed else replace(g, precision=note) for g in rows32]
    by_name = {g.name: g for g in judge_all(truth, gradients_of(truth.inputs, True), "float32")}
    return [g if g.passed else relabel(g, by_name.get(g.name)) for g in rows32]


def divergence(truth: Truth, rows: list[GradientResult]) -> str | None:
    """The first divergence along autograd's reverse topological order, as ``"d" + name``."""
    results = {g.name[1:]: Diagnosis(g.diagnosis, g.message, passed=g.passed) for g in rows}
    found = first_divergence(results, truth.order, truth.deps)
    return None if found is None else "d" + found


def run_calls(truth_of: TruthOf, gradients_of: GradientsOf) -> VerifyReport:
    """The report from the two calls into the file (in this process or in children); a
    UserCodeError or StructureError of the file's code is raised."""
    truth = truth_of(False)
    rows = judge_all(truth, gradients_of(truth.inputs, False), truth.dtype)
    if truth.dtype == "float32" and not all(g.passed for g in rows):
        rows = float64_rerun(truth_of, gradients_of, rows)
    fwd = ForwardResult(True, None, None, "forward() is the reference: autograd's gradients "
                                          "of its tensors are the truth")
    return VerifyReport(OP, truth.dtype, 0, [f"forward() (loss: {truth.loss})"], fwd, rows,
                        None, divergence(truth, rows))


def verify_intermediates(forward: Callable[[], Any],
                         backward: Callable[..., Any]) -> VerifyReport:
    """Verify a backward through named intermediates (module docstring); a
    :class:`~comparisons.verification.report.VerifyReport` with one row per returned gradient.

    ValueError (one line) when ``forward``/``backward`` are not functions, UsageError when
    ``forward()`` returns no dict of named tensors or no scalar loss with a graph; anything
    raised or an exit inside the user's code, or a backward returning no dict of known
    ``"d" + name`` keys, is in ``report.error``, not raised.
    """
    for what, fn in (("forward", forward), ("backward", backward)):
        if not callable(fn):
            raise ValueError(f"{what}: expected a function, got {type(fn).__name__}")
    check_no_arguments(forward)
    try:
        report: VerifyReport = contained(run_calls)(*in_process(forward, backward))
    except (UserCodeError, StructureError) as exc:
        return VerifyReport(OP, error=error_text(exc))
    return report


def check_options(**given: tuple[Any, Any]) -> None:
    """UsageError naming the first command-line option given (``option=(value, default)``)
    that does not apply with ``--intermediates``: the file seeds itself, its tensors' dtype is
    its precision, forward() names what is checked."""
    for option, (value, default) in given.items():
        if value != default:
            flag = "--" + option.replace("_", "-")
            raise UsageError(f"{flag}: does not apply with --intermediates (the file's "
                             f"forward() seeds itself and sets the dtype), got {value!r}")


def load(path: str | Path) -> tuple[Callable[[], Any], Callable[..., Any]]:
    """Import ``path``: its ``(forward, backward)``; UsageError (one line naming the file) for
    a missing file, bad syntax, no forward or backward; UserCodeError for a raise or an exit
    while it is imported."""
    _, module = import_file(path)
    missing = [n for n in ("forward", "backward") if not callable(getattr(module, n, None))]
    if missing:
        raise UsageError(f"{path}: no {' or '.join(missing)} function defined (expected "
                         f"forward() -> dict of named tensors and backward(tensors) -> dict "
                         f"of 'd' + name gradients)")
    return module.forward, module.backward


def verify_intermediates_file(path: str | Path) -> VerifyReport:
    """Import ``path`` and verify its ``forward()``/``backward(tensors)``; UsageError (one
    line naming the file) for a missing file, bad syntax, no forward/backward, or a forward
    returning no scalar loss; a raise or an exit while importing it is ``report.error``."""
    try:
        forward, backward = load(path)
    except UserCodeError as exc:
        return VerifyReport(OP, error=error_text(exc))
    try:
        return verify_intermediates(forward, backward)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
