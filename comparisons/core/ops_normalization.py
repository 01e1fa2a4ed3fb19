"""The normalisation layers' declarations: batchnorm and layernorm (``handmade.normalization`` /
``reference.normalization``).

Both are ``forward(x, gamma, beta) -> (out, cache); backward(dout, cache) -> (dx, dgamma,
dbeta)`` with out = γ x̂ + β, x̂ = (x − μ)/√(σ² + eps) (batch norm: statistics over the batch,
axis 0, training mode; layer norm: over the last axis). The inputs always have γ ≠ 1 and
β ≠ 0 (a published batch-norm bug, dx̂ taken as dout, went unnoticed because its tests set
γ = 1) and x a nonzero mean. Their usual mistakes, as candidates of dx (and dγ):

* ``missing_statistics_paths``: dx = dout γ / σ, the paths through μ and σ² left out;
* ``missing_gamma``: dx̂ taken as dout (the right formula with γ = 1);
* ``variance_convention``: the backward divides by n − 1 where the forward divides by n (or
  the other way round): dx = (dx̂ − mean(dx̂) − x̂ Σ(dx̂ x̂)/(n ∓ 1))/σ, and dγ = Σ dout x̂ with
  x̂ from the other variance. A pair whose forward uses the other variance too is
  ``consistent_with_own_forward`` (the backward is right for that forward; the forward is what
  differs from the reference);
* dγ, dβ not summed over the batch (per-example (N, D)): ``not_summed_over_batch``, from the
  shape alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import handmade as hm
import reference as ref
from comparisons.core.opdecl import (
    DOUT,
    F64,
    Drawer,
    Input,
    OpDeclaration,
    as_f64,
    upstream_equation,
)
from comparisons.core.ops import Case, Inputs
from handmade.normalization import normalize, normalize_backward

EPS = 1e-5  # torch's default, and handmade's
SIGNATURE = ("forward(x, gamma, beta) -> (out, cache); backward(dout, cache) -> "
             "(dx, dgamma, dbeta)")


def spaced_x(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
             drawn: Inputs) -> Any:
    """A shuffled grid of spacing 0.6, jittered by at most 0.1, around 1: a nonzero mean (a
    forgotten centring shows) and any two elements at least 0.4 apart, so no row or column is
    near-constant (σ ≈ √eps there, where float32 rounding, not the derivation, decides dx)."""
    grid = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    x = 1.0 + 0.6 * (grid - grid.mean()) + rng.uniform(-0.1, 0.1, shape)
    return x.astype(dt)


def pair_x(axis: int) -> Drawer:
    """:func:`spaced_x`, except where the statistics ``axis`` has two elements: there x̂ = ±d/σ
    with d the half-difference, dx ∝ (1 − x̂²) = eps/(d² + eps) is all that remains, so the
    pairs are drawn with d² between eps and 9 eps (d = √eps U(1, 3)) around centres
    0.01 U(0.5, 1): dx is then resolved in float32 too and depends on eps being in σ."""

    def draw(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
             drawn: Inputs) -> Any:
        if shape[axis] != 2:
            return spaced_x(rng, shape, dt, drawn)
        half = np.sqrt(EPS) * rng.uniform(1.0, 3.0, shape) * np.where(
            np.arange(2).reshape([2 if a == axis % len(shape) else 1
                                  for a in range(len(shape))]) == 0, 1.0, -1.0)
        centre = 0.01 * rng.uniform(0.5, 1.0, shape).mean(axis=axis, keepdims=True)
        return (centre + half).astype(dt)

    return draw


def gamma_not_one(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
                  drawn: Inputs) -> Any:
    """γ uniform on [1.5, 2.5], every second one negated: never near 1, never constant."""
    g = rng.uniform(1.5, 2.5, shape)
    g[1::2] *= -1
    return g.astype(dt)


def beta_not_zero(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
                  drawn: Inputs) -> Any:
    """β = N(0, 1) + 0.5."""
    return (rng.standard_normal(shape) + 0.5).astype(dt)




def norm_inputs(axis: int) -> tuple[Input, ...]:
    """x (:func:`pair_x` of the statistics axis), γ ≠ 1 and β ≠ 0."""
    return (Input(name="x", shape=("N", "D"), grad="dx", draw=pair_x(axis)),
            Input(name="gamma", shape=("D",), grad="dgamma", draw=gamma_not_one),
            Input(name="beta", shape=("D",), grad="dbeta", draw=beta_not_zero))


def norm_mistakes(axis: int) -> Callable[[str, dict[str, Any], F64, Mapping[str, F64]],
                                         dict[str, Any]]:
    """The usual-mistake builder of a normalisation over ``axis`` (0: batch, -1: layer)."""

    def mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                 refs: Mapping[str, F64]) -> dict[str, Any]:
        x, gamma = as_f64(inputs["x"]), as_f64(inputs["gamma"])
        (n, d), count = x.shape, x.shape[axis]
        ctx: dict[str, Any] = {"dims": {"N": n, "D": d}}
        if count < 2:
            return ctx
        xhat, std = normalize(x, axis, 0, EPS)
        other = normalize(x, axis, 1, EPS)[0]  # x̂ with the n − 1 variance
        if grad == "dx":
            dxhat = dout * gamma
            ctx["candidates"] = {
                "missing_statistics_paths": dxhat / std,
                "missing_gamma": normalize_backward(dout, xhat, std, axis, count),
                "variance_convention": normalize_backward(dxhat, xhat, std, axis, count - 1)}
        elif grad == "dgamma":
            lead = tuple(range(x.ndim - 1))
            ctx["candidates"] = {"variance_convention": (dout * other).sum(axis=lead)}
        return ctx

    return mistakes


def equations(stats: str, m: str) -> dict[str, str]:
    """dx, dγ, dβ of a normalisation with statistics ``stats`` and variance divisor ``m``."""
    return {
        "dx": upstream_equation(f"dx = (dx̂ − mean(dx̂) − x̂ ⊙ Σ(dx̂ ⊙ x̂) / {m}) / σ, "
                                f"dx̂ = dout ⊙ γ, σ = √(σ² + eps), sums {stats}"),
        "dgamma": upstream_equation("dgamma = Σₙ dout ⊙ x̂ (summed over the batch)"),
        "dbeta": upstream_equation("dbeta = Σₙ dout (summed over the batch)"),
    }


BATCHNORM = OpDeclaration(
    name="batchnorm", family="normalization",
    forward=hm.batchnorm_forward, backward=hm.batchnorm_backward, reference=ref.batchnorm,
    inputs=norm_inputs(0),
    cases=(Case("non-square", {"N": 5, "D": 3}),
           Case("N=2", {"N": 2, "D": 3}),
           Case("odd batch", {"N": 7, "D": 5}),
           Case("D=1", {"N": 3, "D": 1})),
    signature=SIGNATURE,
    convention="training mode: out = γ (x − μ) / √(σ² + eps) + β, μ and σ² over the batch "
               "(axis 0), σ² = Σₙ (x − μ)² / N (biased, torch's; backprop ninja's n − 1 is "
               f"unbiased=True), eps = {EPS}; x: (N, D), N >= 2; gamma, beta: (D,); {DOUT}",
    equations=equations("over the batch (axis 0)", "N"),
    mistakes=norm_mistakes(0), output_shift="beta",
    notes="inputs have γ ≠ 1 and β ≠ 0 (γ = 1 hides a dx̂ taken as dout)",
)
LAYERNORM = OpDeclaration(
    name="layernorm", family="normalization",
    forward=hm.layernorm_forward, backward=hm.layernorm_backward, reference=ref.layernorm,
    inputs=norm_inputs(-1),
    cases=(Case("non-square", {"N": 5, "D": 3}),
           Case("N=1", {"N": 1, "D": 7}),
           Case("odd batch", {"N": 7, "D": 5}),
           Case("D=2", {"N": 3, "D": 2})),
    signature=SIGNATURE,
    convention="out = γ (x − μ) / √(σ² + eps) + β, μ and σ² per example over the last axis, "
               f"σ² = Σ_d (x − μ)² / D (biased, torch's), eps = {EPS}; x: (N, D); gamma, "
               f"beta: (D,); {DOUT}",
    equations=equations("over the last axis (per example)", "D"),
    mistakes=norm_mistakes(-1), output_shift="beta",
    notes="inputs have γ ≠ 1 and β ≠ 0",
)

DECLARATIONS = (BATCHNORM, LAYERNORM)
