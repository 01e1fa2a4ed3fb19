"""One look for every figure the project writes: the matplotlib settings and the line styles.

Every plotting module calls :func:`use` at import (it selects the display-free Agg backend and
applies :data:`RC`), sizes its figures with :func:`figsize` (all :data:`WIDTH` inches wide, so
the report, which scales every image to the page width, shows every figure's text at the same
size) and leaves font sizes to the rc settings (``"small"``, ``"large"``, never numbers).

Curves of the training set are solid and curves of held-out data (test, validation) dashed,
as in the labs: :data:`TRAIN` and :data:`HELD_OUT` are the ``ls`` values to use.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.style

WIDTH = 14.0
"""Width in inches of every figure (150 dpi PNG: 2100 pixels)."""

TRAIN = "-"
"""Line style of a training-set curve (solid)."""

HELD_OUT = "--"
"""Line style of a test- or validation-set curve (dashed)."""

RC: dict[str, Any] = {
    "font.size": 12.0,
    "axes.titlesize": "medium",
    "axes.labelsize": "medium",
    "xtick.labelsize": "small",
    "ytick.labelsize": "small",
    "legend.fontsize": "small",
    "legend.title_fontsize": "small",
    "figure.titlesize": "large",
    "figure.dpi": 100.0,
    "savefig.dpi": 150.0,
    "savefig.facecolor": "white",
    "axes.grid": False,
    "lines.linewidth": 1.5,
}
"""The rc settings applied by :func:`use` (font sizes relative to ``font.size``)."""


def use() -> None:
    """Select the Agg backend (no display needed) and apply :data:`RC`."""
    matplotlib.use("Agg")
    matplotlib.style.use(RC)


def figsize(height: float, width: float = WIDTH) -> tuple[float, float]:
    """``(width, height)`` in inches; ``height`` must be positive."""
    if not height > 0:
        raise ValueError(f"height: expected a positive number of inches, got {height!r}")
    return (width, height)
