"""``verify``: run a user's forward/backward through every shape case and diagnose each gradient.

For each shape case of the op (the awkward shapes of ``BUILTIN_OPS``, plus verify-only cases
such as ReLU inputs with exact zeros), with seeded inputs:

1. the user's forward value against the reference (torch);
2. every returned gradient against torch autograd, through the diagnosis engine with the op's
   candidates (what the usual mistakes would give) and context;
3. every input gradient against central finite differences of the *user's* forward, with the
   elements where they cannot be trusted (a ReLU kink, the log-RMSE clamp) left out and counted.

Upstream convention: a scalar objective J (``spec.scalar_output``) gets dJ = 1 in every shape
case, so the gradient judged is dJ/dθ; one more case (:mod:`comparisons.verify.upstream`) runs
dJ = 1.7, where a term not multiplied by dJ passes with an ``upstream_not_applied`` note.
A non-scalar op gets a standard-normal dout, and a backward that ignores it is diagnosed
``upstream_ignored`` (the reference gradient with dout = ones is a candidate). When the user's
forward value is wrong, a gradient that matches finite differences of that forward is
``consistent_with_own_forward`` (:mod:`comparisons.verify.forward_diff`).

The user's code gets copies of the inputs (an in-place edit cannot corrupt the reference run);
any exception in it becomes ``report.error`` with its traceback. Same seed, same report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from comparisons.builtin_ops import BUILTIN_OPS, get_op
from comparisons.compare import Check, compare
from comparisons.finite_diff import DEFAULT_STEP
from comparisons.ops import (
    Case,
    Inputs,
    OpSpec,
    call_forward,
    finite_difference_witness,
    grads_as_dict,
    make_dout,
    reference_run,
)
from comparisons.tolerances import tolerance
from comparisons.verify.arguments import check_against, check_dtype, check_seed
from comparisons.verify.candidates import EXTRA_CASES, context_for
from comparisons.verify.custom import custom_spec
from comparisons.verify.diagnose import Candidate, Diagnosis, diagnose
from comparisons.verify.forward_diff import forward_difference, own_forward_diagnosis, sizes_of
from comparisons.verify.guard import (
    StructureError,
    UserCodeError,
    contained,
    error_text,
    guarded,
)
from comparisons.verify.kinks import accept_subgradients, attach_notes
from comparisons.verify.report import REFERENCE_BLAME, VerifyReport
from comparisons.verify.returned import (
    as_gradient,
    dtype_diagnosis,
    lower_precision,
    not_an_array,
)
from comparisons.verify.upstream import (
    PROBE_VALUE,
    UpstreamCase,
    ones_candidates,
    upstream_case,
    upstream_pass,
)

Transform = Callable[[Inputs], Inputs] | None


@dataclass(frozen=True)
class CaseOutcome:
    """One case: the forward check, each gradient's diagnosis, each finite-difference check.

    ``forward_difference`` names how a wrong forward value differs from the reference, when a
    known pattern explains it (:func:`comparisons.verify.forward_diff.forward_difference`).
    """

    label: str
    forward: Check
    diagnoses: dict[str, Diagnosis]
    fd: dict[str, Check]
    forward_difference: str | None = None


def verify(forward: Callable[..., Any], backward: Callable[..., Any], against: str | None = None,
           *, dtype: str = "float64", seed: int = 0, reference: Callable[..., Any] | None = None,
           shapes: dict[str, Any] | None = None, nondiff: Sequence[str] = (),
           min_batch: int | None = None) -> VerifyReport:
    """Verify a hand-written ``forward``/``backward`` pair; returns a :class:`VerifyReport`.

    ``against``: a built-in op name (default ``"linear"``; see ``backprop-lab verify --list``),
    or, together with ``reference`` (a torch function) and ``shapes`` (input name -> shape
    tuple, ``"N"`` = batch dim; or ``("int", shape, high)``, ``("const", value)``: see
    :mod:`comparisons.verify.custom`), the name of a custom layer (default ``"custom"``);
    ``nondiff`` names inputs without a gradient, ``min_batch`` the smallest batch N
    tried. ``dtype``: ``"float64"`` (default) or ``"float32"`` (a
    failure is rerun in float64 and labelled a float32 artefact or a real bug). Bad arguments
    raise ValueError naming the argument (``seed``: an integer >= 0, never truncated; an empty
    ``against`` is an error, not linear); anything wrong in the user's code, an exit or a
    KeyboardInterrupt inside it included (see :mod:`comparisons.verify.guard`), is in the
    report, not raised.
    """
    seed, dtype = check_seed(seed), check_dtype(dtype)
    against = check_against(against, custom=reference is not None or shapes is not None)
    spec = resolve_spec(forward, backward, against, reference, shapes, nondiff, min_batch)
    from comparisons.verify.aggregate import build_report

    return build_report(spec, dtype, seed, contained(run_cases))


def resolve_spec(forward: Any, backward: Any, against: str | None, reference: Any,
                 shapes: Any, nondiff: Sequence[str] = (), min_batch: Any = None) -> OpSpec:
    """The op spec with the user's forward/backward in place of the project's."""
    for what, fn in (("forward", forward), ("backward", backward)):
        if not callable(fn):
            raise ValueError(f"{what}: expected a function, got {type(fn).__name__}")
    if reference is None and shapes is None:
        if min_batch is not None:
            raise ValueError(f"min_batch: only for a custom layer (reference and shapes), got "
                             f"{min_batch!r} with a built-in op")
        return dataclasses.replace(get_op(against or "linear"), forward=forward,
                                   backward=backward)
    if reference is None or shapes is None:
        raise ValueError("reference and shapes: a custom layer needs both")
    name = against or "custom"
    if name in BUILTIN_OPS:
        raise ValueError(f"against: {name!r} is a built-in op; name your custom layer "
                         f"differently or drop reference/shapes")
    return custom_spec(name, forward, backward, reference, shapes, nondiff, min_batch)


def cases_of(spec: OpSpec) -> list[tuple[Case, Transform]]:
    """The op's shape cases, verify-only extra cases (with their input transform), then the
    upstream dJ ≠ 1 case of a scalar objective."""
    extra = upstream_case(spec)
    return ([(c, None) for c in spec.cases] + list(EXTRA_CASES.get(spec.name, ()))
            + ([(extra, None)] if extra is not None else []))


def run_cases(spec: OpSpec, dtype: str, seed: int) -> list[CaseOutcome]:
    """Every case in ``dtype`` from ``seed``; raises UserCodeError / StructureError."""
    rng = np.random.default_rng(seed)
    builtin = spec.name in BUILTIN_OPS and spec.reference is BUILTIN_OPS[spec.name].reference
    user = dataclasses.replace(
        spec, forward=guarded(spec.forward, "your forward"),
        backward=guarded(spec.backward, "your backward"),
        reference=spec.reference if builtin else guarded(spec.reference, "your reference"))
    outcomes = []
    for case, transform in cases_of(spec):
        try:
            outcomes.append(run_one(user, case, transform, dtype, rng))
        except UserCodeError as exc:
            exc.where += f" (case {case.label}, {dtype})"
            raise
        except StructureError as exc:
            raise StructureError(f"{exc} (case {case.label}, {dtype})") from None
    return outcomes


def _copy(inputs: Inputs) -> Inputs:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}


def _forward(spec: OpSpec, inputs: Inputs) -> tuple[Any, Any]:
    try:
        out, cache = call_forward(spec, spec.forward, _copy(inputs))
    except TypeError as exc:  # call_forward's own structure check
        raise StructureError(f"your {exc}") from None
    # a copy: the value is judged after the backward ran, which may edit the cached out
    arr = np.array(out) if out is not None else None
    if arr is None or not np.issubdtype(arr.dtype, np.number):
        raise StructureError(f"your forward returned out = {type(out).__name__}; expected an "
                             f"array (forward must return (out, cache))")
    return arr, cache


def _grads(spec: OpSpec, returned: Any) -> dict[str, Any]:
    try:
        return grads_as_dict(spec, returned)
    except TypeError as exc:
        raise StructureError(f"your {exc}") from None


def _user_run(spec: OpSpec, inputs: Inputs, dout: Any) -> tuple[Any, dict[str, Any]]:
    """The user's forward then backward, fresh (student code edits its caches in place)."""
    out, cache = _forward(spec, inputs)
    return out, _grads(spec, spec.backward(np.array(dout), cache))


