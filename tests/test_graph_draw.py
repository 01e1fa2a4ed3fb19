"""Graph drawings: readable (no overlaps, arrows rightward), side by side, saved; DOT export."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionPatch
from matplotlib.transforms import Bbox
from test_graph_model import book_graph

from comparisons.core import plotstyle
from comparisons.graph.dot import to_dot
from comparisons.graph.draw import (
    FONTSIZE,
    DrawnGraph,
    draw_graph,
    draw_side_by_side,
    new_graph_figure,
)
from comparisons.graph.labels import node_label, preview
from comparisons.graph.model import Graph, mark_agreement
from comparisons.graph.torch_graph import extract_torch_graph, torch_correspondence


def torch_two_layer(lam: float = 0.1) -> Graph:
    """The book's network built with torch directly, after backward."""
    gen = torch.Generator().manual_seed(1)
    X, Y = torch.randn(4, 3, generator=gen), torch.randn(4, 2, generator=gen)
    W1 = torch.randn(5, 3, generator=gen, requires_grad=True)
    W2 = torch.randn(2, 5, generator=gen, requires_grad=True)
    z = X @ W1.T
    h = torch.relu(z)
    o = h @ W2.T
    L = torch.nn.functional.mse_loss(o, Y)
    s = lam / 2 * (W1.pow(2).sum() + W2.pow(2).sum())
    J = L + s
    for t in (z, h, o, L, s):
        t.retain_grad()
    J.backward()
    return extract_torch_graph(J, dict(x=X, y=Y, W1=W1, W2=W2, z=z, h=h, o=o, L=L, s=s, J=J))


def used_twice() -> Graph:
    x = torch.linspace(-1, 1, 5, requires_grad=True)
    out = (x * x + x).sum()
    out.backward()
    return extract_torch_graph(out, {"x": x})


def _disjoint(boxes: dict[str, Bbox]) -> None:
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            p, q = boxes[a], boxes[b]
            apart = p.x1 <= q.x0 or q.x1 <= p.x0 or p.y1 <= q.y0 or q.y1 <= p.y0
            assert apart, f"{a} overlaps {b}"


def assert_readable(drawn: DrawnGraph, graph: Graph) -> None:
    """No overlapping labels or boxes, arrows rightward between layers and clear of text."""
    fig = drawn.ax.get_figure()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = {n: t.get_window_extent(renderer) for n, t in drawn.texts.items()}
    boxes = {n: b.get_window_extent(renderer) for n, b in drawn.boxes.items()}
    _disjoint(texts)
    _disjoint(boxes)
    for name, text in texts.items():
        assert boxes[name].contains(text.x0, text.y0) and boxes[name].contains(text.x1, text.y1)
    assert len(drawn.arrows) == len(graph.edges)
    for (src, dst), arrow in zip(graph.edges, drawn.arrows):
        assert drawn.layout.layers[src] < drawn.layout.layers[dst]
        path = drawn.ax.transData.transform_path(arrow.get_path())
        pts = np.vstack([seg(np.linspace(0, 1, 25)) for seg, _ in path.iter_bezier()])
        assert pts[-1, 0] > pts[0, 0]
        for t in texts.values():
            inside = (pts[:, 0] > t.x0 + 1) & (pts[:, 0] < t.x1 - 1)
            inside &= (pts[:, 1] > t.y0 + 1) & (pts[:, 1] < t.y1 - 1)
            assert not inside.any(), f"arrow {src}->{dst} crosses a label"


@pytest.mark.parametrize(
    ("make", "annotate"),
    [(book_graph, "value"), (torch_two_layer, "grad"), (used_twice, "value")],
)
def test_drawing_reads_at_a_glance(make, annotate: str) -> None:
    graph = make(np.random.default_rng(0)) if make is book_graph else make()
    fig, drawn = new_graph_figure(graph, annotate=annotate, title="graph")
    assert_readable(drawn, graph)
    assert drawn.fontsize == FONTSIZE


def test_small_axes_shrink_the_font_but_keep_it_readable() -> None:
    graph = torch_two_layer()
    fig = Figure(figsize=(6, 2.5))
    FigureCanvasAgg(fig)
    drawn = draw_graph(graph, fig.add_subplot(), annotate="grad")
    assert drawn.fontsize < FONTSIZE
    assert_readable(drawn, graph)


def test_axes_of_a_sub_figure_is_a_one_line_error() -> None:
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.subfigures(1, 2)[0].add_subplot()
    if ax.get_figure() is fig:  # matplotlib < 3.10 hands back the root figure: it draws
        pytest.skip("this matplotlib gives a sub-figure's Axes its root figure")
    with pytest.raises(ValueError, match=r"^ax: expected an Axes of a matplotlib Figure"):
        draw_graph(book_graph(), ax)


