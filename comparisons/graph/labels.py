"""Node labels for graph drawings, and their box sizes measured with an Agg renderer.

A label has up to five lines: ``name: op`` (a torch node shows the tensor it made, ``z:
MmBackward0``), the shape, the value or the gradient (Frobenius norm ``‖v‖`` and the first
three entries, or the number for a scalar), and the gradient-check status when set (with the
diagnosis code from ``extra["diagnosis"]`` for a wrong node, e.g. ``✗ wrong (scaled)``, and
the codes of verify's notes from ``extra["notes"]``, ``✓ agrees · note: upstream_not_applied``).

A wrong node that carries the user's gradient (``extra["yours"]``, None when missing) and the
reference's (``extra["reference"]``) shows both in place of the one gradient line::

    yours ‖g‖=0.853 [-0.15, -0.1, …]
    torch ‖g‖=0.937 [-0.15, -0.1, …]

(the user's shape is named when it differs, ``yours 5×2 ‖g‖=…``). A node that agrees shows
the one gradient line, as without a user.
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
        return f"{a.item() + 0.0:.4g}"  # + 0.0: an exact zero prints as 0, never -0
    body = ", ".join(f"{v + 0.0:.2g}" for v in a.ravel()[:items])
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
    if annotate == "grad" and node.status in ("wrong", "first_divergence") \
            and "yours" in node.extra:
        lines += both_lines(node)
    elif array is not None:
        lines.append(numbers(array, sym))
    elif annotate == "grad" and node.shape is not None:
        lines.append("g: not retained" if node.extra.get("retains_grad") is False else "g: —")
    if node.status is not None:
        lines.append({"ok": "✓ agrees", "wrong": "✗ wrong"}.get(node.status, "✗ FIRST DIVERGENCE"))
        if node.status != "ok" and node.extra.get("diagnosis"):
            lines[-1] += f" ({node.extra['diagnosis']})"
        if node.extra.get("notes"):
            lines[-1] += " · note: " + ", ".join(node.extra["notes"])
    return "\n".join(lines)


def numbers(array: NDArray[Any], sym: str = "g") -> str:
    """``"‖g‖=0.937 [-0.15, -0.1, …]"``, or ``"g = 1"`` for a single number."""
    a = np.asarray(array)
    if a.size == 1:
        return f"{sym} = {preview(a)}"
    norm = float(np.linalg.norm(np.asarray(a, dtype=np.float64).ravel()))
    return f"‖{sym}‖={norm:.3g} {preview(a)}"


def both_lines(node: GraphNode) -> list[str]:
    """The user's gradient line and the reference's (see the module docstring)."""
    yours, reference = node.extra.get("yours"), node.extra.get("reference")
    if reference is None:
        reference = node.grad
    if yours is None:
        mine = "yours: none returned"
    else:
        shape = np.shape(yours)
        named = "" if node.shape is None or shape == node.shape else \
            ("scalar " if shape == () else "×".join(map(str, shape)) + " ")
        mine = f"yours {named}{numbers(yours)}"
    theirs = "torch: —" if reference is None else f"torch {numbers(reference)}"
    return [mine, theirs]


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
