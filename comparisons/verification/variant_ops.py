"""How a built-in op reads under a per-student variant (:mod:`comparisons.verification.variants`):
without its bias, or with a constant of the op passed as a keyword input.

* :data:`NO_BIAS`: ops a variant may ask for without their bias (a rubric item
  ``bias = "variant"``): linear (``forward(x, W)``, out = x Wᵀ) and conv2d
  (``forward(x, W, *, stride, padding)``); :func:`without_bias` drops the input, its gradient
  and its equation, and the torch reference is then called without it (``F.linear`` and
  ``F.conv2d`` take b=None). Batch and layer norm's β is not a bias in this sense: it is the
  shift of the norm's affine pair (γ, β), which torch switches on and off together
  (``affine``), and a norm without β alone is no layer a course asks for.
* :data:`KEYWORD`: constants of an op that a variant passes as a keyword input, where
  without a variant the op uses its module constant and the student's ``forward(x)`` is
  called as shipped: leaky_relu's ``negative_slope`` (``ops_activations.NEGATIVE_SLOPE``) and
  multiclass_hinge's ``margin`` (``ops_hinge.MARGIN``). The op's kink rule, usual mistakes and
  margins read the run's input (``slope_of`` / ``margin_of``), so the variant's value is used
  throughout; :func:`with_keyword` adds the input and says the value in the signature and
  convention the student reads.

Values: a slope is no 1/k or k/m of small integers, 1/2 or a case size (as λ and p, see
``variants.HYPER``); a margin is a multiple of 1/4 in [0.75, 2], which float32 holds
exactly, so the exact-zero-margin case (s_y = margin / 2, s_j = −margin / 2) stays exactly at
the kink in float32 too, and row 1 of a case (one score 3 above the rest) still has no active
margin.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from comparisons.core.opdecl import DOUT, Input, at_unit, unit_convention, upstream_equation
from comparisons.core.ops import Case, OpSpec
from comparisons.core.ops_activations import NEGATIVE_SLOPE
from comparisons.core.ops_hinge import MARGIN

CONV_NO_BIAS = ("out[n, f, i, j] = Σ_{c,k,l} xp[n, c, s·i + k, s·j + l] W[f, c, k, l] (no bias), "
                "a cross-correlation as torch's F.conv2d (the kernel is not flipped), xp: x "
                "zero-padded by padding on each side; x: (N, C, H, W), W: (F, C, KH, KW), out: "
                f"(N, F, OH, OW), OH = (H + 2·padding − KH) // stride + 1; {DOUT}")


@dataclass(frozen=True)
class NoBias:
    """An op without its bias: the input dropped and how the op then reads."""

    input: str
    signature: str
    convention: str


NO_BIAS: Mapping[str, NoBias] = {
    "linear": NoBias("b", "forward(x, W) -> (out, cache); backward(dout, cache) -> (dx, dW)",
                     "out = x Wᵀ (no bias); x: (N, D_in), W: (D_out, D_in); dout is the "
                     "upstream gradient, same shape as out"),
    "conv2d": NoBias("b", "forward(x, W, *, stride, padding) -> (out, cache); "
                          "backward(dout, cache) -> (dx, dW)", CONV_NO_BIAS),
}
"""Ops a variant may ask for without their bias (the reference is called without it)."""


def without_bias(spec: OpSpec) -> OpSpec:
    """``spec`` of an op of :data:`NO_BIAS` with its bias input, gradient and equation gone."""
    nb = NO_BIAS[spec.name]
    grad = spec.grad_of(nb.input)
    make = spec.make_inputs

    def make_inputs(rng: Any, case: Case, dt: Any) -> dict[str, Any]:
        return {k: v for k, v in make(rng, case, dt).items() if k != nb.input}

    return dataclasses.replace(
        spec, positional=tuple(n for n in spec.positional if n != nb.input),
        differentiable=tuple(n for n in spec.differentiable if n != nb.input),
        grads=tuple(g for g in spec.grads if g != grad), make_inputs=make_inputs,
        signature=nb.signature, convention=nb.convention,
        equations={g: e for g, e in spec.equations.items() if g != grad})


@dataclass(frozen=True)
class Keyword:
    """A constant of an op a variant passes by keyword: ``name``, the ``values`` a variant
    picks from (the first is the op's module constant), the ``signature`` with it, and the
    convention and equations with the value ``v`` written in (``texts(v)``)."""

    name: str
    values: tuple[float, ...]
    signature: str
    texts: Callable[[float], tuple[str, Mapping[str, str]]]


def leaky_texts(v: float) -> tuple[str, Mapping[str, str]]:
    """leaky_relu's convention and equation at negative slope ``v``."""
    return (f"elementwise leaky_relu(x) = x if x > 0 else negative_slope · x, with "
            f"negative_slope = {v:g} (your variant's, passed by keyword as to torch's "
            f"F.leaky_relu), x: (N, D); {DOUT}",
            {"dx": upstream_equation(f"dx = dout ⊙ (1 if x > 0 else {v:g})")})


def hinge_texts(v: float) -> tuple[str, Mapping[str, str]]:
    """multiclass_hinge's convention and equation at margin ``v``."""
    return (f"loss = mean over N of Σ_{{j ≠ y}} max(0, s_j − s_y + margin), with margin = {v:g} "
            f"(your variant's, passed by keyword); scores: (N, C), y: int (N,); "
            + unit_convention("dloss", "the loss"),
            at_unit("dloss", {"dscores": f"dscores[n, j] = [s_j − s_y + {v:g} > 0] / N "
                                         f"(j ≠ y_n), dscores[n, y_n] = −(margin count k_n) / N"}))


KEYWORD: Mapping[str, Keyword] = {
    "leaky_relu": Keyword("negative_slope", (NEGATIVE_SLOPE, 0.03, 0.07, 0.13, 0.17, 0.23),
                          "forward(x, *, negative_slope) -> (out, cache); backward(dout, "
                          "cache) -> dx", leaky_texts),
    "multiclass_hinge": Keyword("margin", (MARGIN, 0.75, 1.25, 1.5, 1.75, 2.0),
                                "forward(scores, y, *, margin) -> (loss, cache); "
                                "backward(dloss, cache) -> dscores", hinge_texts),
}
"""op -> its constant a variant passes as a keyword input (see the module docstring)."""


def keyword_input(spec: OpSpec, value: float) -> tuple[OpSpec, Input]:
    """``spec`` of an op of :data:`KEYWORD` taking its constant ``value`` by keyword (its
    signature and convention saying the value), and the :class:`Input` that draws it."""
    kw = KEYWORD[spec.name]
    convention, equations = kw.texts(value)
    varied = dataclasses.replace(spec, keywords=(*spec.keywords, kw.name),
                                 signature=kw.signature, convention=convention,
                                 equations=equations)
    return varied, Input(name=kw.name, dtype="const", keyword=True, value=value)