def test_side_by_side_links_corresponding_nodes() -> None:
    hand, tg = book_graph(np.random.default_rng(0)), torch_two_layer()
    mapping = torch_correspondence(tg, hand.nodes)
    assert set(mapping) == {"W1", "W2", "z", "h", "o", "L", "s", "J"}  # x, y need no grad
    fig, top, bottom = draw_side_by_side(hand, tg, mapping, annotate="grad")
    links = [a for a in fig.artists if isinstance(a, ConnectionPatch)]
    assert len(links) == len(mapping) and len(fig.axes) == 2
    assert_readable(top, hand)
    assert_readable(bottom, tg)
    with pytest.raises(ValueError, match="correspondence"):
        draw_side_by_side(hand, tg, {"z": "NoSuchBackward0"})


def test_side_by_side_is_beside_and_the_objectives_level() -> None:
    hand, tg = book_graph(np.random.default_rng(0)), torch_two_layer()
    fig, left, right = draw_side_by_side(hand, tg, torch_correspondence(tg, hand.nodes),
                                         annotate="grad")
    a, b = left.ax.get_position(), right.ax.get_position()
    assert a.x1 < b.x0 and abs(a.y1 - b.y1) < 1e-9  # beside, hanging from one line
    for drawn, graph in ((left, hand), (right, tg)):  # bottom to top: the objective on top
        ys = {n: y for n, (_, y) in drawn.layout.centers.items()}
        assert all(ys[src] < ys[dst] for src, dst in graph.edges)


def test_gradient_arrows_point_the_way_gradients_flow() -> None:
    graph = book_graph(np.random.default_rng(0))
    graph.nodes["x"].grad = None  # as recorded: the data x gets no gradient
    for annotate, head in (("value", "-|>"), ("grad", "<|-")):
        _, drawn = new_graph_figure(graph, annotate=annotate)
        styles = {(src, dst): type(arrow.get_arrowstyle()).__name__
                  for (src, dst), arrow in zip(graph.edges, drawn.arrows)}
        want = {"-|>": "CurveFilledB", "<|-": "CurveFilledA"}[head]
        assert styles[("h", "o")] == want
        # data gets no gradient: no arrowhead into x or y in the backward drawing
        assert styles[("x", "z")] == (want if annotate == "value" else "Curve")


def test_status_colours_and_labels() -> None:
    hand = book_graph(np.random.default_rng(0))
    user = {n: node.grad.copy() for n, node in hand.nodes.items()}
    user["h"] = -user["h"]
    mark_agreement(hand, user, lambda _n, a, e: bool(np.array_equal(a, e)))
    fig, drawn = new_graph_figure(hand, annotate="grad")
    fill = {n: b.get_facecolor() for n, b in drawn.boxes.items()}
    assert fill["h"] != fill["z"] and fill["z"] == fill["J"]  # divergence vs agreement
    assert "FIRST DIVERGENCE" in drawn.texts["h"].get_text()
    norm = float(np.sqrt((hand.nodes["o"].grad ** 2).sum()))
    assert f"{norm:.3g}" in node_label(hand.nodes["o"], "grad")
    assert_readable(drawn, hand)


def test_save_figure_writes_png_and_svg(tmp_path) -> None:
    fig, _ = new_graph_figure(used_twice(), title="x*x + x")
    png, svg = plotstyle.save(fig, tmp_path / "out", "twice")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()
    with pytest.raises(ValueError, match="stem"):
        plotstyle.save(fig, tmp_path, "a/b")
    with pytest.raises(ValueError, match="annotate"):
        new_graph_figure(used_twice(), annotate="values")


def test_dot_export_lists_every_node_and_edge() -> None:
    graph = used_twice()
    graph.nodes["x"].extra["tensor"] = 'odd "name"\\'  # quoting must survive
    dot = to_dot(graph, annotate="grad")
    assert dot.startswith("digraph ") and dot.rstrip().endswith("}")
    string = r'"((?:[^"\\]|\\.)*)"'
    nodes = re.findall(rf"^\s*{string} \[label={string}", dot, flags=re.M)
    edges = re.findall(rf"^\s*{string} -> {string};$", dot, flags=re.M)
    assert [n for n, _ in nodes] == list(graph.nodes)
    assert edges == list(graph.edges)
    label = dict(nodes)["x"].replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
    assert label == node_label(graph.nodes["x"], "grad")
    with pytest.raises(ValueError, match="annotate"):
        to_dot(graph, annotate="gradient")


def test_an_exact_zero_gradient_never_prints_as_minus_zero() -> None:
    assert preview(np.array([-0.0, -0.12, 0.5])) == "[0, -0.12, 0.5]"
    assert preview(np.array(-0.0)) == "0"
