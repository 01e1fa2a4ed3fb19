"""The two-layer network's declaration: ``two_layer`` (``handmade.two_layer_forward`` /
``two_layer_backward``, ``reference.two_layer``), the book's network of ``handmade.network``.

Everything about the network's structure is read from :data:`handmade.network.BOOK`: the
parameters (the differentiable inputs) and their gradient names, the intermediates the dict
returned by the backward also names (do, dh, dz), the shapes in symbols, the forward formulas
(the convention) and the equations, the backward order (:data:`BACKWARD_ORDER`) and what each
gradient is computed from (:data:`DEPENDENCIES`, which ``verify``'s first divergence walks).

It is a scalar objective J = mean((o − Y)²) + lam/2 (‖W1‖² + ‖W2‖²), judged at dJ = 1. Its
usual mistakes: the λW term missing from dW2 or dW1 (``missing_l2_term``), relu′(z) forgotten
(``missing_activation_derivative``: dz = dh, so dW1 = dhᵀ X + λ W1), a mean where the sum is
due (named by N, d, h, q, N·q), and the λW term not multiplied by dJ (its
:attr:`~comparisons.core.opdecl.OpDeclaration.upstream_terms`). Its kink: relu at z == 0,
where dz = t · dh for any t in [0, 1] is valid and dW1 = dzᵀ X + lam W1 follows the choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

import handmade as hm
import reference as ref
from comparisons.core.opdecl import (
    F64,
    Input,
    Kink,
    KinkRule,
    OpDeclaration,
    UpstreamTerm,
    as_f64,
    at_unit,
    unit_convention,
)
from comparisons.core.ops import Case, Inputs
from handmade.network import BOOK

BACKWARD_ORDER = BOOK.gradients
"""two_layer's gradients as a backward pass computes them: do, dW2, dh, dz, dW1."""
DEPENDENCIES: dict[str, list[str]] = BOOK.dependencies()
"""Gradient -> the gradients it is computed from (dz <- dh), from handmade.network."""
LAM = 0.1
WEIGHT_SCALE = 0.7  # W1, W2 ~ 0.7 N(0, 1): z has entries on both sides of the kink


def symbols(node: str) -> tuple[str, ...]:
    """The shape of a node of the book's network in symbols: ``"(h, d)"`` -> ``("h", "d")``."""
    return tuple(BOOK[node].shape.strip("()").split(", "))


def parameter(name: str) -> Input:
    """A weight matrix of the network, differentiable, its gradient named by the network."""
    return Input(name=name, shape=symbols(name), scale=WEIGHT_SCALE, grad=BOOK.grad(name))


INPUTS = (Input(name="X", shape=symbols("x")), Input(name="Y", shape=symbols("o")),
          parameter("W1"), parameter("W2"), Input(name="lam", dtype="const", value=LAM))
"""In the forward's argument order; X, Y, W1, W2 drawn in that order (Y has o's shape)."""


def untrusted(inputs: Inputs, h: float) -> dict[str, NDArray[np.bool_]]:
    """W1[j, k] is untrusted when a step of h moves some z[n, j] = W1[j] · X[n] across 0.

    A step of ±h in W1[j, k] moves z[n, j] by ±h X[n, k], so the central difference can cross
    0 only where |z[n, j]| < h |X[n, k]|; the mask keeps a margin of two steps:
    |z[n, j]| < 2h |X[n, k]|. Strict: where X[n, k] = 0 a step cannot move z[n, j] (even at
    z == 0), so W1[j, k] stays checked by finite differences.
    """
    X = as_f64(inputs["X"])
    z = X @ as_f64(inputs["W1"]).T
    near = np.abs(z)[:, :, None] < 2 * h * np.abs(X)[:, None, :]
    return {"W1": near.any(axis=0)}


def with_z_exactly_zero(inputs: Inputs) -> Inputs:
    """z = X W1ᵀ exactly 0 at rows 0-1, units 0-1: X[:2] keeps only column 1, W1[:2, 1] = 0.

    Every product in those dot products has a zero factor, so z is 0 in any summation order,
    while X[:2, 1] != 0 makes dW1[:2, 1] depend on the choice of relu′(0).
    """
    X, W1 = np.array(inputs["X"]), np.array(inputs["W1"])
    keep = X[:2, 1].copy()
    X[:2] = 0
    X[:2, 1] = keep
    W1[:2, 1] = 0
    return {**inputs, "X": X, "W1": W1}


