"""Where a side-by-side correspondence line attaches to its two boxes.

A line joins the right edge of a hand-written node (drawn on the left) to the left edge of its
torch node (drawn on the right). Drawn from the edges' centres, it often passes behind an
unrelated box and then reads as a link to that box. :func:`link_anchors` tries a few points
along both edges and keeps the pair whose straight segment runs through the least box area
(centre preferred on ties), all measured in figure inches so that both axes share one frame.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from comparisons.graph.drawn import DrawnGraph, figure_of

Point = tuple[float, float]
FRACTIONS = (0.0, -0.45, 0.45, -0.85, 0.85)  # positions along an edge, in half-lengths


def _to_inches(drawn: DrawnGraph, points: list[Point]) -> NDArray[np.float64]:
    """Data points of ``drawn.ax`` in figure inches."""
    fig = figure_of(drawn.ax)
    trans = drawn.ax.transData + fig.dpi_scale_trans.inverted()
    return np.asarray(trans.transform(np.asarray(points, dtype=np.float64)))


def _edge(drawn: DrawnGraph, name: str, right: bool) -> list[Point]:
    """Candidate anchors on the right or left edge of ``name``'s box, in data coordinates."""
    (cx, cy), (w, h) = drawn.layout.centers[name], drawn.layout.sizes[name]
    x = cx + w / 2 if right else cx - w / 2
    return [(x, cy + f * h / 2) for f in FRACTIONS]


def _boxes(drawn: DrawnGraph, skip: str) -> NDArray[np.float64]:
    """Every box but ``skip`` as rows ``(x0, y0, x1, y1)`` in figure inches."""
    rows = []
    for name, (cx, cy) in drawn.layout.centers.items():
        w, h = drawn.layout.sizes[name]
        if name != skip:
            corners = _to_inches(drawn, [(cx - w / 2, cy - h / 2), (cx + w / 2, cy + h / 2)])
            rows.append(corners.ravel())
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)


def blocked(a: NDArray[np.float64], b: NDArray[np.float64], boxes: NDArray[np.float64],
            samples: int = 80) -> float:
    """Fraction of the segment ``a -> b`` that lies inside any of ``boxes`` (x0, y0, x1, y1)."""
    t = np.linspace(0.0, 1.0, samples)[:, None]
    pts = a[None, :] * (1 - t) + b[None, :] * t
    x, y = pts[:, :1], pts[:, 1:]
    inside = (x > boxes[:, 0]) & (x < boxes[:, 2]) & (y > boxes[:, 1]) & (y < boxes[:, 3])
    return float(inside.any(axis=1).mean())


def link_anchors(
    left: DrawnGraph, hand: str, right: DrawnGraph, other: str
) -> tuple[Point, Point]:
    """Return the anchor on ``hand``'s right edge (``left``'s data coordinates) and on
    ``other``'s left edge (``right``'s) whose joining segment crosses the least box area."""
    starts, ends = _edge(left, hand, right=True), _edge(right, other, right=False)
    a_in, b_in = _to_inches(left, starts), _to_inches(right, ends)
    boxes = np.vstack([_boxes(left, hand), _boxes(right, other)])
    best, choice = np.inf, (starts[0], ends[0])
    for i, a in enumerate(a_in):
        for j, b in enumerate(b_in):
            cost = blocked(a, b, boxes) + 1e-3 * (abs(FRACTIONS[i]) + abs(FRACTIONS[j]))
            if cost < best:
                best, choice = cost, (starts[i], ends[j])
    return choice
