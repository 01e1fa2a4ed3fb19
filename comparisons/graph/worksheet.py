"""The instructor's worksheet: the two-layer network's graph to print, gradients left blank.

``backprop-lab graph --worksheet [--bias] [--activation A] --out DIR`` writes
``worksheet.pdf`` (two pages: the worksheet, then the answer key) and each page as SVG
(``worksheet.svg``, ``worksheet_key.svg``). Both pages draw the forward graph of
:data:`handmade.network.TWO_LAYER` (configured with the bias or not) from the data, never
retyped: one box per node with its forward formula and its shape in symbols (N examples, d
inputs, h hidden units, q outputs), arrows in the direction values flow (the arrows into one
box meet it at distinct heights, those from higher rows higher up: L and s enter J apart, and
s -> J passes above L). Under it, one row per gradient in the order a backward pass computes
them, with the nodes its paths come from (dJ/dW2 collects the paths through o and s); on the
worksheet the formula and shape cells are empty boxes to write in, on the key they hold the
book's equation and the node's shape. With another activation φ, h = φ(z) and the key's
dJ/dz = dh ⊙ φ′(z) names φ′. Matplotlib only, in :mod:`comparisons.core.plotstyle`'s look:
its node fills (those of the graph drawings), its font sizes (relative, drawn inside
``plotstyle.style()``); saved with ``plotstyle.save`` and ``plotpages.save_pdf``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from comparisons.core import plotpages, plotstyle
from comparisons.graph.record import KINDS
from handmade.network import TWO_LAYER, Network

DERIVATIVES = {
    "relu": ("relu", "relu′(z) = 1 where z > 0, else 0"),
    "sigmoid": ("σ", "σ′(z) = σ(z) (1 − σ(z))"),
    "tanh": ("tanh", "tanh′(z) = 1 − tanh²(z)"),
    "leaky_relu": ("leaky_relu", "leaky_relu′(z) = 1 where z > 0, else a (a = 0.01)"),
}
"""Activation -> (its symbol in the formulas, its derivative): the answer key's φ′."""
PAGE = (11.69, 8.27)  # A4 landscape, inches
BOX_W, BOX_H = 0.84, 0.62
"""Width and height of a node's box in the graph's data units (one column, one row apart)."""
Point = tuple[float, float]


@dataclass(frozen=True)
class Sheet:
    """What both pages show: the configured network, its formulas and the gradient rows."""

    net: Network
    activation: str
    formulas: dict[str, str]
    rows: list[tuple[str, str, str, str]]  # (gradient, paths from, equation, shape)


def sheet(*, activation: str = "relu", bias: bool = False) -> Sheet:
    """The worksheet's content for the network with ``activation`` and the bias or not."""
    if activation not in DERIVATIVES:
        raise ValueError(f"activation: expected one of {tuple(DERIVATIVES)}, got {activation!r}")
    net = TWO_LAYER.configured(bias=bias)
    symbol = DERIVATIVES[activation][0]
    formulas = {n.name: (n.formula or "").split(" over ")[0].replace("relu", symbol)
                for n in net.nodes}
    if bias:
        formulas["z"] = formulas["z"] + " + b1"
    rows = []
    for name in net.gradient_nodes.values():
        node = net[name]
        paths = ", ".join(net.consumers(name))
        equation = (node.equation or "").replace("relu", symbol)
        rows.append((f"dJ/d{name}", paths, equation, node.shape))
    return Sheet(net, activation, formulas, rows)


def _columns(net: Network) -> dict[str, int]:
    """A computed node one column right of its latest input; a leaf one column left of its
    first consumer in forward order (W2 beside o, not beside the penalty s)."""
    col: dict[str, int] = {n.name: 0 for n in net.nodes}
    for _ in range(2):  # leaves move once the computed columns are known, then those follow
        for n in net.nodes:
            if n.inputs:
                col[n.name] = max(col[i] for i in n.inputs) + 1
        for n in net.nodes:
            if not n.inputs:
                col[n.name] = max(0, col[net.consumers(n.name)[0]] - 1)
    return col


