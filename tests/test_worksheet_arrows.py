"""The worksheet's arrows, measured on the drawn figure: the heads into one node (L and s into
J) meet it at points apart, each arrow runs from its input's box to its node's box (pointing
forward), crosses no other box and stays inside the graph's axes."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath

from comparisons.graph.worksheet import page, sheet
from handmade.network import TWO_LAYER

PAD = 0.02  # the boxes' round padding (data units): their outline lies that far out
NEAR = 0.06  # how far (data units) an arrow's end may sit from the box it touches


def _graph(bias: bool) -> tuple[Figure, Axes]:
    fig = page(sheet(bias=bias), key=False)
    return fig, fig.axes[0]


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 of the drawn outline


def _boxes(ax: Axes) -> dict[str, Box]:
    """Each node's drawn box (its rounded outline included), named by the bold label in it."""
    names = set(TWO_LAYER.configured(bias=True).names)
    labels = [(t.get_text(), t.get_position()) for t in ax.texts
              if t.get_text() in names and t.get_fontweight() == "bold"]
    out = {}
    for patch in ax.patches:
        if isinstance(patch, FancyBboxPatch):
            x0, y0 = patch.get_x() - PAD, patch.get_y() - PAD
            x1, y1 = x0 + patch.get_width() + 2 * PAD, y0 + patch.get_height() + 2 * PAD
            (name,) = [n for n, (x, y) in labels if x0 < x < x1 and y0 < y < y1]
            out[name] = (x0, y0, x1, y1)
    return out


def _arrows(ax: Axes) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(line start, line end, head polygon) of every arrow, in data coordinates."""
    found = []
    for patch in ax.patches:
        if not isinstance(patch, FancyArrowPatch):
            continue
        path = patch.get_path()
        vertices, codes = np.asarray(path.vertices, dtype=float), np.asarray(path.codes)
        starts = np.flatnonzero(codes == MplPath.MOVETO)
        assert len(starts) == 2  # the line, then the head
        line, head = vertices[:starts[1]], vertices[starts[1]:]
        head = head[codes[starts[1]:] != MplPath.CLOSEPOLY]
        found.append((line[0], line[-1], head))
    return found


def _inside(point: np.ndarray, box: Box, margin: float) -> bool:
    x0, y0, x1, y1 = box
    return x0 - margin <= point[0] <= x1 + margin and y0 - margin <= point[1] <= y1 + margin


def _ends(ax: Axes) -> list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]]:
    """Each arrow with the box its tail leaves and the box its head touches."""
    boxes = _boxes(ax)
    out = []
    for tail, tip, head in _arrows(ax):
        a = [n for n, box in boxes.items() if _inside(tail, box, NEAR)]
        b = [n for n, box in boxes.items() if _inside(tip, box, NEAR)]
        assert len(a) == 1 and len(b) == 1, (tail, tip, a, b)
        out.append((a[0], b[0], tail, tip, head))
    return out


@pytest.mark.parametrize("bias", [False, True])
def test_every_edge_is_one_arrow_from_its_input_to_its_node(bias: bool) -> None:
    fig, ax = _graph(bias)
    net = TWO_LAYER.configured(bias=bias)
    edges = sorted((i, n.name) for n in net.nodes for i in n.inputs)
    ends = _ends(ax)
    assert sorted((a, b) for a, b, *_ in ends) == edges
    boxes = _boxes(ax)
    assert set(boxes) == set(net.names)
    for a, b, tail, tip, _head in ends:
        assert tail[0] >= boxes[a][2] - NEAR  # leaves the input's right side
        assert tip[0] <= boxes[b][0] + NEAR  # enters the node's left side
        assert tip[0] > tail[0]  # forward: left to right, the head at the node


@pytest.mark.parametrize("bias", [False, True])
def test_heads_into_one_node_meet_it_apart(bias: bool) -> None:
    fig, ax = _graph(bias)
    heads: dict[str, list[tuple[str, np.ndarray]]] = {}
    for a, b, _tail, _tip, head in _ends(ax):
        heads.setdefault(b, []).append((a, ax.transData.transform(head)))  # display pixels
    into_j = dict(heads["J"])
    assert set(into_j) == {"L", "s"}
    gap = np.linalg.norm(into_j["L"][1] - into_j["s"][1])  # the tips: vertex 1 of each head
    size = np.ptp(into_j["L"], axis=0).max()
    assert gap > 2 * size, f"the heads of L->J and s->J meet {gap:.1f} px apart"
    for node, drawn in heads.items():
        for k, (a1, h1) in enumerate(drawn):
            for a2, h2 in drawn[k + 1:]:
                lo1, hi1 = h1.min(axis=0), h1.max(axis=0)
                lo2, hi2 = h2.min(axis=0), h2.max(axis=0)
                overlap = np.all(lo1 <= hi2) and np.all(lo2 <= hi1)
                assert not overlap, f"the heads of {a1}->{node} and {a2}->{node} overlap"


@pytest.mark.parametrize("bias", [False, True])
def test_no_arrow_crosses_another_box_or_leaves_the_axes(bias: bool) -> None:
    fig, ax = _graph(bias)
    boxes = _boxes(ax)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for a, b, tail, tip, head in _ends(ax):
        for t in np.linspace(0.0, 1.0, 201):
            point = (1 - t) * tail + t * tip
            for name, box in boxes.items():
                if name not in (a, b):
                    assert not _inside(point, box, 0.0), f"{a}->{b} crosses the box of {name}"
        for point in (tail, tip, *head):
            assert x0 < point[0] < x1 and y0 < point[1] < y1
