"""Node labels for graph drawings, and their box sizes measured with an Agg renderer.

A label has up to four lines: ``name: op`` (a torch node shows the tensor it made, ``z:
MmBackward0``), the shape, the value or the gradient (Frobenius norm ``‖v‖`` and the first
three entries, or the number for a scalar), and the gradient-check status when set (with the
diagnosis code from ``extra["diagnosis"]`` for a wrong node, e.g. ``✗ wrong (scaled)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

from comparisons.graph.model import GraphNode

PAD = (0.08, 0.06)  # inches of padding around the text inside a box
ANNOTATIONS = ("value", "grad")
Point = tuple[float, float]


def preview(array: NDArray[Any], items: int = 3) -> str:
    """Return ``"[a, b, c, …]"`` (first ``items`` entries, 2 significant digits) or a scalar."""
    a = np.asarray(array)
    if a.size == 1:
        return f"{a.item():.4g}"
    body = ", ".join(f"{v:.2g}" for v in a.ravel()[:items])
    return f"[{body}{', …' if a.size > items else ''}]"


def node_label(node: GraphNode, annotate: str = "value") -> str:
    """Return the multi-line label: title, shape, annotation (``value`` or ``grad``), status."""
    check_annotate(annotate)
    alias = node.extra.get("tensor")
    plain = alias is None and (node.name == node.op or node.name.startswith(node.op + "#"))
    lines = [node.name if plain else f"{alias or node.name}: {node.op}"]
    if node.shape is not None:
        lines.append("scalar" if node.shape == () else "shape " + "×".join(map(str, node.shape)))
    array = node.value if annotate == "value" else node.grad
    sym = "v" if annotate == "value" else "g"
    if array is not None:
        norm = float(np.linalg.norm(np.asarray(array, dtype=np.float64).ravel()))
        size = np.asarray(array).size
        lines.append(
            f"{sym} = {preview(array)}" if size == 1 else f"‖{sym}‖={norm:.3g} {preview(array)}"
        )
    elif annotate == "grad" and node.shape is not None:
        lines.append("g: not retained" if node.extra.get("retains_grad") is False else "g: —")
    if node.status is not None:
        lines.append({"ok": "✓ agrees", "wrong": "✗ wrong"}.get(node.status, "✗ FIRST DIVERGENCE"))
        if node.status != "ok" and node.extra.get("diagnosis"):
            lines[-1] += f" ({node.extra['diagnosis']})"
    return "\n".join(lines)


def check_annotate(annotate: str) -> None:
    """Raise ValueError unless ``annotate`` is ``"value"`` or ``"grad"``."""
    if annotate not in ANNOTATIONS:
        raise ValueError(f"annotate: expected one of {ANNOTATIONS}, got {annotate!r}")


def measure_boxes(labels: dict[str, str], fontsize: float, dpi: float) -> dict[str, Point]:
    """Return each label's box ``(width, height)`` in inches (text extent plus padding)."""
    scratch = Figure(dpi=dpi)
    renderer = FigureCanvasAgg(scratch).get_renderer()
    sizes: dict[str, Point] = {}
    for name, text in labels.items():
        bbox = scratch.text(0, 0, text, fontsize=fontsize).get_window_extent(renderer)
        sizes[name] = (bbox.width / dpi + 2 * PAD[0], bbox.height / dpi + 2 * PAD[1])
    return sizes
