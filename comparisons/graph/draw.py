"""Draw computational graphs with matplotlib only (Agg canvas; no Graphviz, no pyplot state).

Nodes are rounded boxes sized to their label (name and op, shape, then the value or the
gradient as a Frobenius norm and a 3-number preview), laid out left to right in the data's
direction by :mod:`comparisons.graph.layout` (bottom to top for the side-by-side figure);
edges run between boxes and point the way what is drawn flows: values from input to consumer,
gradients (``annotate="grad"``) from consumer back to input, as backpropagation sends them.
Fill colours show the node kind, or the gradient check when a status is set (the colours of
:mod:`comparisons.core.plotstyle`, which also saves the figures: ``plotstyle.save``). Drawing
works in inches (one data unit = one inch), so text and boxes keep their sizes.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionPatch, FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path as MplPath

from comparisons.core import plotstyle
from comparisons.graph.drawn import DrawnGraph, figure_of
from comparisons.graph.labels import check_annotate, measure_boxes, node_label
from comparisons.graph.layout import Layout, Point, layout_graph
from comparisons.graph.links import link_anchors
from comparisons.graph.model import Graph, GraphNode

FONTSIZE = 9.0
MARGIN = 0.15  # inches around the drawing inside the axes
LEGEND = {
    "input": "input", "param": "parameter / leaf", "op": "operation", "loss": "objective",
    "ok": "gradient agrees", "wrong": "gradient wrong", "first_divergence": "first divergence",
}


def _legend_height(fontsize: float) -> float:
    """Inches reserved under the drawing for the one-row legend."""
    return 2.8 * fontsize / 72


def graph_extent(
    graph: Graph, *, annotate: str = "value", fontsize: float = FONTSIZE, dpi: float = 100.0,
    legend: bool = True, vertical: bool = False,
) -> Point:
    """Return the axes size ``(width, height)`` in inches that fits the drawing at ``fontsize``."""
    labels = {n: node_label(node, annotate) for n, node in graph.nodes.items()}
    lay = layout_graph(graph, measure_boxes(labels, fontsize, dpi), vertical=vertical)
    legend_h = _legend_height(fontsize) if legend else 0.0
    return lay.width + 2 * MARGIN, lay.height + 2 * MARGIN + legend_h


def _route_path(route: list[Point], vertical: bool = False) -> MplPath:
    """Turn a layout route into a path: straight runs in columns, S-curves between them (with
    horizontal tangents; vertical ones for a bottom-to-top layout)."""
    axis = 1 if vertical else 0
    verts: list[Point] = [route[0]]
    codes = [MplPath.MOVETO]
    for i, (a, b) in enumerate(zip(route, route[1:])):
        if i % 2 == 0:
            if abs(b[axis] - a[axis]) > 1e-9:
                verts.append(b)
                codes.append(MplPath.LINETO)
            continue
        mid = (a[axis] + b[axis]) / 2
        verts += [(a[0], mid), (b[0], mid), b] if vertical else [(mid, a[1]), (mid, b[1]), b]
        codes += [MplPath.CURVE4] * 3
    return MplPath(verts, codes)


def _fit(
    graph: Graph, ax: Axes, annotate: str, fontsize: float, legend: bool, vertical: bool
) -> tuple[Layout, float]:
    """Lay out at ``fontsize``, shrinking the font until the drawing fits in ``ax``."""
    fig = figure_of(ax)
    pos = ax.get_position()
    avail = (pos.width * fig.get_figwidth(), pos.height * fig.get_figheight())
    labels = {n: node_label(node, annotate) for n, node in graph.nodes.items()}
    for _ in range(4):
        lay = layout_graph(graph, measure_boxes(labels, fontsize, fig.dpi), vertical=vertical)
        legend_h = _legend_height(fontsize) if legend else 0.0
        need = (lay.width + 2 * MARGIN, lay.height + 2 * MARGIN + legend_h)
        scale = min(1.0, avail[0] / need[0], avail[1] / need[1])
        if scale > 0.995:
            break
        fontsize *= 0.97 * scale
    return lay, fontsize


def draw_graph(
    graph: Graph,
    ax: Axes,
    *,
    annotate: str = "value",
    title: str | None = None,
    fontsize: float = FONTSIZE,
    legend: bool | Sequence[Graph] = True,
    vertical: bool = False,
) -> DrawnGraph:
    """Draw ``graph`` on ``ax`` (left to right; ``vertical``: bottom to top), annotated with
    values (arrows input -> consumer) or gradients (arrows consumer -> input).

    ``ax`` should come from a figure sized with :func:`graph_extent`; if it is smaller, the
    font shrinks so that nothing overlaps. ``legend``: False for none, True for this graph's
    kinds and statuses, or a sequence of graphs whose entries to list. Returns the artists.
    """
    check_annotate(annotate)
    lay, fontsize = _fit(graph, ax, annotate, fontsize, legend is not False, vertical)
    fig = figure_of(ax)
    pos = ax.get_position()
    half_w, half_h = pos.width * fig.get_figwidth() / 2, pos.height * fig.get_figheight() / 2
    legend_h = _legend_height(fontsize) if legend is not False else 0.0
    mid_y = (lay.height - legend_h) / 2
    ax.set_xlim(lay.width / 2 - half_w, lay.width / 2 + half_w)
    ax.set_ylim(mid_y - half_h, mid_y + half_h)
    ax.set_axis_off()
    drawn = DrawnGraph(ax, lay, {}, {}, [], fontsize)
    for node in graph.nodes.values():
        _draw_node(drawn, node, annotate)
    for (src, _), route in zip(graph.edges, lay.routes):
        head, colour, line = _edge_style(graph.nodes[src], annotate)
        arrow = FancyArrowPatch(
            path=_route_path(route, lay.vertical), arrowstyle=head, color=colour,
            linestyle=line, linewidth=1.0, mutation_scale=fontsize * 1.1, zorder=1)
        ax.add_patch(arrow)
        drawn.arrows.append(arrow)
    if title:
        ax.set_title(title, fontsize=fontsize + 2, bbox={"facecolor": "white", "edgecolor": "none"})
    if legend is not False:
        _add_legend([graph] if legend is True else list(legend), ax, lay, fontsize)
    return drawn


def _edge_style(src: GraphNode, annotate: str) -> tuple[str, str, str]:
    """An edge's (arrow style, colour, line style): input -> consumer for values; for gradients
    consumer -> input (the way backpropagation sends them), and a dotted line without a head
    into an input that gets no gradient (the data x, y)."""
    if annotate != "grad":
        return "-|>", plotstyle.ARROW, "-"
    if src.kind == "input" and src.grad is None:
        return "-", plotstyle.ARROW_FAINT, ":"
    return "<|-", plotstyle.ARROW, "-"


def _draw_node(drawn: DrawnGraph, node: GraphNode, annotate: str) -> None:
    """Add one node's rounded box and centred label to ``drawn``."""
    (cx, cy), (w, h) = drawn.layout.centers[node.name], drawn.layout.sizes[node.name]
    fill = plotstyle.STATUS_FILL[node.status] if node.status else plotstyle.NODE_FILL[node.kind]
    diverged = node.status == "first_divergence"
    box = FancyBboxPatch(
        (cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.06",
        facecolor=fill, edgecolor=plotstyle.OUTLINE_DIVERGED if diverged else plotstyle.OUTLINE,
        linewidth=2.5 if diverged else 0.9, zorder=2,
    )
    drawn.ax.add_patch(box)
    drawn.boxes[node.name] = box
    drawn.texts[node.name] = drawn.ax.text(
        cx, cy, node_label(node, annotate), ha="center", va="center", zorder=3,
        fontsize=drawn.fontsize, color="white" if diverged else "black",
    )


def _legend_handles(graphs: Sequence[Graph]) -> list[Patch]:
    """One patch per node kind (uncoloured nodes) and per status present in ``graphs``."""
    nodes = [n for g in graphs for n in g.nodes.values()]
    fills = {**plotstyle.NODE_FILL, **plotstyle.STATUS_FILL}
    keys = [k for k in plotstyle.NODE_FILL
            if any(n.kind == k and n.status is None for n in nodes)]
    keys += [s for s in plotstyle.STATUS_FILL if any(n.status == s for n in nodes)]
    return [Patch(facecolor=fills[k], edgecolor=plotstyle.OUTLINE, label=LEGEND[k])
            for k in keys]


LEGEND_STYLE = {"frameon": False, "handlelength": 1.2, "columnspacing": 1.2}
"""The one-row legend's look, under a drawing or under the side-by-side figure."""


def _add_legend(graphs: list[Graph], ax: Axes, lay: Layout, fontsize: float) -> None:
    """Add a one-row legend of the kinds and statuses present, just below the drawing."""
    handles = _legend_handles(graphs)
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(lay.width / 2, -MARGIN / 2),
        bbox_transform=ax.transData, ncol=len(handles), fontsize=fontsize, **LEGEND_STYLE,
    )