def mistakes(grad: str, inputs: dict[str, Any], dout: F64,
             refs: Mapping[str, F64]) -> dict[str, Any]:
    """Candidates for dW2, dW1 (no λW), dz (no relu′) and the dW1 that follows from it; the
    sizes N, d, h, q (the loss is a mean over N·q) and lam; the masks of z's kink."""
    X, W1, W2 = (as_f64(inputs[k]) for k in ("X", "W1", "W2"))
    lam, dJ = float(inputs["lam"]), float(dout)
    z = X @ W1.T
    (n, d), (h, q) = X.shape, W2.shape[::-1]
    ctx: dict[str, Any] = {"dims": {"N": n, "d": d, "h": h, "q": q, "N·q": n * q},
                           "mean_over": "N·q", "lam": lam}
    if grad == "dW2":
        ctx["candidates"] = {"missing_l2_term": refs["dW2"] - dJ * lam * W2}
    elif grad == "dW1":
        ctx["candidates"] = {"missing_l2_term": refs["dW1"] - dJ * lam * W1,
                             "missing_activation_derivative": refs["dh"].T @ X + dJ * lam * W1}
    elif grad == "dz":
        ctx["upstream"] = refs["dh"]
        ctx["masks"] = {"z == 0 (ReLU kink)": z == 0, "z <= 0": z <= 0, "z < 0": z < 0}
    return ctx


def relu_kink(inputs: Inputs, dout: F64, refs: Mapping[str, F64]) -> list[Kink]:
    """At z == 0 every dz = t · dh, t in [0, 1], is valid (torch: 0)."""
    z = np.asarray(inputs["X"]) @ np.asarray(inputs["W1"]).T
    return [Kink("dz", "z == 0", "relu", z == 0, refs["dh"], "dh")]


def follow_dz(inputs: Inputs, refs: Mapping[str, F64],
              adjusted: Mapping[str, F64]) -> dict[str, F64]:
    """dW1 recomputed from the user's valid dz: dW1 = dzᵀ X + lam W1."""
    return {"dW1": refs["dW1"] + (adjusted["dz"] - refs["dz"]).T @ as_f64(inputs["X"])}


TWO_LAYER = OpDeclaration(
    name="two_layer", family="network",
    forward=hm.two_layer_forward, backward=hm.two_layer_backward, reference=ref.two_layer,
    inputs=INPUTS,
    cases=(Case("minibatch", {"N": 5, "d": 7, "h": 11, "q": 3}),
           Case("N=1", {"N": 1, "d": 5, "h": 3, "q": 7}),
           Case("odd batch, q=1", {"N": 7, "d": 3, "h": 5, "q": 1})),
    signature="forward(X, Y, W1, W2, lam) -> (J, cache); backward(dJ, cache) -> "
              f"{{{', '.join(map(repr, BOOK.gradients))}}}",
    convention=f"{', '.join(BOOK.formulas)}; {unit_convention('dJ', 'J')}",
    equations=at_unit("dJ", BOOK.equations),
    scalar_output=True, returns_dict=True, intermediates=BOOK.grads_of("intermediate"),
    untrusted=untrusted,
    kinks=KinkRule(relu_kink, follow_dz, BOOK.equations["dW1"].removeprefix("dJ/")),
    kink_cases=((Case("z exactly 0", {"N": 5, "d": 3, "h": 7, "q": 11}), with_z_exactly_zero),),
    mistakes=mistakes,
    upstream_terms={
        "dW2": UpstreamTerm(label="lam*W2", fix="dW2 = do.T @ h + dJ * lam * W2", weight="W2",
                            data_label="do.T @ h",
                            data_fix="let do carry it: do = dJ * 2 * (o - Y) / o.size"),
        "dW1": UpstreamTerm(label="lam*W1", fix="dW1 = dz.T @ X + dJ * lam * W1", weight="W1",
                            data_label="dz.T @ X",
                            data_fix="let do carry it (dh and dz follow from do)")},
)

DECLARATIONS = (TWO_LAYER,)
