"""The computational-graph section of ``backprop-lab demo``: the book's network, drawn.

Writes the forward graph (values), the backward graph (gradients) and autograd's graph beside
the hand-written one under ``out/graph/`` (PNG, SVG, ``graph.json``), for the book's network
(ReLU, MSE, λ = 0.1, no bias). Passes when every hand-written node gradient agrees with
autograd's retained gradient for the same tensor (float64, the one tolerance table).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comparisons.graph.outputs import run_graphs, write_graphs

LAMBDA = 0.1
LABELS = {"nodes": "nodes of the hand-written graph", "edges": "edges of the hand-written graph",
          "torch_nodes": "nodes of autograd's grad_fn graph",
          "gradients_compared": "node gradients compared with autograd",
          "gradients_disagreeing": "node gradients disagreeing",
          "max_rel_err": "largest relative error of a node gradient"}


def run_section(out: Path, *, quiet: bool = False, seed: int = 0) -> dict[str, Any]:
    """Draw and check the graphs; return passed, files (relative to ``out``; the SVG twins of
    the PNGs are written too but not listed, so the report shows each picture once), the
    command and the key numbers."""
    folder = Path(out) / "graph"
    result = run_graphs(lam=LAMBDA, seed=seed)
    paths = write_graphs(result, folder)
    n_bad = sum(not c.passed for c in result.checks)
    if not quiet:
        verdict = "all agree" if n_bad == 0 else f"{n_bad} DISAGREE"
        print(f"graph: {len(result.hand.nodes)} nodes; project check, the hand-written node "
              f"gradients vs autograd: {verdict} (max rel err {result.max_rel_err:.2g})")
    return {
        "passed": result.project_passed,
        "files": [str(p.relative_to(out)) for p in paths if p.suffix != ".svg"],  # PNG shown
        "command": f"backprop-lab graph --lambda {LAMBDA} --seed {seed} --out {folder}",
        "nodes": len(result.hand.nodes),
        "edges": len(result.hand.edges),
        "torch_nodes": len(result.twin.graph.nodes),
        "gradients_compared": len(result.checks),
        "gradients_disagreeing": n_bad,
        "max_rel_err": result.max_rel_err,
        "labels": LABELS,
    }