def new_graph_figure(
    graph: Graph, *, annotate: str = "value", title: str | None = None,
    fontsize: float = FONTSIZE, dpi: float = 100.0,
) -> tuple[Figure, DrawnGraph]:
    """Return a new Agg-backed figure sized to fit ``graph`` and the drawing on it (drawn in
    ``plotstyle.style()``)."""
    width, height = graph_extent(graph, annotate=annotate, fontsize=fontsize, dpi=dpi)
    top = 0.45 if title else 0.1
    with plotstyle.style():
        fig = Figure(figsize=(width, height + top), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.0, 0.0, 1.0, height / (height + top)))
        return fig, draw_graph(graph, ax, annotate=annotate, title=title, fontsize=fontsize)


def draw_side_by_side(
    hand_graph: Graph, torch_graph: Graph, correspondence: dict[str, str], *,
    annotate: str = "value", titles: tuple[str, str] = ("hand-written", "torch.autograd"),
    fontsize: float = FONTSIZE, dpi: float = 100.0,
) -> tuple[Figure, DrawnGraph, DrawnGraph]:
    """Draw the hand-written graph beside the torch graph, each bottom to top (the objective on
    top), dashed lines joining ``hand -> torch`` corresponding nodes (``correspondence`` maps
    hand node names to torch node names) across the gap between them.

    A line runs beneath the boxes, from the right edge of the hand-written node to the left
    edge of the torch node, between the points that keep it clear of other boxes where
    possible (:mod:`comparisons.graph.links`); a dot of its colour on both edges anchors it.
    The legend of both graphs' kinds and statuses runs centred under the whole figure."""
    for hand, other in correspondence.items():
        if hand not in hand_graph.nodes or other not in torch_graph.nodes:
            raise ValueError(
                f"correspondence: expected hand -> torch node names, got {hand!r} -> {other!r}"
            )
    sizes = [
        graph_extent(g, annotate=annotate, fontsize=fontsize, dpi=dpi, legend=False,
                     vertical=True)
        for g in (hand_graph, torch_graph)
    ]
    title_h, gap, legend_h = 0.45, 1.2, _legend_height(fontsize)
    width = sizes[0][0] + gap + sizes[1][0]
    top = max(h for _, h in sizes)  # both drawings hang from one line: the objectives level
    height = legend_h + top + title_h
    with plotstyle.style():
        fig = Figure(figsize=(width, height), dpi=dpi)
        FigureCanvasAgg(fig)
        axes = [fig.add_axes((left / width, (legend_h + top - h) / height, w / width, h / height))
                for left, (w, h) in ((0.0, sizes[0]), (sizes[0][0] + gap, sizes[1]))]
        left, right = (
            draw_graph(g, ax, annotate=annotate, title=t, fontsize=fontsize, legend=False,
                       vertical=True)
            for g, ax, t in zip((hand_graph, torch_graph), axes, titles))
        handles = _legend_handles([hand_graph, torch_graph])
        fig.legend(handles=handles, loc="center", bbox_to_anchor=(0.5, legend_h / 2 / height),
                   ncol=len(handles), fontsize=fontsize, **LEGEND_STYLE)
        colours = [f"C{i % 10}" for i in range(len(correspondence))]
        for colour, (hand, other) in zip(colours, correspondence.items()):
            start, end = link_anchors(left, hand, right, other)
            link = ConnectionPatch(
                start, end, coordsA=axes[0].transData, coordsB=axes[1].transData,
                linestyle=(0, (4, 3)), color=colour, linewidth=1.1, alpha=0.8, zorder=-1,
            )
            fig.add_artist(link)
            for ax, xy in zip(axes, (start, end)):  # anchor dots
                ax.plot(*xy, marker="o", markersize=fontsize * 0.55, color=colour, zorder=4)
    return fig, left, right

