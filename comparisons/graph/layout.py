"""Layered left-to-right layout for a :class:`Graph`: pure geometry, no matplotlib.

Units are whatever the box sizes are given in (the drawing code uses inches); y grows upward.
Steps (a small Sugiyama layout): layers by longest path to the output, so every node sits just
before its first consumer; an edge spanning several layers gets a "lane" (a dummy slot) in each
layer it crosses; barycentre sweeps order each layer to reduce crossings; vertical positions
follow the neighbours while keeping, inside a layer, gaps of at least ``row_gap`` between
boxes. An edge leaves its source's right side and enters its destination's left side; between
columns it is a curve, inside a column a horizontal run through the gap its lane reserves, so
it never crosses a box. ``vertical=True`` lays the same graph out bottom to top (the first layer
at the bottom, the output on top): the left-to-right layout of the boxes turned a quarter,
so an edge leaves its source's top and enters its destination's bottom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from comparisons.graph.model import Graph

Point = tuple[float, float]
Item = str | tuple[int, int]  # a node name, or (edge index, layer) for an edge's lane


@dataclass(frozen=True)
class Layout:
    """Box centres and sizes by node, layer by node, one route per edge (as ``graph.edges``).

    A route is a list of points ``P0 .. Pn`` (n odd) from the source's right side to the
    destination's left side: segment ``i`` is straight for even ``i`` (inside a column) and an
    S-curve (a cubic with horizontal tangents) for odd ``i`` (between columns). ``vertical``:
    laid out bottom to top, so read "top" for right and "vertical tangents" for horizontal.
    """

    centers: dict[str, Point]
    sizes: dict[str, Point]
    layers: dict[str, int]
    routes: list[list[Point]]
    width: float
    height: float
    vertical: bool = False


def _turned(lay: Layout, sizes: dict[str, Point]) -> Layout:
    """A layout made with every box's width and height swapped, turned a quarter: (x, y) ->
    (y, x), the real box sizes back in place."""
    def flip(p: Point) -> Point:
        return p[1], p[0]

    return Layout({n: flip(c) for n, c in lay.centers.items()}, dict(sizes), lay.layers,
                  [[flip(p) for p in r] for r in lay.routes], lay.height, lay.width, True)


def assign_layers(graph: Graph) -> dict[str, int]:
    """Return each node's layer, as late as possible: ``depth - longest path to a sink``.

    The main chain keeps consecutive layers and every other node sits just before its
    first consumer (so ``W2`` is drawn next to ``o`` and the penalty ``s`` next to ``J``).
    """
    height: dict[str, int] = {}
    for name in reversed(graph.topological_order()):
        height[name] = 1 + max((height[s] for s in graph.successors(name)), default=-1)
    depth = max(height.values(), default=0)
    return {name: depth - height[name] for name in graph.nodes}


def _chains(graph: Graph, layer: dict[str, int]) -> list[list[Item]]:
    """Return, per edge, the items it passes: source, one lane per crossed layer, destination."""
    chains: list[list[Item]] = []
    for k, (src, dst) in enumerate(graph.edges):
        lanes: list[Item] = [(k, lay) for lay in range(layer[src] + 1, layer[dst])]
        chains.append([src, *lanes, dst])
    return chains


def _order(graph: Graph, layer: dict[str, int], chains: list[list[Item]]) -> list[list[Item]]:
    """Order the items of each layer by barycentre sweeps (four down, four up)."""
    n_layers = 1 + max(layer.values(), default=0)
    rows: list[list[Item]] = [[] for _ in range(n_layers)]
    for name in graph.topological_order():
        rows[layer[name]].append(name)
    prev: dict[Item, list[Item]] = {}
    nxt: dict[Item, list[Item]] = {}
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            nxt.setdefault(a, []).append(b)
            prev.setdefault(b, []).append(a)
            if isinstance(b, tuple):
                rows[b[1]].append(b)
    for sweep in range(8):
        down = sweep % 2 == 0
        idx_range = range(1, n_layers) if down else range(n_layers - 2, -1, -1)
        for i in idx_range:
            ref = {item: j for j, item in enumerate(rows[i - 1 if down else i + 1])}
            links = prev if down else nxt

            def key(item: Item, pos: int, ref: dict[Item, int] = ref, links=links) -> float:
                near = [ref[n] for n in links.get(item, []) if n in ref]
                return sum(near) / len(near) if near else float(pos)

            keyed = [(key(item, pos), pos, item) for pos, item in enumerate(rows[i])]
            rows[i] = [item for _, _, item in sorted(keyed, key=lambda t: (t[0], t[1]))]
    return rows


def _isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """Weighted least-squares non-decreasing fit of ``targets`` (pool-adjacent-violators)."""
    pools: list[list[float]] = []  # [mean, weight, count]
    for t, w in zip(targets, weights):
        pools.append([t, w, 1])
        while len(pools) > 1 and pools[-2][0] > pools[-1][0]:
            m2, w2, c2 = pools.pop()
            m1, w1, c1 = pools.pop()
            pools.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return [m for m, _, c in pools for _ in range(int(c))]


def _place_row(row: list[Item], want: list[float], heights: list[float], gap: float) -> list[float]:
    """Return y centres (top to bottom, y decreasing) near ``want`` with no two items closer
    than half their heights plus ``gap``."""
    offsets = [0.0]
    for a, b in zip(heights, heights[1:]):
        offsets.append(offsets[-1] + (a + b) / 2 + gap)
    weights = [1.0 if isinstance(item, str) else 0.3 for item in row]
    fit = _isotonic([-w - o for w, o in zip(want, offsets)], weights)
    return [-(f + o) for f, o in zip(fit, offsets)]


def _vertical(
    rows: list[list[Item]], chains: list[list[Item]], height: dict[Item, float], gap: float
) -> dict[Item, float]:
    """Assign y centres: stack each layer, then alternate sweeps pulling items to neighbours."""
    ys: dict[Item, float] = {}
    for row in rows:
        ys.update(zip(row, _place_row(row, [0.0] * len(row), [height[i] for i in row], gap)))
    nbrs: dict[Item, list[Item]] = {}
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            nbrs.setdefault(a, []).append(b)
            nbrs.setdefault(b, []).append(a)
    for sweep in range(12):
        order = rows if sweep % 2 == 0 else rows[::-1]
        for row in order:
            want = [sum(ys[n] for n in nbrs[i]) / len(nbrs[i]) if i in nbrs else ys[i] for i in row]
            ys.update(zip(row, _place_row(row, want, [height[i] for i in row], gap)))
    return ys


def layout_graph(
    graph: Graph,
    sizes: dict[str, Point],
    *,
    col_gap: float = 0.55,
    row_gap: float = 0.2,
    lane: float = 0.08,
    vertical: bool = False,
) -> Layout:
    """Lay out ``graph`` left to right (``vertical``: bottom to top) given each node's box
    ``(width, height)``.

    Columns are as wide as their widest box plus ``col_gap`` between them; inside a column
    boxes and lanes are at least ``row_gap`` apart (bottom to top: rows as tall as their
    tallest box, ``col_gap`` apart, boxes ``row_gap`` apart inside a row). The result is shifted
    so that every box lies in ``[0, width] x [0, height]``.
    """
    missing = sorted(set(graph.nodes) - set(sizes))
    if missing:
        raise ValueError(f"sizes: expected a (width, height) for every node, missing {missing}")
    if vertical:
        swapped = {n: (h, w) for n, (w, h) in sizes.items()}
        return _turned(layout_graph(graph, swapped, col_gap=col_gap, row_gap=row_gap,
                                    lane=lane), sizes)
    layer = assign_layers(graph)
    chains = _chains(graph, layer)
    rows = _order(graph, layer, chains)
    height = {i: (sizes[i][1] if isinstance(i, str) else lane) for row in rows for i in row}
    ys = _vertical(rows, chains, height, row_gap)
    widths = [max((sizes[i][0] for i in row if isinstance(i, str)), default=lane) for row in rows]
    lefts = [sum(widths[:i]) + col_gap * i for i in range(len(rows))]
    top = max(ys[i] + height[i] / 2 for i in ys)
    bottom = min(ys[i] - height[i] / 2 for i in ys)
    centers = {
        n: (lefts[layer[n]] + widths[layer[n]] / 2, ys[n] - bottom) for n in graph.nodes
    }
    lane_y = {i: y - bottom for i, y in ys.items()}
    routes = _routes(graph, chains, layer, (centers, sizes, lane_y), (lefts, widths))
    return Layout(centers, dict(sizes), layer, routes, lefts[-1] + widths[-1], top - bottom)


def _ports(ys: list[float], order: list[int], height: float) -> dict[int, float]:
    """Spread the edges ``order`` (sorted by the far end's y, top first) along a box side."""
    k = len(order)
    step = min(0.08, 0.6 * height / max(k - 1, 1))
    ranked = sorted(order, key=lambda e: -ys[e])
    return {e: (k - 1) / 2 * step - j * step for j, e in enumerate(ranked)}


def _routes(
    graph: Graph,
    chains: list[list[Item]],
    layer: dict[str, int],
    boxes: tuple[dict[str, Point], dict[str, Point], dict[Item, float]],
    columns: tuple[list[float], list[float]],
) -> list[list[Point]]:
    """Build each edge's route through its lanes (see :class:`Layout`).

    ``boxes`` is (centres, sizes, lane and node y); ``columns`` is (left edges, widths).
    """
    centers, sizes, lane_y = boxes
    lefts, widths = columns
    first_y = [lane_y[c[1]] for c in chains]  # y of the next item after the source
    last_y = [lane_y[c[-2]] for c in chains]  # y of the item before the destination
    out_off: dict[int, float] = {}
    in_off: dict[int, float] = {}
    for name in graph.nodes:
        h = sizes[name][1]
        out_off.update(_ports(first_y, [k for k, e in enumerate(graph.edges) if e[0] == name], h))
        in_off.update(_ports(last_y, [k for k, e in enumerate(graph.edges) if e[1] == name], h))
    routes: list[list[Point]] = []
    for k, chain in enumerate(chains):
        src, dst = graph.edges[k]
        (sx, sy), (dx, dy) = centers[src], centers[dst]
        ls, ld = layer[src], layer[dst]
        pts: list[Point] = [(sx + sizes[src][0] / 2, sy + out_off[k])]
        pts.append((lefts[ls] + widths[ls], sy + out_off[k]))
        for lane_item in chain[1:-1]:
            _, lay = cast("tuple[int, int]", lane_item)  # inner items are lanes
            pts += [(lefts[lay], lane_y[lane_item]), (lefts[lay] + widths[lay], lane_y[lane_item])]
        pts += [(lefts[ld], dy + in_off[k]), (dx - sizes[dst][0] / 2, dy + in_off[k])]
        routes.append(pts)
    return routes