def _forward_check(spec: OpSpec, case: Case, out: Any, ref_out: Any, dtype: str) -> Check:
    return compare(out, ref_out, name=f"{spec.name}[{case.label}]", tensor="out",
                   against="forward", tol=tolerance("forward", dtype), check_dtype=False)


def run_one(spec: OpSpec, case: Case, transform: Transform, dtype: str,
            rng: np.random.Generator) -> CaseOutcome:
    """Draw the case's inputs, run the user's pair and the reference, judge everything."""
    inputs = spec.make_inputs(rng, case, np.dtype(dtype))
    if transform is not None:
        inputs = transform(inputs)
    if isinstance(case, UpstreamCase):
        return run_upstream(spec, case, inputs, dtype)
    out, cache = _forward(spec, inputs)
    dout = make_dout(spec, out, rng, unit_objective=True)
    grads = _grads(spec, spec.backward(np.array(dout), cache))
    ref_out, ref_grads = _reference(spec, inputs, dout)
    ref_grads, kink_notes = accept_subgradients(spec, inputs, dout, grads, ref_grads)
    fwd = _forward_check(spec, case, out, ref_out, dtype)
    ones = ones_candidates(spec, lambda: _reference(spec, inputs, np.ones_like(dout))[1])
    diagnoses = {g: diagnose_one(spec, g, grads[g], inputs, dout, ref_grads, dtype, ones.get(g))
                 for g in spec.grads + spec.intermediates}
    diagnoses = attach_notes(diagnoses, kink_notes)
    fd = {spec.grad_of(x): fd_check(spec, x, grads[spec.grad_of(x)], inputs, dout, dtype, rng)
          for x in spec.differentiable}
    fd = {k: v for k, v in fd.items() if v}
    if fwd.passed:
        return CaseOutcome(case.label, fwd, diagnoses, fd)
    why = forward_difference(out, ref_out, sizes_of(case.dims, inputs), tolerance("forward", dtype))
    diagnoses = {g: own_forward_diagnosis(g, d, fd.get(g), why) for g, d in diagnoses.items()}
    return CaseOutcome(case.label, fwd, diagnoses, fd, why)


