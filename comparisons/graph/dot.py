"""Export a :class:`Graph` as Graphviz DOT text (no Graphviz binary needed to write it).

Paste the text into any DOT viewer, or run ``dot -Tsvg`` where Graphviz is installed. Nodes
carry the same labels and fill colours as the matplotlib drawing; ``rankdir=LR`` lays the
graph out left to right in the data's direction, as the drawing does.
"""

from __future__ import annotations

from comparisons.core.plotstyle import NODE_FILL, STATUS_FILL
from comparisons.graph.labels import check_annotate, node_label
from comparisons.graph.model import Graph


def quote(text: str) -> str:
    """Return ``text`` as a DOT double-quoted string (backslash, quote, newline escaped)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(graph: Graph, *, annotate: str = "value", name: str = "computational_graph") -> str:
    """Return DOT text for ``graph``: one quoted node statement per node, one edge per edge.

    ``annotate`` picks the label's numbers (``"value"`` or ``"grad"``); repeated edges (a
    tensor used twice by one op) are kept, so the DOT multigraph matches ``graph.edges``.
    """
    check_annotate(annotate)
    lines = [
        f"digraph {quote(name)} {{",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10];',
    ]
    for node in graph.nodes.values():
        fill = STATUS_FILL[node.status] if node.status else NODE_FILL[node.kind]
        width = ", penwidth=3" if node.status == "first_divergence" else ""
        label = quote(node_label(node, annotate))
        lines.append(f'  {quote(node.name)} [label={label}, fillcolor="{fill}"{width}];')
    lines += [f"  {quote(src)} -> {quote(dst)};" for src, dst in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"
