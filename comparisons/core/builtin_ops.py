"""The built-in ops: every op's declaration, collected (one module per op family).

Each op is declared once, with keyword arguments, in ``comparisons.core.ops_linear``,
``ops_activations``, ``ops_losses`` or ``ops_regularization`` (an
:class:`~comparisons.core.opdecl.OpDeclaration`: the pair, the torch reference, the inputs, the
cases, the convention and equations, kinks and usual mistakes); :data:`DECLARATIONS` holds
them and :data:`BUILTIN_OPS` their specs, in the order ``verify --list`` and ``check`` show.
The two-layer network (``two_layer``) is described by ``handmade.network``.

Case sizes are distinct primes other than 2 wherever a ``scaled`` factor could be named by
them (N, q, d, h, D, D_in, D_out, C differ within a case), so q, N·q, N/2, 2 and 1/N never
coincide; the N = 1 case comes second, so the first failing case (whose diagnosis is
reported) has every size > 1. Upstream convention: a scalar objective (two_layer's J, the
losses, the L2 penalty) is judged at upstream gradient 1 (the gradient of the objective
itself), every other op with ``dout`` the upstream gradient of ``out``'s shape; each
``convention`` and equation says which.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import handmade as hm
import reference as ref
from comparisons.core import ops_activations, ops_linear, ops_losses, ops_regularization
from comparisons.core.opdecl import OpDeclaration, at_unit, unit_convention
from comparisons.core.ops import Case, Inputs, OpSpec
from handmade.network import BOOK

DECLARATIONS: dict[str, OpDeclaration] = {
    d.name: d for d in (*ops_linear.DECLARATIONS, *ops_activations.DECLARATIONS,
                        *ops_losses.DECLARATIONS, *ops_regularization.DECLARATIONS)
}
"""Every declared built-in op by name (two_layer is still an OpSpec below)."""
ACTIVATIONS = tuple(name for name, d in DECLARATIONS.items() if d.family == "activation")
"""The elementwise activations: the "activation" family of the declarations."""
_unit = unit_convention
_at_unit = at_unit


def _normal(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype,
            scale: float = 1.0) -> NDArray[Any]:
    return (scale * rng.standard_normal(shape)).astype(dtype)


def _two_layer_inputs(rng: np.random.Generator, c: Case, dt: np.dtype) -> Inputs:
    n, d, h, q = (c.dims[k] for k in ("N", "d", "h", "q"))
    return {"X": _normal(rng, (n, d), dt), "Y": _normal(rng, (n, q), dt),
            "W1": _normal(rng, (h, d), dt, 0.7), "W2": _normal(rng, (q, h), dt, 0.7), "lam": 0.1}


def _two_layer_untrusted(inputs: Inputs, h: float) -> dict[str, NDArray[np.bool_]]:
    """W1[j, k] is untrusted when a step of h moves some z[n, j] = W1[j] · X[n] across 0."""
    X = np.asarray(inputs["X"], np.float64)
    z = X @ np.asarray(inputs["W1"], np.float64).T
    near = np.abs(z)[:, :, None] <= 2 * h * np.abs(X)[:, None, :]
    return {"W1": near.any(axis=0)}


BUILTIN_OPS: dict[str, OpSpec] = {
    **{name: d.spec for name, d in DECLARATIONS.items()},
    "two_layer": OpSpec(
        "two_layer", hm.two_layer_forward, hm.two_layer_backward, ref.two_layer,
        ("X", "Y", "W1", "W2", "lam"), BOOK.of_kind("parameter"),
        tuple(BOOK.grad(p) for p in BOOK.of_kind("parameter")), _two_layer_inputs,
        (Case("minibatch", {"N": 5, "d": 7, "h": 11, "q": 3}),
         Case("N=1", {"N": 1, "d": 5, "h": 3, "q": 7}),
         Case("odd batch, q=1", {"N": 7, "d": 3, "h": 5, "q": 1})),
        signature="forward(X, Y, W1, W2, lam) -> (J, cache); backward(dJ, cache) -> "
                  f"{{{', '.join(map(repr, BOOK.gradients))}}}",
        convention=f"{', '.join(BOOK.formulas)}; {_unit('dJ', 'J')}",
        scalar_output=True, returns_dict=True, intermediates=BOOK.grads_of("intermediate"),
        untrusted=_two_layer_untrusted,
        equations=_at_unit("dJ", BOOK.equations)),  # the network: handmade.network
}

BACKWARD_ORDER = BOOK.gradients  # two_layer's gradients as a backward pass computes them


def get_op(name: str) -> OpSpec:
    """The built-in spec named ``name``; ValueError listing the known ops otherwise."""
    if name not in BUILTIN_OPS:
        raise ValueError(f"op: expected one of {', '.join(BUILTIN_OPS)}, got {name!r}")
    return BUILTIN_OPS[name]
