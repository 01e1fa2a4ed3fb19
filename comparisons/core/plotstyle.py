"""One look for every figure the project writes: the matplotlib settings, the line styles, the
colours of graph drawings, and how figures are saved.

Every pyplot module calls :func:`use` at import (it selects the display-free Agg backend and
applies :data:`RC`); code that builds :class:`~matplotlib.figure.Figure` objects itself (the
computational graphs, the worksheet) draws inside :func:`style` instead, which leaves the
caller's settings (a notebook's) as they were. Plots are sized with :func:`figsize` (all
:data:`WIDTH` inches wide, so the report, which scales every image to the page width, shows
every figure's text at the same size) and leave font sizes to the rc settings (``"small"``,
``"large"``, never numbers). Figures are written with :func:`save` (PNG at :data:`DPI` and
SVG, white background, the figure's own box), a multi-page PDF with
:func:`comparisons.core.plotpages.save_pdf`.

Curves of the training set are solid and curves of held-out data (test, validation) dashed,
as in the labs: :data:`TRAIN` and :data:`HELD_OUT` are the ``ls`` values to use. Chart bars
and series take matplotlib's colour cycle (``"C0"``, ``"C1"``, ...). Graph nodes are filled
by kind (:data:`NODE_FILL`) or by their gradient check (:data:`STATUS_FILL`), outlined in
:data:`OUTLINE`, joined by arrows in :data:`ARROW`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

WIDTH = 14.0
"""Width in inches of every plot (150 dpi PNG: 2100 pixels)."""

DPI = 150.0
"""Resolution of every PNG written by :func:`save`."""

TRAIN = "-"
"""Line style of a training-set curve (solid)."""

HELD_OUT = "--"
"""Line style of a test- or validation-set curve (dashed)."""

SAVE: dict[RcKeyType, Any] = {
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    "savefig.bbox": "standard",  # the figure's own box: PNG and SVG show the same area
}
"""The rc settings every :func:`save` writes with (part of :data:`RC`)."""

RC: dict[RcKeyType, Any] = {
    "font.size": 12.0,
    "axes.titlesize": "medium",
    "axes.labelsize": "medium",
    "xtick.labelsize": "small",
    "ytick.labelsize": "small",
    "legend.fontsize": "small",
    "legend.title_fontsize": "small",
    "figure.titlesize": "large",
    "figure.dpi": 100.0,
    "axes.grid": False,
    "lines.linewidth": 1.5,
    **SAVE,
}
"""The rc settings applied by :func:`use` and :func:`style` (font sizes relative to
``font.size``)."""

NODE_FILL = {"input": "#d6e6fa", "param": "#fde3bd", "op": "#eeeeee", "loss": "#e5d4fa"}
"""Fill of a graph node by kind (input, parameter, operation, objective): the drawings, the
DOT export and the worksheet."""

STATUS_FILL = {"ok": "#bfe8bf", "wrong": "#f7a8a8", "first_divergence": "#e53935"}
"""Fill of a graph node whose gradient was checked: agrees, wrong, the first divergence."""

ARROW = "#555555"
"""Colour of a graph's arrows."""

ARROW_FAINT = "#aaaaaa"
"""Colour of a graph edge that carries nothing (no gradient into the data x, y)."""

OUTLINE = "#444444"
"""Outline of a graph node, of a legend patch, of a box to write in."""

OUTLINE_DIVERGED = "#7f0000"
"""Outline of the first-divergence node (drawn thicker)."""

MUTED = "#666666"
"""Secondary text: a page's footer."""

ANSWER = "#1f4e9c"
"""Text of an answer (the worksheet's key), dark blue beside black questions."""


def use() -> None:
    """Select the Agg backend (no display needed) and apply :data:`RC`."""
    matplotlib.use("Agg")
    matplotlib.rcParams.update(RC)


def style() -> AbstractContextManager[Any]:
    """``with plotstyle.style():`` applies :data:`RC` inside the block only (the font sizes
    ``"small"``, ``"large"`` of text created there are :data:`RC`'s)."""
    return matplotlib.rc_context(RC)


def figsize(height: float, width: float = WIDTH) -> tuple[float, float]:
    """``(width, height)`` in inches; ``height`` must be positive."""
    if not height > 0:
        raise ValueError(f"height: expected a positive number of inches, got {height!r}")
    return (width, height)


FORMATS = ("png", "svg")
"""What :func:`save` writes by default: a PNG and an SVG of the same figure."""


def save(fig: Figure, out: str | Path, stem: str, formats: Sequence[str] = FORMATS
         ) -> list[Path]:
    """Write ``out/stem.png`` (:data:`DPI`) and ``out/stem.svg`` (or the ``formats`` given,
    of ``png``, ``svg``, ``pdf``) with :data:`SAVE`'s settings; create ``out``; return the
    paths in ``formats``' order. The figure stays open (a pyplot caller closes it)."""
    if not stem or "/" in stem or "\\" in stem:
        raise ValueError(f"stem: expected a file name without directories, got {stem!r}")
    unknown = [f for f in formats if f not in ("png", "svg", "pdf")]
    if unknown or not formats:
        raise ValueError(f"formats: expected some of 'png', 'svg', 'pdf', got {list(formats)!r}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.{f}" for f in formats]
    with matplotlib.rc_context(SAVE):
        for path in paths:
            fig.savefig(path)
    return paths

