"""The hand-written network's recorded graph: the book's nodes and edges, gradients equal to
autograd's for the same tensors, and colouring by a user's gradients (first divergence)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import comparisons
import handmade as hm
from comparisons.core.compare import compare
from comparisons.graph.colour import colour_by_gradients, colour_by_report
from comparisons.graph.labels import node_label
from comparisons.graph.outputs import run_graphs
from comparisons.graph.record import make_network, record_two_layer
from comparisons.graph.twin import torch_twin
from handmade.mlp import TwoLayerCache

# The book's graph, read off its text: "x and W1 feed z; z feeds h; h and W2 feed o; o and y
# feed L; W1 and W2 feed s; L and s feed J."
BOOK_NODES = {"x", "W1", "z", "h", "W2", "o", "y", "L", "s", "J"}
BOOK_EDGES = {("x", "z"), ("W1", "z"), ("z", "h"), ("h", "o"), ("W2", "o"), ("o", "L"),
              ("y", "L"), ("W1", "s"), ("W2", "s"), ("L", "J"), ("s", "J")}


def _json_sets(doc: dict) -> tuple[set[str], set[tuple[str, str]]]:
    return {n["name"] for n in doc["nodes"]}, {tuple(e) for e in doc["edges"]}


def test_default_graph_is_the_books() -> None:
    doc = run_graphs().to_json()
    nodes, edges = _json_sets(doc)
    assert nodes == BOOK_NODES
    assert edges == BOOK_EDGES
    assert len(doc["edges"]) == len(BOOK_EDGES)  # no edge twice


def test_bias_joins_the_hidden_affine_map_unregularised() -> None:
    nodes, edges = _json_sets(run_graphs(bias=True).to_json())
    assert nodes == BOOK_NODES | {"b1"}
    assert edges == BOOK_EDGES | {("b1", "z")}  # exercise 2: z = W1 x + b1; no b1 -> s


def test_recording_reuses_the_handmade_values(rng: np.random.Generator) -> None:
    model, X, Y = make_network(rng, activation="tanh", bias=True)
    graph = record_two_layer(model, X, Y)
    W1, W2, b1 = model.W1.data, model.W2.data, model.b1.data
    J, cache = hm.two_layer_forward(X, Y, W1, W2, model.lam, phi="tanh", b1=b1)
    grads = hm.two_layer_backward(1.0, cache)
    for name in ("z", "h", "o", "L", "s", "J"):
        assert np.array_equal(graph.nodes[name].value, getattr(cache, name)), name
    for name in ("z", "h", "o", "W1", "W2", "b1"):
        assert np.array_equal(graph.nodes[name].grad, grads[f"d{name}"]), name
    assert graph.nodes["x"].grad is None and graph.nodes["y"].grad is None
    assert graph.nodes["h"].op == "tanh" and graph.nodes["J"].kind == "loss"


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("lam", [0.1, 2.5])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_every_node_gradient_equals_autograds(activation: str, lam: float, bias: bool) -> None:
    model, X, Y = make_network(np.random.default_rng(3), activation=activation, lam=lam,
                               bias=bias)
    hand = record_two_layer(model, X, Y)
    twin = torch_twin(model, X, Y)
    with_grad = {n for n, node in hand.nodes.items() if node.grad is not None}
    assert with_grad == BOOK_NODES - {"x", "y"} | ({"b1"} if bias else set())
    for name in sorted(with_grad):
        retained = twin.tensors[name].grad  # torch's leaf .grad or retain_grad() gradient
        assert retained is not None, name
        check = compare(hand.nodes[name].grad, retained, name="graph", tensor=name,
                        against="autograd")
        assert check.passed, check.message
        torch_node = twin.graph.nodes[twin.correspondence[name]]
        assert compare(hand.nodes[name].grad, torch_node.grad, name="graph", tensor=name,
                       against="autograd").passed


def test_dropout_is_an_extra_node_between_h_and_o(rng: np.random.Generator) -> None:
    model, X, Y = make_network(rng)
    model.p = 0.4
    hand = record_two_layer(model, X, Y)
    assert ("h", "h_drop") in hand.edges and ("h_drop", "o") in hand.edges
    assert ("h", "o") not in hand.edges
    twin = torch_twin(model, X, Y)
    for name in ("h_drop", "h", "z", "W1"):
        assert compare(hand.nodes[name].grad, twin.tensors[name].grad, name="graph",
                       tensor=name, against="autograd").passed


def test_same_seed_same_graph_other_seed_other_values() -> None:
    a, b, c = (run_graphs(seed=s).to_json() for s in (5, 5, 6))
    assert a == b
    assert a["nodes"] != c["nodes"]


def _true_grads(seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The correct gradients of run_graphs(seed) and the forward values they came from."""
    model, X, Y = make_network(np.random.default_rng(seed))
    _, cache = hm.two_layer_forward(X, Y, model.W1.data, model.W2.data, model.lam)
    return hm.two_layer_backward(1.0, cache), {"X": X, "W1": model.W1.data, "z": cache.z,
                                               "h": cache.h, "W2": model.W2.data,
                                               "lam": np.asarray(model.lam)}


