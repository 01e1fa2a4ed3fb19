"""The elementwise activations' declarations: relu, sigmoid, tanh, leaky_relu
(``handmade.activations`` / ``reference.activations``).

Each is ``forward(x) -> (out, cache); backward(dout, cache) -> dx`` on x: (N, D) with
dx = dout ⊙ φ′(x). Their usual mistake is the derivative forgotten (dx = dout:
``missing_activation_derivative``, from the context's ``upstream``); a kinked one names the
masks a ``localized`` error is reported by ("x == 0 (ReLU kink)", ...). :data:`ACTIVATIONS`
(the "activation" family of the built-in ops) is the graph's ``--activation`` list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

import handmade as hm
import reference as ref
from comparisons.core.opdecl import (
    DOUT,
    F64,
    SHAPES_2D,
    Input,
    Kink,
    KinkCase,
    KinkRule,
    Mistakes,
    OpDeclaration,
    Untrusted,
    as_f64,
    every_third,
    upstream_equation,
)
from comparisons.core.ops import Case, Inputs

X = (Input(name="x", shape=("N", "D"), scale=2.0, grad="dx"),)
SIGNATURE = "forward(x) -> (out, cache); backward(dout, cache) -> dx"
EXACT_ZEROS = Case("exact zeros", {"N": 5, "D": 4})


def activation(*, name: str, forward: Callable[..., Any], backward: Callable[..., Any],
               reference: Callable[..., Any], formula: str, mistakes: Mistakes,
               inputs: tuple[Input, ...] = X, untrusted: Untrusted | None = None,
               kinks: KinkRule | None = None, kink_cases: tuple[KinkCase, ...] = (),
               notes: str = "") -> OpDeclaration:
    """The declaration of an elementwise activation ``formula`` ("relu(x) = max(x, 0)")."""
    derivative = formula.split("=")[0].strip() + "′"
    return OpDeclaration(
        name=name, family="activation", forward=forward, backward=backward,
        reference=reference, inputs=inputs, cases=SHAPES_2D, signature=SIGNATURE,
        convention=f"elementwise {formula}, x: (N, D); {DOUT}",
        equations={"dx": upstream_equation(f"dx = dout ⊙ {derivative}")},
        untrusted=untrusted, kinks=kinks, kink_cases=kink_cases, mistakes=mistakes,
        notes=notes)


def near_zero(inputs: Inputs, h: float) -> dict[str, NDArray[np.bool_]]:
    """x within 2h of the kink at 0: a central difference there straddles it."""
    return {"x": np.abs(inputs["x"]) <= 2 * h}


def with_exact_zeros(inputs: Inputs) -> Inputs:
    """Every third element of x set to exactly 0 (the kink)."""
    return every_third(inputs, "x", 0.0)


def smooth_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                    refs: Mapping[str, F64]) -> dict[str, Any]:
    """dout before the product with φ′(x): dx = dout is the derivative forgotten."""
    return {"upstream": dout}


def relu_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                  refs: Mapping[str, F64]) -> dict[str, Any]:
    """The derivative forgotten, and the masks of the kink and the inactive side."""
    x = as_f64(inputs["x"])
    return {"upstream": dout, "masks": {"x == 0 (ReLU kink)": x == 0, "x <= 0": x <= 0,
                                        "x < 0": x < 0}}


def relu_kinks(inputs: Inputs, dout: F64, refs: Mapping[str, F64]) -> list[Kink]:
    """At x == 0 every dx = t · dout, t in [0, 1], is valid (torch: 0)."""
    x = np.asarray(inputs["x"])
    return [Kink("dx", "x == 0", "relu", x == 0, np.broadcast_to(dout, x.shape), "dout")]


RELU = activation(
    name="relu", forward=hm.relu_forward, backward=hm.relu_backward, reference=ref.relu,
    formula="relu(x) = max(x, 0)", mistakes=relu_mistakes, untrusted=near_zero,
    kinks=KinkRule(relu_kinks), kink_cases=((EXACT_ZEROS, with_exact_zeros),))
SIGMOID = activation(
    name="sigmoid", forward=hm.sigmoid_forward, backward=hm.sigmoid_backward,
    reference=ref.sigmoid, formula="σ(x) = 1 / (1 + e^-x)", mistakes=smooth_mistakes)
TANH = activation(
    name="tanh", forward=hm.tanh_forward, backward=hm.tanh_backward, reference=ref.tanh,
    formula="tanh(x)", mistakes=smooth_mistakes)

NEGATIVE_SLOPE = 0.01  # torch's default, and handmade's


def leaky_x(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
            drawn: Inputs) -> Any:
    """|2 N(0, 1)| with every third element (from the second) negated: both sides in every
    case (N = 1 too), the negative side a minority, so a mistake there is ``localized``."""
    x = np.abs(2.0 * rng.standard_normal(shape))
    x.reshape(-1)[1::3] *= -1
    return x.astype(dt)


def slope_of(inputs: Inputs) -> float:
    """The negative slope of a run: its ``negative_slope`` input (a per-student variant passes
    one, :mod:`comparisons.verification.variants`), else :data:`NEGATIVE_SLOPE`."""
    return float(inputs.get("negative_slope", NEGATIVE_SLOPE))


def leaky_relu_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                        refs: Mapping[str, F64]) -> dict[str, Any]:
    """The derivative forgotten (dx = dout); the masks of the kink and of the negative side,
    where dx = dout ⊙ [x > 0] (the slope forgotten, ReLU's derivative) is wrong."""
    x = as_f64(inputs["x"])
    return {"upstream": dout, "masks": {
        "x == 0 (leaky ReLU kink)": x == 0,
        "x < 0 (the negative side: dx = negative_slope · dout there)": x < 0, "x <= 0": x <= 0}}


def leaky_relu_kinks(inputs: Inputs, dout: F64, refs: Mapping[str, F64]) -> list[Kink]:
    """At x == 0 every dx = t · dout, t in [negative_slope, 1], is valid (torch: slope)."""
    x = np.asarray(inputs["x"])
    return [Kink("dx", "x == 0", "leaky_relu", x == 0, np.broadcast_to(dout, x.shape), "dout",
                 low=slope_of(inputs))]


LEAKY_RELU = activation(
    name="leaky_relu", forward=hm.leaky_relu_forward, backward=hm.leaky_relu_backward,
    reference=ref.leaky_relu,
    formula=f"leaky_relu(x) = x if x > 0 else negative_slope · x (negative_slope = "
            f"{NEGATIVE_SLOPE}, torch's default)",
    inputs=(Input(name="x", shape=("N", "D"), grad="dx", draw=leaky_x),),
    mistakes=leaky_relu_mistakes, untrusted=near_zero, kinks=KinkRule(leaky_relu_kinks),
    kink_cases=((EXACT_ZEROS, with_exact_zeros),))

DECLARATIONS = (RELU, SIGMOID, TANH, LEAKY_RELU)
ACTIVATIONS = tuple(d.name for d in DECLARATIONS)
