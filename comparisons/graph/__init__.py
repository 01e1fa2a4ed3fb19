"""Computational graphs: the hand-written two-layer network's graph beside torch.autograd's.

Public API (imported lazily, so ``import comparisons.graph`` and the CLI's ``--help`` stay
light; torch and matplotlib load on first use):

* model: ``Graph``, ``GraphNode``, ``mark_agreement``, ``frobenius``;
* recording: ``make_network(rng, *, activation, lam, bias)`` -> ``(model, X, Y)``,
  ``record_two_layer(model, X, Y)`` -> ``Graph`` (the book's nodes and edges);
* torch: ``extract_torch_graph``, ``torch_correspondence``, ``grads_after_repeated_backward``,
  ``torch_twin(model, X, Y)`` -> ``TorchTwin``, ``gradient_checks(hand, twin)``;
* colouring: ``colour_by_gradients(graph, user_grads)``, ``colour_by_report(graph, report)``
  -> ``Colouring`` (statuses set on the nodes, first divergence named);
* pipeline: ``run_graphs(...)`` -> ``GraphRun``, ``write_graphs(run, out, dot=...)``;
* drawing: ``draw_graph``, ``new_graph_figure``, ``draw_side_by_side``, ``save_figure``,
  ``to_dot``.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Graph": "model", "GraphNode": "model", "mark_agreement": "model", "frobenius": "model",
    "make_network": "record", "record_two_layer": "record",
    "extract_torch_graph": "torch_graph", "torch_correspondence": "torch_graph",
    "grads_after_repeated_backward": "torch_graph",
    "TorchTwin": "twin", "torch_twin": "twin", "gradient_checks": "twin",
    "Colouring": "colour", "colour_by_gradients": "colour", "colour_by_report": "colour",
    "GraphRun": "outputs", "run_graphs": "outputs", "write_graphs": "outputs",
    "draw_graph": "draw", "new_graph_figure": "draw", "draw_side_by_side": "draw",
    "save_figure": "draw", "to_dot": "dot",
}  # fmt: skip
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Import the submodule defining ``name`` on first access."""
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
