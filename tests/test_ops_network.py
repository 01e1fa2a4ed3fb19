"""two_layer is declared like every other built-in op, and its finite-difference mask leaves
out only the W1 elements whose z a step can move across the kink."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import handmade as hm
import reference as ref
from comparisons.core import builtin_ops, ops_network
from comparisons.core.builtin_ops import BUILTIN_OPS, DECLARATIONS, FAMILIES
from comparisons.core.finite_diff import DEFAULT_STEP
from comparisons.core.ops import scalar_objective
from comparisons.core.ops_network import TWO_LAYER, untrusted, with_z_exactly_zero
from comparisons.core.tolerances import tolerance
from comparisons.verification.candidates import BUILDERS, EXTRA_CASES
from comparisons.verification.kinks import KINKS
from comparisons.verification.upstream import TERMS
from handmade.network import BOOK

ROOT = Path(__file__).resolve().parents[1]
GENERIC = ("comparisons/core/builtin_ops.py", "comparisons/verification/candidates.py",
           "comparisons/verification/kinks.py", "comparisons/verification/upstream.py")


def test_every_builtin_op_comes_from_a_declaration_of_a_family_module() -> None:
    declared = [d for family in FAMILIES for d in family.DECLARATIONS]
    assert [d.name for d in declared] == list(BUILTIN_OPS) == list(DECLARATIONS)
    assert all(BUILTIN_OPS[d.name] is d.spec for d in declared)
    assert DECLARATIONS["two_layer"] is TWO_LAYER and TWO_LAYER.family == "network"


def test_two_layer_is_read_from_the_book_network() -> None:
    spec = TWO_LAYER.spec
    assert spec.forward is hm.two_layer_forward and spec.reference is ref.two_layer
    assert spec.differentiable == BOOK.of_kind("parameter")
    assert spec.grads == tuple(BOOK.grad(p) for p in BOOK.of_kind("parameter"))
    assert spec.intermediates == BOOK.grads_of("intermediate")
    assert tuple(spec.equations) == BOOK.gradients
    for name in ("W1", "W2"):
        (i,) = (i for i in TWO_LAYER.inputs if i.name == name)
        assert f"({', '.join(i.shape)})" == BOOK[name].shape


def test_verify_tables_hold_two_layers_declared_pieces() -> None:
    assert BUILDERS["two_layer"] is TWO_LAYER.mistakes
    assert KINKS["two_layer"] is TWO_LAYER.kinks
    assert EXTRA_CASES["two_layer"] == TWO_LAYER.kink_cases
    assert TERMS["two_layer"] is TWO_LAYER.upstream_terms
    assert set(TWO_LAYER.upstream_terms) == {BOOK.grad(p) for p in BOOK.of_kind("parameter")}


@pytest.mark.parametrize("path", GENERIC)
def test_the_generic_modules_name_no_op(path: str) -> None:
    """No op-specific string left in the code (docstrings may give examples)."""
    tree = ast.parse((ROOT / path).read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef) and n.body
            and isinstance(n.body[0], ast.Expr)}
    named = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
             and isinstance(n.value, str) and id(n) not in docs and n.value in BUILTIN_OPS]
    assert named == []
    imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not imports & {"BOOK", "TWO_LAYER"}
    assert "handmade.network" not in {n.module for n in ast.walk(tree)
                                      if isinstance(n, ast.ImportFrom)}


def kink_inputs() -> dict[str, np.ndarray]:
    ((case, edit),) = TWO_LAYER.kink_cases
    return edit(TWO_LAYER.make_inputs(np.random.default_rng(0), case, np.dtype(np.float64)))


def test_the_mask_leaves_out_no_w1_element_whose_z_cannot_move() -> None:
    inputs = kink_inputs()
    X, W1 = inputs["X"], inputs["W1"]
    z = X @ W1.T
    ignore = untrusted(inputs, DEFAULT_STEP)["W1"]
    # a step in W1[j, k] moves z[n, j] by the step times X[n, k]: at z == 0 only where X != 0
    movable = (np.abs(z)[:, :, None] < 2 * DEFAULT_STEP * np.abs(X)[:, None, :]).any(axis=0)
    assert np.array_equal(ignore, movable)
    at_kink = (z == 0)[:, :, None] & (X != 0)[:, None, :]
    assert np.array_equal(ignore, at_kink.any(axis=0))  # z == 0 exactly, nothing else near 0
    assert ignore.sum() == 2 and ignore[:2, 1].all()
    assert np.count_nonzero(z == 0) == 4


def test_the_w1_elements_the_mask_keeps_have_a_true_finite_difference() -> None:
    """Each W1 element the strict mask keeps (those at z == 0 with X == 0 too) has a central
    difference equal to the gradient autograd gives: it is safe to check."""
    inputs = kink_inputs()
    spec, h = TWO_LAYER.spec, DEFAULT_STEP
    f = scalar_objective(spec, spec.forward, inputs, np.float64(1.0), "W1")
    grads = hm.two_layer_backward(1.0, hm.two_layer_forward(
        *(inputs[k] for k in spec.positional))[1])
    ignore = untrusted(inputs, h)["W1"]
    tol = tolerance("finite_differences", "float64")
    W1 = inputs["W1"]
    z = inputs["X"] @ W1.T
    kept_at_kink = [(j, k) for j in range(W1.shape[0]) for k in range(W1.shape[1])
                    if not ignore[j, k] and (z[:, j] == 0).any()]
    assert len(kept_at_kink) == 4  # W1[:2, 0] and W1[:2, 2], which `<=` left out
    for j, k in kept_at_kink:
        step = np.zeros_like(W1)
        step[j, k] = h
        fd = (f(W1 + step) - f(W1 - step)) / (2 * h)
        assert tol.allows(abs(fd - grads["dW1"][j, k]), abs(grads["dW1"][j, k]))


def test_the_collection_names_the_network_family_module() -> None:
    assert ops_network in builtin_ops.FAMILIES
    assert with_z_exactly_zero is TWO_LAYER.kink_cases[0][1]
