"""The op declarations: one per built-in op, keyword-only, and everything derived from them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import handmade.activations
import reference.activations
from comparisons.cli.graph import ACTIVATIONS as GRAPH_ACTIVATIONS
from comparisons.core.builtin_ops import ACTIVATIONS, BUILTIN_OPS, DECLARATIONS
from comparisons.core.opdecl import Input, OpDeclaration
from comparisons.graph.record import ACTIVATIONS as RECORD_ACTIVATIONS
from comparisons.verification.candidates import BUILDERS, EXTRA_CASES
from comparisons.verification.kinks import KINKS


def test_a_declaration_takes_keywords_only() -> None:
    with pytest.raises(TypeError):
        OpDeclaration("relu", "activation")  # type: ignore[misc]
    with pytest.raises(TypeError):
        Input("x")  # type: ignore[misc]


@pytest.mark.parametrize("name", sorted(DECLARATIONS))
def test_the_spec_and_the_verify_tables_come_from_the_declaration(name: str) -> None:
    decl = DECLARATIONS[name]
    spec = BUILTIN_OPS[name]
    assert spec is decl.spec and spec.name == name
    assert spec.grads == tuple(i.grad for i in decl.inputs if i.grad)
    assert set(spec.equations) == set(spec.grads + spec.intermediates)
    assert set(spec.positional) | set(spec.keywords) == {i.name for i in decl.inputs}
    assert BUILDERS.get(name) is decl.mistakes
    assert KINKS.get(name) is decl.kinks
    assert EXTRA_CASES.get(name, ()) == decl.kink_cases + decl.layout_cases
    assert (decl.kinks is None) == (decl.untrusted is None) == (not decl.kink_cases)


@pytest.mark.parametrize("name", sorted(DECLARATIONS))
def test_inputs_have_the_declared_shapes_dtypes_and_are_seeded(name: str) -> None:
    decl = DECLARATIONS[name]
    for case in decl.cases:
        a = decl.make_inputs(np.random.default_rng(5), case, np.dtype(np.float32))
        b = decl.make_inputs(np.random.default_rng(5), case, np.dtype(np.float32))
        assert list(a) == [i.name for i in decl.inputs]
        for i in decl.inputs:
            if i.dtype == "const":  # a drawn const reads the case's sizes (conv2d's stride)
                shape = tuple(case.dims[s] for s in i.shape)
                assert a[i.name] == (i.value if i.draw is None else i.draw(None, shape, None, a))
                continue
            assert np.shape(a[i.name]) == tuple(case.dims[s] for s in i.shape), (name, i.name)
            assert np.array_equal(a[i.name], b[i.name])
            if i.dtype == "int":
                assert a[i.name].dtype == np.int64
                assert 0 <= a[i.name].min() and a[i.name].max() < case.dims[i.high]
            elif i.draw is None:
                assert a[i.name].dtype == np.float32


def test_the_activation_list_is_the_declarations_activation_family() -> None:
    family = tuple(n for n, d in DECLARATIONS.items() if d.family == "activation")
    assert ACTIVATIONS == family
    assert tuple(handmade.activations.PAIRS) == family
    assert tuple(reference.activations.PHIS) == family
    assert GRAPH_ACTIVATIONS == RECORD_ACTIVATIONS == family


def test_a_replaced_spec_keeps_the_declared_mistakes_by_name() -> None:
    spec = dataclasses.replace(BUILTIN_OPS["relu"], backward=lambda d, c: d)
    assert spec.name in BUILDERS and spec.make_inputs == BUILTIN_OPS["relu"].make_inputs
