"""Wording of the diagnosis engine: one or two sentences per finding, pointing at the equation.

Every function returns the ``message`` of a :class:`comparisons.verification.diagnose.Diagnosis`.
``ctx`` is the :class:`~comparisons.verification.diagnose_context.DiagnosisContext` (only
``equation``,
``lam`` and ``dropout_p`` are read); a ``scaled`` factor is worded from its
:class:`~comparisons.verification.factors.Factor` entries and the case's named values.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from comparisons.verification.diagnose_context import DiagnosisContext
from comparisons.verification.diagnose_numeric import F64, first_indices
from comparisons.verification.factors import MEANINGS, Factor


def scale_causes(named: list[Factor]) -> str:
    """One sentence naming the usual causes of the matching factors (the first names it)."""
    causes = list(dict.fromkeys(f.cause for f in named))
    if not causes:
        return "No usual cause is known for this factor; look for a stray constant."
    text = "Usual cause: " + "; or ".join(causes)
    if named[0].label.startswith("-"):
        text += "; the sign is flipped as well"
    return text + "."


def _named(u: str, values: Mapping[str, float]) -> str:
    """'q = 3, the number of outputs'."""
    meaning = f", {MEANINGS[u]}" if u in MEANINGS else ""
    return f"{u} = {values[u]:.4g}{meaning}"


def factor_in_case(named: list[Factor], values: Mapping[str, float]) -> str:
    """What the factor equals in this case: 'q = 3 in this case, the number of outputs',
    'N·q = 15 in this case, ...: N = 5, the batch size; q = 3, ...', 'factor 2'."""
    first = named[0]
    label = first.label.removeprefix("-")
    value = -first.value if first.label.startswith("-") else first.value
    if not first.uses:
        text = f"factor {value:.4g}"
    else:
        text = f"{label} = {value:.4g} in this case"
        text += f", {MEANINGS[label]}" if label in MEANINGS else ""
        if first.uses != (label,):
            text += ": " + "; ".join(_named(u, values) for u in first.uses)
    others = [f.label for f in named[1:]]
    return text + (f"; here it also equals {' and '.join(others)}" if others else "")


def _eq(ctx: DiagnosisContext, lead: str = "Check") -> str:
    """' Check dW = dout^T x.' when the context has an equation, else ''."""
    return f" {lead} {ctx.equation}." if ctx.equation else ""


def _where(mask: NDArray[np.bool_]) -> str:
    """'(0, 2), (1, 3)' for the first few True positions."""
    return ", ".join(str(tuple(i)) if len(i) != 1 else str(i[0]) for i in first_indices(mask))


def ok(name: str) -> str:
    """The gradient matches."""
    return f"{name} matches the reference."


def zero(name: str, ctx: DiagnosisContext) -> str:
    """All zeros where the reference is not."""
    return (
        f"{name} is all zeros but the reference is not: the gradient was never computed, "
        f"was overwritten, or a mask / indicator kills every element.{_eq(ctx, 'Expected')}"
    )


def transposed_shape(name: str, g: F64, e: F64, ctx: DiagnosisContext) -> str:
    """A non-square gradient returned in the transposed layout."""
    return (
        f"{name} is transposed: you returned shape {g.shape}, the transpose of the expected "
        f"{e.shape}, and {name}^T matches the reference. A gradient has the layout of its "
        f"tensor{', so ' + ctx.equation if ctx.equation else ''}."
    )


def transposed_square(name: str, g: F64, ctx: DiagnosisContext) -> str:
    """A square gradient equal to the reference transposed."""
    return (
        f"{name} is transposed: the shape {g.shape} is right (square), but the values equal the "
        f"reference transposed; the factors of the product are swapped.{_eq(ctx, 'Expected')}"
    )


def reversed_shape(name: str, g: F64, e: F64, inner: str) -> str:
    """Transposed layout and, after transposing, still wrong."""
    return (
        f"{name} has shape {g.shape}, the reverse of the expected {e.shape} (a transpose?); "
        f"transposed back it is still wrong: {inner}"
    )


def batch_axis(name: str, g: F64, e: F64, how: str) -> str:
    """Per-example values where the batch reduction was due."""
    return (
        f"{name} was not summed over the batch: you returned per-example values of shape "
        f"{g.shape}, and their {how} over axis 0 equals the expected {e.shape}. "
        f"Reduce over the batch axis (.{how}(axis=0))."
    )


def wrong_shape(name: str, g: F64, e: F64, values_right: bool, ctx: DiagnosisContext) -> str:
    """Any other shape mismatch; says when only size-1 axes differ."""
    text = f"{name} has shape {g.shape}, expected {e.shape}."
    squeezed = tuple(d for d in g.shape if d != 1) == tuple(d for d in e.shape if d != 1)
    if values_right and squeezed:
        text += (
            " The values are right but an axis of size 1 is extra or missing (keepdims?); "
            "broadcasting would hide this, e.g. (1, D) against (D,) silently gives (1, D). "
            f"Reshape to {e.shape}."
        )
    elif values_right:
        text += f" The values are right in a different layout: reshape to {e.shape}."
    return text + _eq(ctx, "Expected")


def wrong_dtype(name: str, given: str, run: str, values_right: bool = True) -> str:
    """A float gradient of lower precision than the run (float32 in a float64 run)."""
    values = ("its values are otherwise right at " if values_right
              else "its values are wrong even at ") + f"{given} tolerance"
    return (
        f"{name} is {given} in a {run} run; compute in the input's dtype ({values}). Look for "
        f"an array created with dtype={given} (np.zeros(..., dtype=np.{given})), an "
        f".astype(np.{given}) or a {given} constant array."
    )


def not_numeric(name: str, what: str, shape: tuple[int, ...]) -> str:
    """Something that is not a numeric array (a ragged list, a string)."""
    fix = ("np.stack / np.array of equal-shaped parts, not a list of differently shaped ones"
           if "ragged" in what else "a float array")
    return f"{name} is {what}, not a numeric array of shape {shape}: return one array ({fix})."


def sign_flipped(name: str, ctx: DiagnosisContext) -> str:
    """Minus the reference."""
    return (
        f"{name} has the wrong sign: it equals minus the reference. Look for a dropped minus, "
        f"e.g. d(y - x)/dx = -1, or (pred - target) written as (target - pred).{_eq(ctx)}"
    )


FIXES = {
    "missing_l2_term": "The penalty lam/2*||W||^2 adds lam*W to the gradient.",
    "missing_activation_derivative": "(dz = dh * phi'(z)).",
    "dropout_scale_missing": "Survivors are scaled by 1/(1 - p) in backward too.",
    "mask_not_applied": "Multiply dout by the same mask as the forward (and by 1/(1 - p)).",
    "not_summed_over_batch": "Sum (or average) the contributions of all examples.",
    "upstream_ignored": "The chain rule multiplies the local derivative by dout.",
    "repeated_index_not_accumulated": "Every position that reads row v adds its dout: "
                                      "np.add.at(dW, idx, dout).",
    "missing_cross_terms": "Each s_i depends on every x_j (∂s_i/∂x_j = −s_i s_j for j ≠ i): "
                           "dx = s ⊙ (dout − Σ_j dout_j s_j).",
    "missing_statistics_paths": "μ and σ² depend on every x of the axis: subtract mean(dx̂) "
                                "and x̂·Σ(dx̂·x̂)/n.",
    "missing_gamma": "dx̂ = dout ⊙ γ.",
    "variance_convention": "Divide by the same count as the forward (torch: n, biased).",
    "kernel_flipped": "torch's conv2d is a cross-correlation: no flip in the forward, and "
                      "none in the scatter of dx or in dW.",
    "not_routed_to_max": "A max pool sends each window's whole dout to its arg-max only (0 "
                         "elsewhere).",
}
"""Candidate -> the sentence of its message that says how to fix it (what a lab's check at
hint level "none" leaves out: :mod:`comparisons.labs.hints`)."""


def candidate(key: str, name: str, ctx: DiagnosisContext) -> str:
    """A context candidate matched: what the gradient equals, then how to fix it."""
    lam = f" with lam = {ctx.lam:g}" if ctx.lam is not None else ""
    p = f" (p = {ctx.dropout_p:g})" if ctx.dropout_p is not None else ""
    text = {
        "missing_l2_term": f"{name} is missing the weight-decay term: it equals the reference "
        f"minus lam*W{lam}.",
        "missing_activation_derivative": f"{name} is missing the activation derivative: it "
        "equals the gradient without the elementwise factor phi'(z)",
        "dropout_scale_missing": f"{name} is missing the inverted-dropout scale: it equals the "
        f"reference times (1 - p){p}.",
        "mask_not_applied": f"{name} ignores the dropout mask: it equals the gradient computed "
        "without the mask.",
        "not_summed_over_batch": f"{name} was not reduced over the batch: it equals the "
        "per-example candidate.",
        "upstream_ignored": f"{name} ignores the upstream gradient: it equals the gradient "
        "computed with dout = ones (the gradient of sum(out), not of <out, dout>).",
        "repeated_index_not_accumulated": f"{name} keeps one dout per repeated index: it "
        "equals the assignment dW[idx] = dout, or a loop of dW[idx[n]] += dout[n] (a fancy-"
        "indexed += adds one dout per index, however often it repeats in idx[n]), which "
        "overwrites where an index repeats.",
        "missing_cross_terms": f"{name} is the softmax Jacobian's diagonal only: it equals "
        "dout ⊙ s(1 − s).",
        "missing_statistics_paths": f"{name} is missing the paths through the mean and the "
        "variance: it equals dout·γ/σ, the derivative with μ and σ² held constant.",
        "missing_gamma": f"{name} is missing γ: it equals the gradient computed with dx̂ = dout "
        "(right only when γ = 1, which is why γ = 1 tests miss it).",
        "variance_convention": f"{name} uses the other variance convention: it equals the "
        "gradient with the variance divided by n − 1 where the forward divides by n (or the "
        "other way round).",
        "kernel_flipped": f"{name} was computed from the flipped kernel: it equals the "
        "gradient with W rotated by 180° (a true convolution).",
        "not_routed_to_max": f"{name} spreads the gradient over the whole window: it equals "
        "average pooling's dout / (KH·KW) at every element.",
    }[key]
    return f"{text} {FIXES[key]}" + _eq(ctx)


def scaled(name: str, factor: float, named: list[Factor], values: Mapping[str, float]) -> str:
    """A constant multiple of the reference, named by what it equals here, with its causes."""
    if not named:
        return f"{name} is scaled: it equals {factor:.6g} × the reference. {scale_causes([])}"
    return (f"{name} is scaled: it equals {named[0].label} × the reference "
            f"({factor_in_case(named, values)}). {scale_causes(named)}")


def localized(
    name: str, wrong: NDArray[np.bool_], phrase: str | None, ctx: DiagnosisContext
) -> str:
    """Wrong at a minority of elements."""
    where = f", {phrase}" if phrase else ""
    return (
        f"{name} is wrong at {int(wrong.sum())} of {wrong.size} elements (first at "
        f"{_where(wrong)}){where}; every other element matches.{_eq(ctx)}"
    )


def non_finite(name: str, bad: NDArray[np.bool_], phrase: str | None, rest_right: bool) -> str:
    """NaN or Inf in the user's gradient."""
    where = f", {phrase}" if phrase else ""
    rest = ("no element is finite" if bad.all() else
            "the finite elements match" if rest_right else "the finite elements are wrong too")
    return (
        f"{name} has {int(bad.sum())} NaN/Inf value(s) of {bad.size} (first at {_where(bad)})"
        f"{where}; {rest}. Look for log(0), 0/0 or an overflowing exp."
    )


def reference_not_finite(name: str) -> str:
    """The reference itself holds NaN/Inf."""
    return f"The reference gradient of {name} contains NaN/Inf: nothing can be diagnosed."


def unknown(name: str, g: F64, e: F64, wrong: NDArray[np.bool_], ctx: DiagnosisContext) -> str:
    """Wrong, with none of the known mistakes."""
    err = np.abs(g - e)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
    scale = max(float(np.max(np.abs(e))), float(np.finfo(np.float64).tiny))
    return (
        f"{name} does not match the reference and fits none of the known mistakes: "
        f"{int(wrong.sum())} of {wrong.size} elements are off, max abs error "
        f"{float(err.max()):.3g} at {worst} (norm-wise relative {float(err.max()) / scale:.3g})."
        + _eq(ctx)
    )