def run_upstream(spec: OpSpec, case: UpstreamCase, inputs: Inputs, dtype: str) -> CaseOutcome:
    """The dJ = c₁ case: a gradient right at dJ = 1 and affine in dJ passes with a note.

    No finite differences here (the shape cases ran them at dJ = 1). Only when a gradient
    fails at c₁ are the user's pair (fresh) and autograd run again at dJ = 1 and c₂.
    """
    c1 = np.asarray(case.value, dtype=np.dtype(dtype))
    out, grads = _user_run(spec, inputs, c1)
    ref_out, ref_grads = _reference(spec, inputs, c1)
    ref_grads = accept_subgradients(spec, inputs, c1, grads, ref_grads)[0]
    names = spec.grads + spec.intermediates
    diagnoses = {g: diagnose_one(spec, g, grads[g], inputs, c1, ref_grads, dtype) for g in names}
    failing = [g for g in names if not diagnoses[g].passed]
    if failing:
        one, c2 = (np.asarray(v, dtype=np.dtype(dtype)) for v in (1.0, PROBE_VALUE))
        runs = (_user_run(spec, inputs, one)[1], grads, _user_run(spec, inputs, c2)[1])
        ref1 = accept_subgradients(spec, inputs, one, runs[0], _reference(spec, inputs, one)[1])[0]
        for g in failing:
            at_one = diagnose_one(spec, g, runs[0][g], inputs, one, ref1, dtype)
            passing = upstream_pass(spec, g, at_one, [_numeric(r[g]) for r in runs],
                                    (float(c1), float(c2)), inputs, tolerance("autograd", dtype))
            diagnoses[g] = passing or diagnoses[g]
    fwd = _forward_check(spec, case, out, ref_out, dtype)
    return CaseOutcome(case.label, fwd, diagnoses, {})


