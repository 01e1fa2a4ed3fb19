"""What a drawn graph is made of: :class:`DrawnGraph`, the record :mod:`comparisons.graph.draw`
returns and :mod:`comparisons.graph.links` reads (to attach correspondence lines), below both.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from comparisons.graph.layout import Layout


@dataclass
class DrawnGraph:
    """What :func:`draw_graph` put on ``ax``: layout (inches), boxes, labels, arrows."""

    ax: Axes
    layout: Layout
    boxes: dict[str, FancyBboxPatch]
    texts: dict[str, Text]
    arrows: list[FancyArrowPatch]
    fontsize: float


def figure_of(ax: Axes) -> Figure:
    """The Figure ``ax`` is drawn in (its size in inches and dpi place the boxes).

    ValueError for an Axes of a sub-figure or of no figure: the drawing needs a whole figure.
    """
    fig = ax.get_figure()
    if not isinstance(fig, Figure):
        raise ValueError(f"ax: expected an Axes of a matplotlib Figure, got one of {fig!r}")
    return fig