def _chain(net: Network, col: dict[str, int]) -> list[str]:
    """From the objective back along the latest non-parameter input: x, z, h, o, L, J."""
    chain, name = [], net.of_kind("objective")[0]
    while True:
        chain.append(name)
        ins = [i for i in net[name].inputs if net[i].kind != "parameter"]
        if not ins:
            return chain
        name = max(ins, key=lambda i: col[i])


def positions(net: Network) -> dict[str, tuple[int, int]]:
    """(column, row) of each node: the chain from x to J on row 0, parameters above it, what
    is computed from parameters alone (the penalty s) above them, other data (y) below; a
    taken place moves one row further out."""
    col = _columns(net)
    chain = _chain(net, col)
    taken: set[tuple[int, int]] = set()
    pos: dict[str, tuple[int, int]] = {}
    for n in net.nodes:
        if n.name in chain:
            pos[n.name] = (col[n.name], 0)
            continue
        if n.kind == "parameter":
            r = 1
        elif n.inputs and all(net[i].kind == "parameter" for i in n.inputs):
            r = 2
        else:
            r = -1
        while (col[n.name], r) in taken:
            r += 1 if r > 0 else -1
        taken.add((col[n.name], r))
        pos[n.name] = (col[n.name], r)
    return pos


def _ports(slopes: dict[str, float]) -> dict[str, float]:
    """Heights above a box's middle at which the edges of one of its sides (left: the arrows in,
    right: the arrows out) meet it, each edge's slope seen from the box (rows per column, > 0:
    the other end is higher). A level edge meets the middle; those from higher up meet the
    upper half, the steepest at the top (0.4 of the box's height up), those from lower down the
    lower half, the steepest at the bottom: no two meet at one point, and ordered by slope they
    do not cross where they meet the box."""
    up = sorted((k for k, m in slopes.items() if m > 0), key=lambda k: slopes[k])
    down = sorted((k for k, m in slopes.items() if m < 0), key=lambda k: -slopes[k])
    level = [k for k, m in slopes.items() if m == 0]
    ports = {k: 0.4 * BOX_H * (j + 1) / len(up) for j, k in enumerate(up)}
    ports.update({k: -0.4 * BOX_H * (j + 1) / len(down) for j, k in enumerate(down)})
    ports.update({k: 0.15 * BOX_H * (j - (len(level) - 1) / 2) for j, k in enumerate(level)})
    return ports


def arrows(net: Network) -> list[tuple[str, str, Point, Point]]:
    """One arrow per input of each node, (input, node, tail, head) in the data coordinates of
    the graph's axes (a node's (column, row) of :func:`positions` is its box's centre): from
    the right side of the input's box to the left side of the node's, at the heights
    :func:`_ports` gives, so two arrows into one node (L and s into J) meet it apart."""
    pos = positions(net)
    edges = [(i, n.name) for n in net.nodes for i in n.inputs]

    def slope(box: str, other: str) -> float:  # rows up towards the other end per column
        return (pos[other][1] - pos[box][1]) / abs(pos[other][0] - pos[box][0])

    tails = {name: _ports({b: slope(a, b) for a, b in edges if a == name}) for name in pos}
    heads = {name: _ports({a: slope(b, a) for a, b in edges if b == name}) for name in pos}
    return [(a, b, (pos[a][0] + BOX_W / 2, pos[a][1] + tails[a][b]),
             (pos[b][0] - BOX_W / 2, pos[b][1] + heads[b][a])) for a, b in edges]


