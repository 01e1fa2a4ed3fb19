"""The vocabulary of ``scaled``: a factor named by what it equals in the case, with its cause.

A gradient equal to f × the reference is named by the entries of :func:`factor_table` whose
value is f (within a relative tolerance, :func:`snap`). The table is built from what the
:class:`~comparisons.verification.diagnose_context.DiagnosisContext` knows about the case:

* always ``2`` and ``1/2`` (the ½ convention);
* ``dims`` (named sizes, e.g. ``{"N": 5, "d": 7, "h": 11, "q": 3, "N·q": 15}``) and
  ``mean_over`` (the key of the count the objective averages over, e.g. ``"N·q"``):
  M and 1/M (a sum where the mean is due, or the 1/M twice), M/2 and 2/M (combined with the
  ½ convention), each component X of M = X·Y (divided by Y instead of X·Y: the mean taken over
  Y only) and 1/X, and any other size X and 1/X (a stray sum over that axis, a mean where a
  sum is due); ``n/(n - 1)`` and ``(n - 1)/n`` when ``dims`` names ``n``, the count a variance
  averages over (the unbiased vs biased variance);
* ``dropout_p``: ``1 - p``, ``1/(1 - p)`` (the inverted-dropout scale missing or twice),
  ``(1 - p)/p`` and ``p/(1 - p)`` (keep and drop probabilities confused; CS231n's p keeps);
* ``lam``: ``lam`` and ``1/lam``; ``dout`` (a scalar upstream gradient): ``dout`` and
  ``1/dout`` (applied twice, not applied); ``loss`` (ℓ, log-RMSE's value): ``2ℓ`` and
  ``1/(2ℓ)`` (the chain through the square root missing, or applied twice).

Sizes equal to 1 name nothing (a factor ±1 is no factor); every entry also exists negated
(``"-N"``). Entries are in order of preference: when several match (N = 1 makes N·q = q), all
are reported and the first names the factor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from comparisons.verification.diagnose_context import DiagnosisContext

MEANINGS = {
    "N": "the batch size", "q": "the number of outputs", "d": "the number of inputs",
    "h": "the number of hidden units", "D_in": "the number of input features",
    "D_out": "the number of output features", "C": "the number of classes",
    "D": "the number of features per example", "N·q": "the number of elements of o",
    "N·D": "the number of elements (numel)", "n": "the count the variance averages over",
    "p": "the drop probability", "lam": "the weight-decay strength",
    "dout": "the upstream gradient", "ℓ": "the loss value",
}  # fmt: skip
HALF = ("the 1/2 convention: d/dx x^2 = 2x but d/dx (1/2)x^2 = x (for the L2 term, "
        "lam*||W||^2 vs lam/2*||W||^2)")
HALF_MISSING = ("the 1/2 convention used where the loss has none (x^2 differentiates to 2x; "
                "for the L2 term, lam/2*||W||^2 where lam*||W||^2 is meant)")


@dataclass(frozen=True)
class Factor:
    """One named factor: ``label`` ("N·q"), its ``value`` in the case, its usual ``cause``,
    and the names (dims or scalars) it is built from, ``uses`` (named with their values)."""

    label: str
    value: float
    cause: str
    uses: tuple[str, ...] = ()


def _mean_factors(m: str, value: int) -> list[Factor]:
    """M, 1/M, M/2, 2/M for the objective's mean over M elements."""
    uses = tuple(m.split("·"))
    return [
        Factor(m, value, f"a sum where the objective takes the mean over all {m} elements: "
               f"the 1/{_paren(m)} is missing", uses),
        Factor(f"1/{_paren(m)}", 1 / value, f"the 1/{_paren(m)} of the mean applied twice (or "
               f"a mean over {m} where a sum is due)", uses),
        Factor(f"{m}/2", value / 2, f"a sum where the mean over {m} is due, combined with the "
               f"1/2 convention (the 1/{_paren(m)} missing and the 2 of the square dropped)",
               uses),
        Factor(f"2/{_paren(m)}", 2 / value, f"the 1/{_paren(m)} applied twice, combined with a "
               "factor 2 too many (the 1/2 convention)", uses),
    ]


def _component_factors(m: str, dims: Mapping[str, int]) -> list[Factor]:
    """X and 1/X for each component X of M = X·Y: the mean taken over part of its elements."""
    parts = m.split("·")
    found = []
    for x in parts if len(parts) > 1 else ():
        rest = "·".join(p for p in parts if p != x)
        found += [
            Factor(x, dims[x], f"dividing by {rest} instead of {m}: the mean over all {m} "
                   f"elements was taken over {rest} only", (x,)),
            Factor(f"1/{x}", 1 / dims[x], f"an extra 1/{x}: divided by {m}·{x} (the 1/{x} "
                   "applied twice)", (x,)),
        ]
    return found


