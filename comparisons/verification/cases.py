"""One verify run case by case: each shape case's inputs, the user's pair, the reference and
the witnesses, judged into a :class:`CaseOutcome` (the forward check, one diagnosis per
gradient, one finite-difference check per input).

For each case (the op's shape cases, verify-only extra cases such as ReLU inputs with exact
zeros, and the upstream dJ ≠ 1 case of a scalar objective), with seeded inputs: the user's
forward value against the reference (torch); every returned gradient against autograd through
the diagnosis engine with the op's candidates and context; every input gradient against
central differences of the *user's* forward, untrusted elements (a kink, a clamp) left out.
The user's code gets copies of the inputs, so an in-place edit cannot corrupt the reference.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.compare import Check, compare
from comparisons.core.finite_diff import DEFAULT_STEP
from comparisons.core.ops import (
    Case,
    Inputs,
    OpSpec,
    call_forward,
    finite_difference_witness,
    grads_as_dict,
    make_dout,
    reference_run,
)
from comparisons.core.tolerances import tolerance
from comparisons.verification.candidates import EXTRA_CASES, context_for, output_shift
from comparisons.verification.diagnose import Candidate, Diagnosis, diagnose
from comparisons.verification.forward_diff import (
    forward_difference,
    own_forward_diagnosis,
    sizes_of,
)
from comparisons.verification.guard import StructureError, UserCodeError, guarded
from comparisons.verification.kinks import accept_subgradients, attach_notes
from comparisons.verification.results import REFERENCE_BLAME
from comparisons.verification.returned import (
    as_gradient,
    dtype_diagnosis,
    lower_precision,
    not_an_array,
)
from comparisons.verification.upstream import (
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
    known pattern explains it (:func:`comparisons.verification.forward_diff.forward_difference`).
    """

    label: str
    forward: Check
    diagnoses: dict[str, Diagnosis]
    fd: dict[str, Check]
    forward_difference: str | None = None


def cases_of(spec: OpSpec) -> list[tuple[Case, Transform]]:
    """The op's shape cases, verify-only extra cases (with their input transform), then the
    upstream dJ ≠ 1 case of a scalar objective."""
    extra = upstream_case(spec)
    shape_cases: list[tuple[Case, Transform]] = [(c, None) for c in spec.cases]
    upstream: list[tuple[Case, Transform]] = [(extra, None)] if extra is not None else []
    return shape_cases + list(EXTRA_CASES.get(spec.name, ())) + upstream


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
    checked = {spec.grad_of(x): fd_check(spec, x, grads[spec.grad_of(x)], inputs, dout, dtype, rng)
               for x in spec.differentiable}
    fd = {k: v for k, v in checked.items() if v is not None}
    if fwd.passed:
        return CaseOutcome(case.label, fwd, diagnoses, fd)
    why = forward_difference(out, ref_out, sizes_of(case.dims, inputs), tolerance("forward", dtype),
                             output_shift(spec.name, inputs))
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
