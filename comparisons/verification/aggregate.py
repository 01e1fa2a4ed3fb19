"""From per-case outcomes to one row per gradient, the float32 rerun, the first divergence.

A gradient passes only if it passes in every case. When it fails, the reported diagnosis is
that of the first failing case with the most specific code: a named mistake beats
``wrong_shape``, which beats ``unknown`` (an N = 1 case may show ``db`` (1, D) only as a wrong
shape, the odd batch shows it is not summed over the batch).
"""

from __future__ import annotations

from dataclasses import replace

from comparisons.core.ops import OpSpec
from comparisons.core.ops_network import BACKWARD_ORDER
from comparisons.core.ops_network import DEPENDENCIES as TWO_LAYER_DEPS
from comparisons.verification.cases import CaseOutcome, cases_of, run_cases
from comparisons.verification.diagnose import Diagnosis, first_divergence
from comparisons.verification.guard import StructureError, UserCodeError, contained, error_text
from comparisons.verification.report import OWN_FORWARD, ForwardResult, GradientResult, VerifyReport
from comparisons.verification.upstream import NOTE_CODE as UPSTREAM_NOTE

ARTEFACT = "float32 artefact: passes in float64"
REAL_BUG = "real bug: wrong in float64 too"


def _rank(code: str) -> int:
    return {"unknown": 0, "wrong_shape": 1}.get(code, 2)


