"""How much of the answer a lab's check may show: the hint level (none / shape / formula).

``verify``'s diagnoses quote the equation a gradient comes from ("... Expected dW = doutᵀ x"),
which is the answer of a lab exercise. A check in a lab therefore shows, at hint level

* ``"none"`` (the labs' default): the diagnosis only; every quoted equation (the kink rule's
  too), every diagnosis's how-to-fix sentence (``diagnose_messages.FIXES``: "dx̂ = dout ⊙ γ")
  and every suggested fix of an upstream note, is taken out of a wrong gradient's row;
* ``"shape"``: in its place, the shape the gradient must have ("dW has the shape of W:
  (D_out, D_in)");
* ``"formula"``: the report as ``verify`` wrote it.

:func:`with_hint` returns a copy of a :class:`~comparisons.verification.report.VerifyReport`
with its messages and notes rewritten; what was found (pass/fail, codes, numbers) is unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from comparisons.core.builtin_ops import DECLARATIONS
from comparisons.verification.diagnose_messages import FIXES
from handmade.network import BOOK

HINT_LEVELS = ("none", "shape", "formula")
HIDDEN = "(formula hidden at hint level none)"


def check_hint(hint: str) -> str:
    """``hint`` if it is one of :data:`HINT_LEVELS`, else a one-line ValueError."""
    if hint not in HINT_LEVELS:
        raise ValueError(f"hint: expected one of {HINT_LEVELS}, got {hint!r}")
    return hint


def gradient_shapes(op: str) -> dict[str, str]:
    """Gradient name -> "the shape of W: (D_out, D_in)" for a built-in op (else {})."""
    decl = DECLARATIONS.get(op)
    if decl is None:
        return {}
    shapes = {i.grad: f"the shape of {i.name}: ({', '.join(i.shape)})"
              for i in decl.inputs if i.grad is not None}
    if op == "two_layer":  # the intermediates of the book's network
        shapes.update({g: f"the shape of {n}: {BOOK[n].shape}"
                       for g, n in BOOK.gradient_nodes.items()})
    return shapes


def answers(op: str) -> list[str]:
    """The answer texts a message may quote for ``op``: its equations (also without their
    closing "(with dJ = 1)" remark and "dJ/" prefix), its kink rule's and its upstream fixes."""
    decl = DECLARATIONS.get(op)
    if decl is None:
        return []
    texts = []
    for eq in decl.equations.values():
        bare = eq.rsplit(" (", 1)[0] if eq.endswith(")") else eq
        texts += [eq, bare, bare.removeprefix("dJ/")]
    if decl.kinks is not None and decl.kinks.equation:
        texts.append(decl.kinks.equation)
    for term in (decl.upstream_terms or {}).values():
        texts += [t for t in (term.fix, term.data_fix) if t]
    return sorted(set(texts), key=len, reverse=True)  # longest first: no partial overlaps


def hide(text: str, name: str, op: str, hint: str) -> str:
    """``text`` with every answer of ``op`` replaced as ``hint`` says (gradient ``name``)."""
    if hint == "formula":
        return text
    shape = gradient_shapes(op).get(name)
    said = f" {name} has {shape}." if hint == "shape" and shape else ""
    for fix in FIXES.values():  # a diagnosis's "how to fix it" sentence gives the answer away
        text = text.replace(f" {fix}", "")
    for answer in answers(op):
        for lead in (" Expected ", " Check "):
            text = text.replace(f"{lead}{answer}.", said)
        text = text.replace(f", so {answer}.", "." + said)
        text = text.replace(answer, HIDDEN if hint == "none" else (shape or HIDDEN))
    return text


def with_hint(report: Any, hint: str) -> Any:
    """A copy of the VerifyReport ``report`` whose messages and notes follow ``hint``. A
    gradient that passed keeps its notes as written: its answer is already the student's, and
    a note there (a term not multiplied by the upstream dJ) says how to write it."""
    check_hint(hint)
    if hint == "formula" or not getattr(report, "gradients", None):
        return report
    rows = [g if g.passed else
            dataclasses.replace(g, message=hide(g.message, g.name, report.op, hint),
                                notes=[hide(n, g.name, report.op, hint) for n in g.notes])
            for g in report.gradients]
    return dataclasses.replace(report, gradients=rows)