def _size_factors(x: str, value: int) -> list[Factor]:
    """X and 1/X for a size the objective does not average over."""
    if x == "N":
        return [Factor("N", value, "a sum over the batch where a mean is due, or the batch "
                       "counted twice", ("N",)),
                Factor("1/N", 1 / value, "a mean over the batch where a sum is due (a layer "
                       "sums its examples' contributions; only a loss averages)", ("N",))]
    return [Factor(x, value, f"a factor {x} too many: a sum over the axis of size {x} where one "
                   f"term is due, or a 1/{x} missing", (x,)),
            Factor(f"1/{x}", 1 / value, f"a mean over the axis of size {x} where a sum is due, "
                   f"or a 1/{x} too many", (x,))]


def _variance_factors(n: int) -> list[Factor]:
    return [Factor("n/(n - 1)", n / (n - 1), "the unbiased variance (divided by n - 1) where "
                   "the biased one (divided by n) is meant", ("n",)),
            Factor("(n - 1)/n", (n - 1) / n, "the biased variance (divided by n) where the "
                   "unbiased one (divided by n - 1) is meant", ("n",))]


def _dropout_factors(p: float) -> list[Factor]:
    confused = ("keep and drop probabilities confused: p is the drop probability here "
                "(CS231n's p is the keep probability)")
    return [Factor("1 - p", 1 - p, "the inverted-dropout scale 1/(1 - p) is missing", ("p",)),
            Factor("1/(1 - p)", 1 / (1 - p), "the inverted-dropout scale 1/(1 - p) is applied "
                   "twice", ("p",)),
            Factor("(1 - p)/p", (1 - p) / p, confused + ", e.g. 1/p where 1/(1 - p) is due",
                   ("p",)),
            Factor("p/(1 - p)", p / (1 - p), confused + ", a scale written with p where "
                   "1 - p is meant (or the reverse)", ("p",))]


def _scalar_factors(ctx: DiagnosisContext) -> list[Factor]:
    found = []
    if ctx.lam:
        found += [Factor("lam", ctx.lam, "lam applied twice (lam^2 W where lam W is due)",
                         ("lam",)),
                  Factor("1/lam", 1 / ctx.lam, "lam left out (W where lam W is due)", ("lam",))]
    if ctx.dout:
        found += [Factor("dout", ctx.dout, "the upstream gradient dout multiplied in twice",
                         ("dout",)),
                  Factor("1/dout", 1 / ctx.dout, "the upstream gradient dout not multiplied "
                         "in (a backward multiplies every term by it)", ("dout",))]
    if ctx.loss:
        sqrt = "the chain through the square root: d sqrt(m) = dm / (2 sqrt(m)) = dm / (2ℓ)"
        found += [Factor("2ℓ", 2 * ctx.loss, f"{sqrt}; the 1/(2ℓ) is missing (the gradient "
                         "of the mean square, not of its root)", ("ℓ",)),
                  Factor("1/(2ℓ)", 1 / (2 * ctx.loss), f"{sqrt}; the 1/(2ℓ) applied twice",
                         ("ℓ",))]
    return found


def _paren(label: str) -> str:
    """'N·q' -> '(N·q)' after a slash; a single name stays bare."""
    return f"({label})" if "·" in label else label


def factor_table(ctx: DiagnosisContext) -> list[Factor]:
    """Every named factor of the case, most specific first, then their negatives."""
    dims = ctx.named_dims()
    table = [Factor("2", 2.0, HALF), Factor("1/2", 0.5, HALF_MISSING)]
    m = ctx.mean_over if ctx.mean_over is not None else ("N" if ctx.batch_size else None)
    mean_parts: set[str] = set()
    if m is not None and m in dims:
        mean_parts = {m, *m.split("·")}
        table = _mean_factors(m, dims[m])[:2] + _component_factors(m, dims) + table
        table += _mean_factors(m, dims[m])[2:]
    for x, value in dims.items():
        if x not in mean_parts and x != "n":
            table += _size_factors(x, value)
    if dims.get("n", 0) >= 2:
        table += _variance_factors(dims["n"])
    if ctx.dropout_p:
        table += _dropout_factors(ctx.dropout_p)
    table += _scalar_factors(ctx)
    table = [f for f in table if math.isfinite(f.value) and abs(f.value) not in (0.0, 1.0)]
    return table + [Factor("-" + f.label, -f.value, f.cause, f.uses) for f in table]


def snap(factor: float, table: list[Factor], rel: float) -> list[Factor]:
    """The entries whose value is ``factor`` within relative ``rel``, in table order."""
    return [f for f in table if abs(factor - f.value) <= rel * abs(f.value)]


def scalar_values(ctx: DiagnosisContext) -> dict[str, float]:
    """The named values a factor can use: dims, p, lam, dout, ℓ."""
    values: dict[str, float] = dict(ctx.named_dims())
    for name, value in (("p", ctx.dropout_p), ("lam", ctx.lam), ("dout", ctx.dout),
                        ("ℓ", ctx.loss)):
        if value is not None:
            values[name] = value
    return values
