"""The built-in ops: every op's declaration, collected (one module per op family).

Each op is declared once, with keyword arguments, in one module per family of
:data:`FAMILIES` (``comparisons.core.ops_linear``, ``ops_activations``, ``ops_losses``,
``ops_regularization``, ``ops_network``): an :class:`~comparisons.core.opdecl.OpDeclaration`
holding the pair, the torch reference, the inputs, the cases, the convention and equations,
kinks and usual mistakes. :data:`DECLARATIONS` holds them and :data:`BUILTIN_OPS` their specs,
in the order ``verify --list`` and ``check`` show. A new family is one more module in
:data:`FAMILIES` (each module's ``DECLARATIONS`` tuple is read).

Case sizes are distinct primes other than 2 wherever a ``scaled`` factor could be named by
them (N, q, d, h, D, D_in, D_out, C differ within a case), so q, N·q, N/2, 2 and 1/N never
coincide; the N = 1 case comes second, so the first failing case (whose diagnosis is
reported) has every size > 1. Upstream convention: a scalar objective (two_layer's J, the
losses, the L2 penalty) is judged at upstream gradient 1 (the gradient of the objective
itself), every other op with ``dout`` the upstream gradient of ``out``'s shape; each
``convention`` and equation says which.
"""

from __future__ import annotations

from comparisons.core import (
    ops_activations,
    ops_conv,
    ops_embedding,
    ops_hinge,
    ops_linear,
    ops_losses,
    ops_network,
    ops_normalization,
    ops_regularization,
    ops_softmax,
)
from comparisons.core.opdecl import OpDeclaration
from comparisons.core.ops import OpSpec

FAMILIES = (
    ops_linear,
    ops_activations,
    ops_losses,
    ops_regularization,
    ops_normalization,
    ops_embedding,
    ops_softmax,
    ops_hinge,
    ops_conv,
    ops_network,
)
"""The op-family modules, in the order ``verify --list`` and ``check`` show their ops."""

DECLARATIONS: dict[str, OpDeclaration] = {
    d.name: d for family in FAMILIES for d in family.DECLARATIONS
}
"""Every built-in op's declaration by name."""
ACTIVATIONS = tuple(name for name, d in DECLARATIONS.items() if d.family == "activation")
"""The elementwise activations: the "activation" family of the declarations."""
BUILTIN_OPS: dict[str, OpSpec] = {name: d.spec for name, d in DECLARATIONS.items()}
"""Every built-in op's spec (``decl.spec``) by name."""


def get_op(name: str) -> OpSpec:
    """The built-in spec named ``name``; ValueError listing the known ops otherwise."""
    if name not in BUILTIN_OPS:
        raise ValueError(f"op: expected one of {', '.join(BUILTIN_OPS)}, got {name!r}")
    return BUILTIN_OPS[name]
