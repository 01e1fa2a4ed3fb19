"""two_layer is declared like every other built-in op."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import handmade as hm
import reference as ref
from comparisons.core import builtin_ops, ops_network
from comparisons.core.builtin_ops import BUILTIN_OPS, DECLARATIONS, FAMILIES
from comparisons.core.ops_network import TWO_LAYER, with_z_exactly_zero
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


def test_the_collection_names_the_network_family_module() -> None:
    assert ops_network in builtin_ops.FAMILIES
    assert with_z_exactly_zero is TWO_LAYER.kink_cases[0][1]
