"""Wording of the diagnosis engine: one or two sentences per finding, pointing at the equation.

Every function returns the ``message`` of a :class:`comparisons.verify.diagnose.Diagnosis`.
``ctx`` is the :class:`~comparisons.verify.diagnose.DiagnosisContext` (only ``equation``,
``lam``, ``dropout_p`` and ``batch_size`` are read).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from comparisons.verify.diagnose_numeric import F64, first_indices

if TYPE_CHECKING:
    from comparisons.verify.diagnose import DiagnosisContext

_CAUSES = {
    "2": "the 1/2 convention: d/dx x^2 = 2x but d/dx (1/2)x^2 = x "
    "(for the L2 term, lam*||W||^2 vs lam/2*||W||^2)",
    "1/2": "the 1/2 convention used where the loss has none (x^2 differentiates to 2x; "
    "for the L2 term, lam/2*||W||^2 where lam*||W||^2 is meant)",
    "N": "a sum over the batch where the loss takes the mean (the 1/N is missing)",
    "1/N": "a mean over the batch where the loss sums (or a 1/N applied twice)",
    "N/2": "mean vs sum over the batch combined with the 1/2 convention",
    "2/N": "mean vs sum over the batch combined with the 1/2 convention",
    "1 - p": "the inverted-dropout scale 1/(1 - p) is missing",
    "1/(1 - p)": "the inverted-dropout scale 1/(1 - p) is applied twice",
}


def scale_causes(labels: list[str], batch_size: int | None) -> str:
    """One sentence naming the usual causes of the snapped factor labels."""
    causes: list[str] = []
    for label in labels:
        cause = _CAUSES[label.lstrip("-")]
        if cause not in causes:
            causes.append(cause)
    if not causes:
        return "No usual cause is known for this factor; look for a stray constant."
    text = "Usual cause: " + "; or ".join(causes)
    if batch_size is not None and any("N" in label for label in labels):
        text += f" (N = batch size = {batch_size})"
    if labels[0].startswith("-"):
        text += "; the sign is flipped as well"
    return text + "."


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


def candidate(key: str, name: str, ctx: DiagnosisContext) -> str:
    """A context candidate matched."""
    lam = f" with lam = {ctx.lam:g}" if ctx.lam is not None else ""
    p = f" (p = {ctx.dropout_p:g})" if ctx.dropout_p is not None else ""
    text = {
        "missing_l2_term": f"{name} is missing the weight-decay term: it equals the reference "
        f"minus lam*W{lam}. The penalty lam/2*||W||^2 adds lam*W to the gradient.",
        "missing_activation_derivative": f"{name} is missing the activation derivative: it "
        "equals the gradient without the elementwise factor phi'(z) (dz = dh * phi'(z)).",
        "dropout_scale_missing": f"{name} is missing the inverted-dropout scale: it equals the "
        f"reference times (1 - p){p}. Survivors are scaled by 1/(1 - p) in backward too.",
        "mask_not_applied": f"{name} ignores the dropout mask: it equals the gradient computed "
        "without the mask. Multiply dout by the same mask as the forward (and by 1/(1 - p)).",
        "not_summed_over_batch": f"{name} was not reduced over the batch: it equals the "
        "per-example candidate; sum (or average) the contributions of all examples.",
    }[key]
    return text + _eq(ctx)


def scaled(name: str, factor: float, labels: list[str], ctx: DiagnosisContext) -> str:
    """A constant multiple of the reference, with the usual causes."""
    label = f"{labels[0]} x the reference (factor {factor:.6g})" if labels else f"{factor:.6g} x"
    if not labels:
        label += " the reference"
    return f"{name} is scaled: it equals {label}. {scale_causes(labels, ctx.batch_size)}"


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
    rest = "the finite elements match" if rest_right else "the finite elements are wrong too"
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