def _reference(spec: OpSpec, inputs: Inputs, dout: Any) -> tuple[Any, dict[str, Any]]:
    """Autograd's values; a custom reference autograd cannot differentiate is the user's."""
    try:
        return reference_run(spec, inputs, dout)
    except UserCodeError:
        raise
    except Exception as exc:
        if spec.name in BUILTIN_OPS:
            raise
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise StructureError(f"your reference could not be differentiated (autograd through "
                             f"your reference failed: {detail}): {REFERENCE_BLAME}; it must "
                             f"return a tensor computed from every differentiable input"
                             ) from None


def _numeric(value: Any) -> np.ndarray | None:
    """The returned gradient as an array (lists, torch tensors too), None if it is not one."""
    return as_gradient(value)[0]


def diagnose_one(spec: OpSpec, g: str, given: Any, inputs: Inputs, dout: Any,
                 ref_grads: dict[str, Any], dtype: str,
                 extra: Mapping[str, Candidate] | None = None) -> Diagnosis:
    """The diagnosis of gradient ``g`` against autograd, with the op's context.

    ``extra``: candidates added to the op's context (``upstream_ignored`` from the runner).
    """
    expected = ref_grads[g]
    arr, what = as_gradient(given)
    if arr is None:
        return not_an_array(g, given, what, tuple(np.shape(expected)))
    ctx = context_for(spec.name, g, inputs, dout, ref_grads, spec.equations.get(g))
    if extra:
        ctx = dataclasses.replace(ctx, candidates={**ctx.candidates, **extra})
    if lower_precision(arr, dtype):  # judged at its own precision, the dtype named
        at_low = diagnose(arr, expected, name=g, tol=tolerance("autograd", "float32"), context=ctx)
        return dtype_diagnosis(g, arr, dtype, at_low)
    return diagnose(arr, expected, name=g, tol=tolerance("autograd", dtype), context=ctx)


def fd_check(spec: OpSpec, x: str, grad: Any, inputs: Inputs, dout: Any, dtype: str,
             rng: np.random.Generator) -> Check | None:
    """Central differences of the user's forward for input ``x`` (None: wrong shape)."""
    arr = _numeric(grad)
    if arr is None or arr.shape != np.shape(inputs[x]):
        return None
    w = finite_difference_witness(spec, spec.forward, inputs, dout, x, arr, rng)
    check = compare(w.actual, w.expected, name=spec.name, tensor=spec.grad_of(x),
                    against="finite_differences", check_dtype=False,
                    tol=tolerance("finite_differences", dtype), ignore=w.ignore)
    if w.ignore is None and spec.untrusted is not None:  # directional: left out of directions
        ignored = spec.untrusted(inputs, DEFAULT_STEP).get(x)
        if ignored is not None and ignored.any():
            check = dataclasses.replace(check, ignored=int(ignored.sum()))
    return check


def report_error(spec: OpSpec, dtype: str, seed: int,
                 exc: UserCodeError | StructureError) -> VerifyReport:
    """The report of a run stopped by the user's code (exception or wrong structure)."""
    return VerifyReport(spec.name, dtype, seed, [c.label for c, _ in cases_of(spec)],
                        error=error_text(exc))