def _max(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def _fd_summary(outcomes: list[CaseOutcome], g: str) -> tuple[str, float | None, int, str]:
    """(status, worst rel err, untrusted elements left out, note on a failure)."""
    checks = [(o.label, o.fd[g]) for o in outcomes if g in o.fd]
    if not checks:
        return "—", None, 0, ""
    bad = [(label, c) for label, c in checks if not c.passed]
    worst = _max([c.max_rel_err for _, c in checks])
    ignored = sum(c.ignored for _, c in checks)
    note = ""
    if bad:
        label, c = bad[0]
        note = (f" Finite differences of your forward disagree with {g} (case {label}: "
                f"{c.message}).")
    return ("FAIL" if bad else "ok"), worst, ignored, note


def _notes(diags: list[tuple[str, Diagnosis]]) -> list[str]:
    """Every case's notes, in case order, each once."""
    return list(dict.fromkeys(n for _, d in diags for n in d.notes))


def gradient_row(outcomes: list[CaseOutcome], g: str) -> GradientResult:
    """Aggregate gradient ``g`` over the cases."""
    diags = [(o.label, o.diagnoses[g]) for o in outcomes]
    fd, fd_rel, ignored, note = _fd_summary(outcomes, g)
    failing = [(label, d) for label, d in diags if not d.passed]
    if not failing:
        msg = f"{g} matches the reference in all {len(diags)} cases." + note
        noted = sum(any(n.startswith(UPSTREAM_NOTE) for n in d.notes) for _, d in diags)
        if noted:
            msg = (f"{g} matches the reference in all {len(diags) - noted} cases with upstream "
                   f"gradient 1; see the note on the upstream gradient." + note)
        return GradientResult(g, True, "ok", None, _max([d.max_abs_err for _, d in diags]),
                              _max([d.max_rel_err for _, d in diags]), msg, None, [], fd,
                              fd_rel, ignored, notes=_notes(diags))
    best = max(_rank(d.code) for _, d in failing)
    label, d = next((lab, d) for lab, d in failing if _rank(d.code) == best)
    return GradientResult(g, False, d.code, d.factor, d.max_abs_err, d.max_rel_err,
                          d.message, label, [lab for lab, _ in failing], fd, fd_rel,
                          ignored, details=dict(d.details), notes=_notes(diags))


def forward_row(outcomes: list[CaseOutcome]) -> ForwardResult:
    """The forward value over the cases: right in all, or the first wrong case."""
    bad = [o for o in outcomes if not o.forward.passed]
    errs = [o.forward for o in (bad[:1] or outcomes)]
    message = f"{bad[0].forward.message}" if bad else ""
    difference = bad[0].forward_difference if bad else None
    return ForwardResult(not bad, _max([c.max_abs_err for c in errs]),
                         _max([c.max_rel_err for c in errs]), message,
                         bad[0].label if bad else None, difference=difference)


def _order(spec: OpSpec) -> list[str]:
    names = list(spec.grads + spec.intermediates)
    if spec.returns_dict and set(BACKWARD_ORDER) == set(names):
        return list(BACKWARD_ORDER)
    return names


def rows(spec: OpSpec, outcomes: list[CaseOutcome]) -> tuple[ForwardResult, list[GradientResult]]:
    """The forward row and one row per gradient, in backward order for two_layer."""
    return forward_row(outcomes), [gradient_row(outcomes, g) for g in _order(spec)]


def _relabel(row32: GradientResult, row64: GradientResult) -> GradientResult:
    """A float32 failure judged by its float64 rerun."""
    if row64.passed and row64.fd != "FAIL":
        msg = (f"{row32.name} is right: the float32 mismatch ({row32.diagnosis}, max rel err "
               f"{row32.max_rel_err or 0:.2e}) is rounding; it passes in float64.")
        return replace(row32, passed=True, diagnosis="ok", factor=None, message=msg,
                       case=None, failing_cases=[], fd="ok", precision=ARTEFACT)
    return replace(row64, precision=REAL_BUG)


def _float64_rerun(spec: OpSpec, seed: int, fwd32: ForwardResult,
                   grads32: list[GradientResult]) -> tuple[ForwardResult, list[GradientResult]]:
    fwd64, grads64 = rows(spec, contained(run_cases)(spec, "float64", seed))
    by_name = {g.name: g for g in grads64}
    grads = [g if g.passed and g.fd != "FAIL" else _relabel(g, by_name[g.name])
             for g in grads32]
    if not fwd32.passed:
        fwd32 = replace(fwd32, passed=fwd64.passed,
                        precision=ARTEFACT if fwd64.passed else REAL_BUG)
    return fwd32, grads


def divergence(spec: OpSpec, grads: list[GradientResult]) -> str | None:
    """two_layer: the first wrong gradient, walking backward, whose inputs are right.

    None when a gradient is ``consistent_with_own_forward``: the walk compares with the
    gradients of a different function (the reference's), so it would point into a backward
    that is right for the user's forward.
    """
    if not spec.returns_dict or any(g.diagnosis == OWN_FORWARD for g in grads):
        return None
    results = {g.name: Diagnosis(g.diagnosis, g.message, passed=g.passed) for g in grads}
    return first_divergence(results, list(BACKWARD_ORDER), TWO_LAYER_DEPS)


def build_report(spec: OpSpec, dtype: str, seed: int) -> VerifyReport:
    """Run every case (:func:`~comparisons.verification.cases.run_cases`, an exit in user code
    :func:`~comparisons.verification.guard.contained`), aggregate, rerun float32 failures in
    float64,
    name the first divergence."""
    try:
        fwd, grads = rows(spec, contained(run_cases)(spec, dtype, seed))
        needs_rerun = not fwd.passed or any(not g.passed or g.fd == "FAIL" for g in grads)
        if dtype == "float32" and needs_rerun:
            fwd, grads = _float64_rerun(spec, seed, fwd, grads)
    except (UserCodeError, StructureError) as exc:
        return report_error(spec, dtype, seed, exc)
    return VerifyReport(spec.name, dtype, seed, [c.label for c, _ in cases_of(spec)], fwd,
                        grads, None, divergence(spec, grads))


def report_error(spec: OpSpec, dtype: str, seed: int,
                 exc: UserCodeError | StructureError) -> VerifyReport:
    """The report of a run stopped by the user's code (exception or wrong structure)."""
    return VerifyReport(spec.name, dtype, seed, [c.label for c, _ in cases_of(spec)],
                        error=error_text(exc))
