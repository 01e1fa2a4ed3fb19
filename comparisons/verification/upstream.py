"""The upstream-gradient convention of ``verify`` for ops whose output is a scalar objective.

For a scalar objective J (two_layer's J, the losses, the L2 penalty) ``verify`` judges the
gradient of J itself, dJ/dθ: every shape case runs ``backward`` with upstream gradient dJ = 1.
One more case (:class:`UpstreamCase`, label ``"upstream dJ = 1.7"``) runs it with dJ = c₁ ≠ 1.

A correct backward is linear in the upstream gradient: g(c) = c · g(1). The book's formula
dW2 = doᵀ h + λ W2, with dJ applied to ``do`` but not to λ W2, is affine instead:
g(c) = c · A + B with B = λ W2 ≠ 0. It is right as dJ/dW2 and only wrong if J ever feeds a
larger graph, so it passes with a note (``"upstream_not_applied: ..."``). :func:`affine_offset`
decides that from fresh runs at dJ = 1, c₁ and c₂ (A = (g(c₁) − g(1)) / (c₁ − 1),
B = g(1) − A, then g(c₂) must equal c₂ A + B), and :func:`upstream_note` names B when it is a
known term (λ W or the data term, from the op declaration's ``upstream_terms``, or the whole
gradient when dJ is ignored everywhere).
Anything else that differs in that case (not affine, or wrong at dJ = 1) is a real failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from comparisons.core.builtin_ops import DECLARATIONS
from comparisons.core.opdecl import UpstreamTerm
from comparisons.core.ops import Case, Inputs, OpSpec
from comparisons.verification.diagnose import Candidate, Diagnosis
from comparisons.verification.diagnose_numeric import F64, ToleranceLike, close

UPSTREAM_VALUE = 1.7  # c₁, the extra case's dJ: not 1, 2, ½, nor any batch or layer size
PROBE_VALUE = 0.35  # c₂, the second probe of affinity (≠ 1, ≠ c₁)
NOTE_CODE = "upstream_not_applied"

TERMS: dict[str, Mapping[str, UpstreamTerm]] = {
    name: d.upstream_terms for name, d in DECLARATIONS.items() if d.upstream_terms}
"""Op name -> gradient -> its λW and data terms (its declaration's ``upstream_terms``)."""


@dataclass(frozen=True)
class UpstreamCase(Case):
    """The extra case of a scalar-output op: backward is called with ``value`` as dJ."""

    value: float = UPSTREAM_VALUE


def upstream_name(spec: OpSpec) -> str:
    """The backward's upstream argument as its signature names it (``dJ``, ``dloss``, ``ds``)."""
    found = re.search(r"backward\((\w+)", spec.signature)
    return found.group(1) if found else "dout"


def objective_name(spec: OpSpec) -> str:
    """The forward's output as its signature names it (``J``, ``loss``, ``s``)."""
    found = re.search(r"->\s*\((\w+),", spec.signature)
    return found.group(1) if found else "out"


def upstream_case(spec: OpSpec) -> UpstreamCase | None:
    """The dJ ≠ 1 case of a scalar-output op (dims of its first shape case, where every size is
    above 1 and distinct, so no factor hides); None otherwise."""
    if not spec.scalar_output or not spec.cases:
        return None
    label = f"upstream {upstream_name(spec)} = {UPSTREAM_VALUE:g}"
    return UpstreamCase(label, dict(spec.cases[0].dims), UPSTREAM_VALUE)


def affine_offset(g1: F64, gc1: F64, gc2: F64, c1: float, c2: float,
                  tol: ToleranceLike) -> F64 | None:
    """B of g(c) = c A + B when the three runs fit it within ``tol`` and B ≠ 0; else None."""
    if not g1.shape == gc1.shape == gc2.shape:
        return None
    slope = (gc1 - g1) / (c1 - 1.0)
    offset = g1 - slope
    if not close(g1 + (c2 - 1.0) * slope, gc2, tol):
        return None
    if close(offset, np.zeros_like(offset), tol) or not np.all(np.isfinite(offset)):
        return None
    return offset


def _term(spec: OpSpec, g: str, offset: F64, g1: F64, inputs: Inputs,
          tol: ToleranceLike) -> tuple[str, str] | None:
    """(label, fix) of the known term equal to ``offset``; ("", "") for the whole gradient."""
    if close(offset, g1, tol):
        return "", ""
    known = TERMS.get(spec.name, {}).get(g)
    if known is None:
        return None
    l2 = float(inputs[known.lam]) * np.asarray(inputs[known.weight], dtype=np.float64)
    if close(offset, l2, tol):
        return known.label, f"write {known.fix}"
    if close(offset, g1 - l2, tol):
        return known.data_label, known.data_fix
    return None


def upstream_note(spec: OpSpec, g: str, offset: F64, g1: F64, inputs: Inputs,
                  tol: ToleranceLike) -> str:
    """``"upstream_not_applied: dW2 is right as dJ/dW2 (dJ = 1), but ..."`` for one gradient."""
    arg, obj = upstream_name(spec), objective_name(spec)
    head = f"{NOTE_CODE}: {g} is right as d{obj}/d{g[1:]} ({arg} = 1), but "
    later = f"if {'the loss' if obj == 'loss' else obj} is ever scaled or added to another loss, "
    term = _term(spec, g, offset, g1, inputs, tol)
    if term == ("", ""):
        return (head + f"it is not multiplied by the upstream gradient {arg} at all; " + later
                + f"multiply it by {arg} ({g} = {arg} * ...)")
    if term is not None:
        return (head + f"the term {term[0]} is not multiplied by the upstream gradient {arg}; "
                + later + term[1])
    size = float(np.max(np.abs(offset)))
    return (head + f"a part of it (max |.| = {size:.3g}) does not scale with the upstream "
            f"gradient {arg}: some term is not multiplied by {arg}; " + later
            + f"multiply every term of {g} by {arg}")


def upstream_pass(spec: OpSpec, g: str, at_one: Diagnosis, runs: Sequence[Any],
                  values: tuple[float, float], inputs: Inputs,
                  tol: ToleranceLike) -> Diagnosis | None:
    """A passing diagnosis with the note, when ``g`` fails only because dJ misses a term.

    ``at_one``: the diagnosis of the user's ``g`` at dJ = 1 (must pass); ``runs``: the user's
    ``g`` at dJ = 1, c₁, c₂ (fresh runs, numeric arrays or None); ``values``: (c₁, c₂) as run.
    None when ``g`` is wrong at dJ = 1, missing, or not affine in dJ: a real failure.
    """
    if not at_one.passed or any(r is None for r in runs):
        return None
    g1, gc1, gc2 = (np.asarray(r, dtype=np.float64) for r in runs)
    offset = affine_offset(g1, gc1, gc2, values[0], values[1], tol)
    if offset is None:
        return None
    note = upstream_note(spec, g, offset, g1, inputs, tol)
    message = (f"{g} matches the reference at {upstream_name(spec)} = 1; see the note on the "
               f"upstream gradient.")
    return Diagnosis("ok", message, None, at_one.max_abs_err, at_one.max_rel_err, True, {},
                     (*at_one.notes, note))


def ones_candidates(spec: OpSpec, reference_at_ones: Callable[[], dict[str, Any]]
                    ) -> dict[str, dict[str, Candidate]]:
    """gradient -> {"upstream_ignored": autograd's gradient with dout = ones}, run lazily once.

    ``reference_at_ones`` runs autograd with dout = ones (called at most once, and only when a
    wrong gradient reaches that candidate). Empty for a scalar objective (dJ = 1 already).
    """
    if spec.scalar_output:
        return {}
    memo: dict[str, Any] = {}

    def lazy(g: str) -> Candidate:
        def grad() -> Any:
            if not memo:
                memo.update(reference_at_ones())
            return memo[g]
        return grad

    return {g: {"upstream_ignored": lazy(g)} for g in spec.grads + spec.intermediates}
