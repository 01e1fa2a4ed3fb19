"""Graph model (validation, order, JSON, agreement marking) and the layered layout."""

from __future__ import annotations

import numpy as np
import pytest

from comparisons.core.tolerances import tolerance
from comparisons.graph.layout import assign_layers, layout_graph
from comparisons.graph.model import Graph, GraphNode, mark_agreement

BOOK = [  # the D2L two-layer network: (name, inputs, kind)
    ("x", (), "input"), ("W1", (), "param"), ("z", ("x", "W1"), "op"), ("h", ("z",), "op"),
    ("W2", (), "param"), ("o", ("h", "W2"), "op"), ("y", (), "input"), ("L", ("o", "y"), "op"),
    ("s", ("W1", "W2"), "op"), ("J", ("L", "s"), "loss"),
]


def book_graph(rng: np.random.Generator | None = None) -> Graph:
    """The book's graph; with ``rng``, random values and gradients on every node."""
    nodes = []
    for name, inputs, kind in BOOK:
        arr = None if rng is None else rng.normal(size=(2, 3))
        nodes.append(GraphNode(name, kind, inputs, value=arr, grad=arr, kind=kind))
    return Graph.from_nodes(nodes)


def test_edges_follow_inputs_and_order_is_topological() -> None:
    g = book_graph()
    assert len(g.edges) == sum(len(i) for _, i, _ in BOOK)
    order = g.topological_order()
    assert all(order.index(s) < order.index(d) for s, d in g.edges)


def test_validation_errors() -> None:
    a, b = GraphNode("a", "input", kind="input"), GraphNode("b", "neg", ("a",))
    with pytest.raises(ValueError, match="edges"):
        Graph({"a": a, "b": b}, [("a", "b"), ("a", "ghost")])
    with pytest.raises(ValueError, match="edges"):
        Graph({"a": a, "b": b}, [])  # b's input a has no edge
    with pytest.raises(ValueError, match="cycle"):
        Graph.from_nodes([GraphNode("p", "f", ("q",)), GraphNode("q", "g", ("p",))])
    with pytest.raises(ValueError, match="duplicates"):
        Graph.from_nodes([a, GraphNode("a", "input")])
    with pytest.raises(ValueError, match="kind"):
        GraphNode("c", "op", kind="weird")  # type: ignore[arg-type]


def test_json_norms(rng: np.random.Generator) -> None:
    g = book_graph(rng)
    g.nodes["x"].grad = None
    data = g.to_json()
    row = data["nodes"][[r["name"] for r in data["nodes"]].index("z")]
    z = g.nodes["z"].value
    expected = float(np.sqrt((z**2).sum()))
    assert row["shape"] == list(z.shape)
    assert tolerance("forward", np.float64).allows(abs(row["value_norm"] - expected), expected)
    assert data["nodes"][0]["grad_norm"] is None
    assert sorted(map(tuple, data["edges"])) == sorted(g.edges)


@pytest.mark.parametrize("wrong", [["h"], ["h", "z", "W1"], ["W2", "o"], []])
def test_first_divergence_is_the_wrong_node_nearest_the_output(
    rng: np.random.Generator, wrong: list[str]
) -> None:
    g = book_graph(rng)
    user = {n: node.grad + (1.0 if n in wrong else 0.0) for n, node in g.nodes.items()}
    first = mark_agreement(g, user, lambda _n, a, e: bool(np.array_equal(a, e)))
    order = g.topological_order()
    expected = max(wrong, key=order.index) if wrong else None  # last in forward order
    assert first == expected
    for name, node in g.nodes.items():
        want = "ok" if name not in wrong else "wrong"
        assert node.status == ("first_divergence" if name == expected else want)
    with pytest.raises(ValueError, match="user_grads"):
        mark_agreement(g, {"nope": np.zeros(1)}, lambda *_: True)


def test_layers_follow_the_data_and_sit_next_to_first_use() -> None:
    g = book_graph()
    layer = assign_layers(g)
    assert all(layer[s] < layer[d] for s, d in g.edges)
    for name in ("W2", "y", "s"):  # each sits right before its first consumer
        assert layer[name] == min(layer[d] for d in g.successors(name)) - 1


def test_layout_boxes_disjoint_and_routes_rightward() -> None:
    g = book_graph()
    sizes = {n: (0.4 + 0.1 * len(n), 0.3 + 0.05 * i) for i, n in enumerate(g.nodes)}
    lay = layout_graph(g, sizes, row_gap=0.2)
    boxes = {n: (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
             for n, ((cx, cy), (w, h)) in ((n, (lay.centers[n], sizes[n])) for n in g.nodes)}
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (a0, a1, a2, a3), (b0, b1, b2, b3) = boxes[a], boxes[b]
            assert a2 <= b0 or b2 <= a0 or a3 <= b1 or b3 <= a1, (a, b)
    for (src, dst), route in zip(g.edges, lay.routes):
        xs = [p[0] for p in route]
        assert xs == sorted(xs) and xs[0] < xs[-1]
        assert xs[0] == pytest.approx(boxes[src][2]) and xs[-1] == pytest.approx(boxes[dst][0])
    with pytest.raises(ValueError, match="sizes"):
        layout_graph(g, {"x": (1.0, 1.0)})