@pytest.mark.parametrize("plant", ["transposed", "doubled"])
def test_planted_wrong_dW2_is_red_and_the_first_divergence(plant: str) -> None:
    grads, _ = _true_grads()
    grads["dW2"] = grads["dW2"].T if plant == "transposed" else 2 * grads["dW2"]
    run = run_graphs(user_grads=grads)
    status = {n: node.status for n, node in run.hand.nodes.items()}
    assert run.colouring is not None and run.colouring.first_divergence == "W2"
    assert status["W2"] == "first_divergence"
    assert all(status[n] == "ok" for n in ("o", "h", "z", "W1"))
    assert run.colouring.diagnoses["W2"].code == ("transposed" if plant == "transposed"
                                                  else "scaled")
    assert not run.passed and f"({run.colouring.diagnoses['W2'].code})" in node_label(
        run.hand.nodes["W2"], "grad")


def test_wrong_do_spoils_everything_behind_it_but_only_o_is_first() -> None:
    grads, v = _true_grads()
    do = 2 * grads["do"]  # planted: the mean over N instead of N*q (q = 2)
    dh = do @ v["W2"]  # and everything after it computed correctly from it
    dz = dh * (v["z"] > 0)
    user = {"do": do, "dW2": do.T @ v["h"] + v["lam"] * v["W2"], "dh": dh, "dz": dz,
            "dW1": dz.T @ v["X"] + v["lam"] * v["W1"]}
    run = run_graphs(user_grads=user)
    status = {n: node.status for n, node in run.hand.nodes.items()}
    assert run.colouring.first_divergence == "o"
    assert {n for n, s in status.items() if s == "wrong"} == {"W2", "h", "z", "W1"}
    assert status["h"] != "first_divergence"  # downstream of o: wrong, not first


def test_forgotten_activation_derivative_starts_at_z() -> None:
    grads, v = _true_grads()
    user = {**grads, "dz": grads["dh"], "dW1": grads["dh"].T @ v["X"] + v["lam"] * v["W1"]}
    run = run_graphs(user_grads=user)
    status = {n: node.status for n, node in run.hand.nodes.items()}
    assert run.colouring.first_divergence == "z"
    assert status["W1"] == "wrong" and status["h"] == status["o"] == "ok"


def test_colouring_accepts_node_names_and_rejects_unknown_ones() -> None:
    grads, _ = _true_grads()
    run = run_graphs(user_grads={"W2": grads["dW2"], "h": grads["dh"]})
    assert run.colouring.passed and run.passed
    assert {n for n, node in run.hand.nodes.items() if node.status} == {"W2", "h"}
    with pytest.raises(ValueError, match="user_grads"):
        colour_by_gradients(run.hand, {"dq": grads["do"]})
    with pytest.raises(ValueError, match="no gradient"):
        colour_by_gradients(run.hand, {"x": np.zeros((4, 3))})


def test_colour_by_a_verify_report() -> None:
    hand = run_graphs().hand
    rows = [SimpleNamespace(name=n, passed=n != "dh", diagnosis="ok" if n != "dh" else "scaled",
                            message="", factor=None, max_abs_err=None, max_rel_err=None,
                            notes=["a: b"] if n == "do" else [])
            for n in ("do", "dW2", "dh", "dz", "dW1")]
    found = colour_by_report(hand, SimpleNamespace(gradients=rows, first_divergence="dh"))
    assert found.first_divergence == "h" and hand.nodes["h"].status == "first_divergence"
    assert hand.nodes["o"].status == "ok" and hand.nodes["J"].status is None
    assert found.diagnoses["o"].notes == ("a: b",) and found.diagnoses["h"].code == "scaled"



def _transposed_dW2(dJ: Any, cache: TwoLayerCache) -> dict[str, np.ndarray]:
    """A user's mistake: dW2 returned transposed."""
    grads = hm.two_layer_backward(dJ, cache)
    grads["dW2"] = grads["dW2"].T
    return grads


def _forgot_relu(dJ: Any, cache: TwoLayerCache) -> dict[str, np.ndarray]:
    """A user's mistake: dz = dh (phi' forgotten); dW1 then computed correctly from it."""
    grads = hm.two_layer_backward(dJ, cache)
    lin1, pen1 = cache.caches["lin1"], cache.caches["pen1"]
    grads["dz"] = grads["dh"]
    grads["dW1"] = grads["dh"].T @ lin1.x + dJ * pen1.lam * lin1.W
    return grads


@pytest.mark.parametrize(("backward", "node"), [(_transposed_dW2, "W2"), (_forgot_relu, "z")])
def test_graph_and_verify_agree_on_the_first_divergence(backward: Any, node: str) -> None:
    report = comparisons.verify(hm.two_layer_forward, backward, against="two_layer")
    hand = run_graphs().hand
    assert colour_by_report(hand, report).first_divergence == node
    assert hand.nodes[node].status == "first_divergence"
    model, X, Y = make_network(np.random.default_rng(0))
    _, cache = hm.two_layer_forward(X, Y, model.W1.data, model.W2.data, model.lam)
    own = run_graphs(user_grads=backward(1.0, cache))
    assert own.colouring is not None and own.colouring.first_divergence == node