def _draw_graph(ax: Axes, s: Sheet) -> None:
    pos = positions(s.net)
    ncol = max(c for c, _ in pos.values()) + 1
    rmin, rmax = min(r for _, r in pos.values()), max(r for _, r in pos.values())
    ax.set_xlim(-0.6, ncol - 0.4)
    ax.set_ylim(rmin - 0.6, rmax + 0.6)
    ax.axis("off")
    w, h = BOX_W, BOX_H
    for _a, _b, tail, head in arrows(s.net):
        ax.add_patch(FancyArrowPatch(tail, head, arrowstyle="-|>", mutation_scale=12,
                                     color=plotstyle.ARROW, lw=1.0, shrinkA=2, shrinkB=2))
    for n in s.net.nodes:
        x, y = pos[n.name]
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                    fc=plotstyle.NODE_FILL[KINDS[n.kind]], ec=plotstyle.OUTLINE,
                                    boxstyle="round,pad=0.02"))
        shape = "scalar" if n.shape == "()" else n.shape.split(" float")[0]
        body = s.formulas[n.name] or n.kind
        ax.text(x, y + 0.16, n.name, ha="center", va="center", fontsize="medium",
                weight="bold")
        ax.text(x, y - 0.02, body, ha="center", va="center", fontsize="xx-small", wrap=True)
        ax.text(x, y - 0.2, shape, ha="center", va="center", fontsize="x-small",
                color=plotstyle.MUTED)


def _draw_table(ax: Axes, s: Sheet, key: bool) -> None:
    ax.axis("off")
    heads = ("gradient", "paths from", "formula", "shape")
    widths = (0.12, 0.12, 0.58, 0.18)
    lefts = [sum(widths[:i]) for i in range(4)]
    n = len(s.rows)
    height = 1.0 / (n + 1)
    for j, head in enumerate(heads):
        ax.text(lefts[j] + 0.01, 1 - height / 2, head, va="center", fontsize="small",
                weight="bold")
    for i, (grad, paths, equation, shape) in enumerate(s.rows):
        top = 1 - height * (i + 1)
        cells = (grad, paths, equation.split(" = ", 1)[-1] if key else "",
                 shape if key else "")
        for j, text in enumerate(cells):
            box = FancyBboxPatch((lefts[j] + 0.004, top - height + 0.01), widths[j] - 0.008,
                                 height - 0.02, boxstyle="square,pad=0", fc="white",
                                 ec=plotstyle.OUTLINE if j >= 2 else "none", lw=0.8)
            ax.add_patch(box)
            colour = plotstyle.ANSWER if key and j >= 2 else "black"
            ax.text(lefts[j] + 0.012, top - height / 2, text, va="center", fontsize="small",
                    color=colour)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)


def page(s: Sheet, *, key: bool) -> Figure:
    """One page: the graph above, the gradient table below (filled in on the key)."""
    with plotstyle.style():
        fig = Figure(figsize=PAGE)
        title = "Answer key" if key else "Worksheet"
        fig.suptitle(f"Backpropagation {title.lower()}: the two-layer network "
                     f"(φ = {s.activation}{', with bias b1' if 'b1' in s.net.names else ''})",
                     weight="bold", y=0.975)
        fig.text(0.5, 0.94, "J = L + s, L = mean((o − Y)²), s = lam/2 (‖W1‖² + ‖W2‖²). "
                 "Arrows: the forward pass.\nFor each gradient write its formula and its shape "
                 "(dJ/dJ = 1; do, dh, dz short for dJ/do, dJ/dh, dJ/dz).", ha="center",
                 va="top", fontsize="small")
        _draw_graph(fig.add_axes((0.03, 0.5, 0.94, 0.4)), s)
        _draw_table(fig.add_axes((0.05, 0.1, 0.9, 0.38)), s, key)
        foot = DERIVATIVES[s.activation][1] if key else "Name: ____________________"
        fig.text(0.05, 0.05, foot, fontsize="small")
        fig.text(0.95, 0.05, f"backprop-lab · page {2 if key else 1} of 2", ha="right",
                 fontsize="x-small", color=plotstyle.MUTED)
    return fig


def write_worksheet(out: str | Path, *, activation: str = "relu", bias: bool = False
                    ) -> list[Path]:
    """Write ``worksheet.pdf`` (worksheet, answer key) and both pages as SVG under ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    s = sheet(activation=activation, bias=bias)
    pages = [page(s, key=False), page(s, key=True)]
    pdf = plotpages.save_pdf(pages, folder / "worksheet.pdf")
    svgs = [plotstyle.save(fig, folder, stem, formats=("svg",))[0]
            for fig, stem in zip(pages, ("worksheet", "worksheet_key"))]
    return [pdf, *svgs]
