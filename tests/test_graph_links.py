"""Where side-by-side correspondence lines attach: on the two boxes' edges, clear of others."""

from __future__ import annotations

import numpy as np

from comparisons.graph.draw import draw_side_by_side
from comparisons.graph.links import blocked, link_anchors
from comparisons.graph.outputs import run_graphs


def test_blocked_measures_the_fraction_inside_boxes() -> None:
    box = np.array([[1.0, -1.0, 3.0, 1.0]])  # x from 1 to 3 on a segment from 0 to 4
    a, b = np.array([0.0, 0.0]), np.array([4.0, 0.0])
    assert abs(blocked(a, b, box, samples=401) - 0.5) < 0.01
    assert blocked(a, b + [0.0, 5.0], np.empty((0, 4))) == 0.0
    assert blocked(a + [0.0, 2.0], b + [0.0, 2.0], box) == 0.0


def _inches(drawn, points) -> np.ndarray:
    fig = drawn.ax.get_figure()
    return (drawn.ax.transData + fig.dpi_scale_trans.inverted()).transform(np.array(points))


def _other_boxes(drawn, skip: str) -> np.ndarray:
    rows = []
    for name, (cx, cy) in drawn.layout.centers.items():
        w, h = drawn.layout.sizes[name]
        if name != skip:
            corners = [(cx - w / 2, cy - h / 2), (cx + w / 2, cy + h / 2)]
            rows.append(_inches(drawn, corners).ravel())
    return np.array(rows)


def test_links_sit_on_the_edges_and_cross_no_more_than_the_centre_line() -> None:
    run = run_graphs(bias=True)
    _, left, right = draw_side_by_side(run.hand, run.twin.graph, run.twin.correspondence)
    for hand, other in run.twin.correspondence.items():
        start, end = link_anchors(left, hand, right, other)
        (hx, hy), (hw, hh) = left.layout.centers[hand], left.layout.sizes[hand]
        (tx, ty), (tw, th) = right.layout.centers[other], right.layout.sizes[other]
        assert start[0] == hx + hw / 2 and abs(start[1] - hy) < hh / 2  # right edge
        assert end[0] == tx - tw / 2 and abs(end[1] - ty) < th / 2  # left edge
        boxes = np.vstack([_other_boxes(left, hand), _other_boxes(right, other)])
        chosen = blocked(_inches(left, [start])[0], _inches(right, [end])[0], boxes)
        centre = blocked(_inches(left, [(hx + hw / 2, hy)])[0],
                         _inches(right, [(tx - tw / 2, ty)])[0], boxes)
        assert chosen <= centre, hand
