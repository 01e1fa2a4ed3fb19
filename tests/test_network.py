"""The two-layer network is described once (handmade.network) and every consumer reads it.

The book's facts are asserted here once, against the description; every other test compares
a consumer with the description, so a changed description changes them all (and
``test_a_changed_description_changes_every_consumer`` shows that it does).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

import handmade as hm
import reference as ref
from comparisons.check.network_checks import SCENARIOS, Scenario, scenario_checks
from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.ops_network import BACKWARD_ORDER, DEPENDENCIES
from comparisons.graph import record as graph_record
from comparisons.graph.colour import BOOK_ORDER, GRADIENT_NODES
from comparisons.graph.record import make_network, record_two_layer
from comparisons.graph.twin import torch_twin
from comparisons.graph.user import EXPECTED
from comparisons.verification.kinks import KINKS
from handmade import mlp as hm_mlp
from handmade.network import BOOK, TWO_LAYER, Network, Node
from reference import mlp as ref_mlp

OPTIONS = [(False, False), (True, False), (False, True), (True, True)]


def test_the_description_derives_the_books_order_and_dependencies() -> None:
    assert BOOK.gradients == ("do", "dW2", "dh", "dz", "dW1")
    assert BOOK.dependencies() == {"do": [], "dW2": ["do"], "dh": ["do"], "dz": ["dh"],
                                   "dW1": ["dz"]}
    full = TWO_LAYER.configured(bias=True, dropout=True)
    assert full.gradients == ("do", "dW2", "dh_drop", "dh", "dz", "dW1", "db1")
    assert full.dependencies()["dh"] == ["dh_drop"] and full.dependencies()["db1"] == ["dz"]
    assert BOOK["o"].inputs == ("h", "W2") and BOOK["z"].inputs == ("x", "W1")


def test_the_description_refuses_an_input_declared_after_its_consumer() -> None:
    with pytest.raises(ValueError, match="inputs of 'z' declared before"):
        Network((Node("z", "intermediate", "linear", ("x",)), Node("x", "input", "input")))
    with pytest.raises(ValueError, match="unique names"):
        Network((Node("x", "input", "input"), Node("x", "input", "input")))


def _handmade(bias: bool, dropout: bool) -> tuple[hm.TwoLayerMLP, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    model = hm.TwoLayerMLP(3, 5, 2, lam=0.1, bias=bias, dropout=0.5 if dropout else 0.0,
                           rng=rng, sigma=0.7)
    model.forward(rng.standard_normal((4, 3)), rng.standard_normal((4, 2)))
    return model, model.backward(1.0)


@pytest.mark.parametrize(("bias", "dropout"), OPTIONS)
def test_handmade_backward_returns_the_descriptions_gradients_in_its_order(
        bias: bool, dropout: bool) -> None:
    model, grads = _handmade(bias, dropout)
    assert model.mask is not None or not dropout
    assert tuple(grads) == TWO_LAYER.configured(bias=bias, dropout=dropout).gradients
    assert tuple(model.values) == TWO_LAYER.values
    assert hm_mlp.TwoLayerCache._fields[:len(TWO_LAYER.values)] == TWO_LAYER.values


@pytest.mark.parametrize(("bias", "dropout"), OPTIONS)
def test_reference_retains_the_descriptions_values(bias: bool, dropout: bool) -> None:
    g = torch.Generator().manual_seed(0)
    W1 = torch.randn(5, 3, dtype=torch.float64, generator=g, requires_grad=True)
    W2 = torch.randn(2, 5, dtype=torch.float64, generator=g, requires_grad=True)
    b1 = torch.zeros(5, dtype=torch.float64, requires_grad=True) if bias else None
    X, Y = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    values = ref.two_layer(X, Y, W1, W2, 0.1, b1=b1, p=0.5 if dropout else 0.0)
    values["J"].backward()
    assert tuple(values) == TWO_LAYER.configured(bias=bias, dropout=dropout).values
    assert all(t.grad is not None for t in values.values())


def _always_dropout() -> Network:
    """The description with h_drop no longer optional: every configuration has it."""
    return Network(tuple(replace(n, part=None) if n.name == "h_drop" else n
                         for n in TWO_LAYER.nodes))


def test_a_changed_description_changes_every_consumer(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = _always_dropout()
    assert "dh_drop" in changed.configured().gradients
    for module in (hm_mlp, ref_mlp, graph_record):
        monkeypatch.setattr(module, "TWO_LAYER", changed)
    _, grads = _handmade(False, False)
    assert tuple(grads) == changed.configured().gradients
    graph = record_two_layer(*make_network(np.random.default_rng(1)))
    assert tuple(graph.nodes) == changed.configured().names
    assert graph.nodes["h_drop"].grad is not None
    W1 = torch.ones(5, 3, dtype=torch.float64, requires_grad=True)
    W2 = torch.ones(2, 5, dtype=torch.float64, requires_grad=True)
    values = ref.two_layer(torch.ones(4, 3, dtype=torch.float64),
                           torch.ones(4, 2, dtype=torch.float64), W1, W2, 0.1)
    assert tuple(values) == changed.values


def test_verify_and_check_read_the_book_network() -> None:
    spec = BUILTIN_OPS["two_layer"]
    assert BACKWARD_ORDER == BOOK.gradients
    assert tuple(spec.equations) == BOOK.gradients
    assert spec.differentiable == BOOK.of_kind("parameter")
    assert set(spec.grads + spec.intermediates) == set(BOOK.gradients)
    assert spec.intermediates == BOOK.grads_of("intermediate")
    assert DEPENDENCIES == BOOK.dependencies()


@pytest.mark.parametrize(("bias", "dropout"), OPTIONS)
def test_the_graph_records_the_descriptions_nodes_and_edges(bias: bool, dropout: bool) -> None:
    model, X, Y = make_network(np.random.default_rng(1), bias=bias)
    model.p = 0.5 if dropout else 0.0
    graph = record_two_layer(model, X, Y)
    net = TWO_LAYER.configured(bias=bias, dropout=dropout)
    assert tuple(graph.nodes) == net.names
    assert {n: node.inputs for n, node in graph.nodes.items()} == {n.name: n.inputs
                                                                 for n in net.nodes}
    twin = torch_twin(model, X, Y)
    assert set(twin.correspondence) == set(net.names) - {"x", "y"}


def test_graph_colouring_and_verify_file_read_the_description() -> None:
    assert GRADIENT_NODES == TWO_LAYER.gradient_nodes
    assert BOOK_ORDER == TWO_LAYER.backward_order()
    assert EXPECTED == BOOK.gradients


@pytest.mark.parametrize("sc", SCENARIOS, ids=lambda sc: sc.label)
def test_check_compares_every_gradient_the_description_names(sc: Scenario) -> None:
    rows = scenario_checks(sc, "float64", np.random.default_rng(0))
    net = TWO_LAYER.configured(bias=bool(sc.options.get("bias")),
                               dropout=sc.options.get("dropout", 0) > 0)
    autograd = tuple(r.tensor for r in rows if r.against == "autograd")
    assert autograd == ("J", *net.gradients)
    assert all(r.passed for r in rows)


def test_the_kink_note_quotes_the_descriptions_dW1_equation() -> None:
    assert "dJ/" + KINKS["two_layer"].equation == BOOK.equations["dW1"]
