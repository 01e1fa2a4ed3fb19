"""The pipeline behind ``backprop-lab graph`` and the demo section: run, compare, draw, write.

:func:`run_graphs` builds the seeded network, records the hand-written graph, runs the torch
twin, checks every node gradient against autograd (the project's own check) and, given a
user's ``two_layer`` file, colours the nodes by ``backprop-lab verify``'s report on it (its
diagnoses, first divergence, notes and verdict; :mod:`comparisons.graph.user`) and shows the
user's gradients on the picture's inputs beside autograd's. Given arrays instead
(``user_grads``), it colours by a one-case comparison (:func:`colour_by_gradients`).
:func:`write_graphs` writes, under ``out``:

* ``graph_forward.png/.svg``   the hand-written graph annotated with forward values;
* ``graph_backward.png/.svg``  the same graph annotated with gradients (coloured by the user's
  gradients when given);
* ``graph_torch.png/.svg``     the hand-written graph above autograd's, dashed lines joining
  the nodes that hold the same tensor, both annotated with gradients;
* ``graph.json``  ``{"nodes": [{"name", "op", "shape", "value_norm", "grad_norm"}], "edges",
  "torch": {"nodes", "edges"}, "correspondence", "checks", "project_passed", "passed",
  "max_rel_err", "config", "verify"}``; ``verify`` is :meth:`Colouring.to_json` (verify's
  codes, first divergence and its whole JSON report under ``"report"``) or null;
* with ``dot=True`` also ``graph_forward.dot``, ``graph_backward.dot``, ``graph_torch.dot``.

A named-intermediates file (``graph --verify FILE --intermediates``) is drawn by
:func:`~comparisons.graph.named.write_named_graph` and the printable worksheet
(``graph --worksheet``) by :func:`~comparisons.graph.worksheet.write_worksheet`, both imported
here so that the command defers one import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from comparisons.core import plotstyle
from comparisons.core.compare import Check
from comparisons.core.io import write_json
from comparisons.graph.colour import Colouring, colour_by_gradients, colour_by_report, show_numbers
from comparisons.graph.dot import to_dot
from comparisons.graph.draw import draw_side_by_side, new_graph_figure
from comparisons.graph.model import Graph
from comparisons.graph.named import write_named_graph as write_named_graph
from comparisons.graph.record import make_network, record_two_layer
from comparisons.graph.twin import TorchTwin, gradient_checks, torch_twin
from comparisons.graph.user import check_book_network, picture_gradients, verify_report
from comparisons.graph.worksheet import write_worksheet as write_worksheet


@dataclass
class GraphRun:
    """One run: the hand-written graph, its torch twin, the checks, the optional colouring."""

    hand: Graph
    twin: TorchTwin
    checks: list[Check]
    colouring: Colouring | None
    config: dict[str, Any]

    @property
    def project_passed(self) -> bool:
        """The project's own check: every hand-written node gradient agrees with autograd."""
        return all(c.passed for c in self.checks)

    @property
    def passed(self) -> bool:
        """The run's verdict: the user's (verify's, for a file) when given, else the
        project's own check. (The user's verdict is verify's against torch directly; it
        does not depend on the hand-written graph.)"""
        return self.project_passed if self.colouring is None else self.colouring.passed

    @property
    def max_rel_err(self) -> float | None:
        """Largest hand-vs-autograd relative error over the nodes (None if none compared)."""
        errs = [c.max_rel_err for c in self.checks if c.max_rel_err is not None]
        return max(errs) if errs else None

    def to_json(self) -> dict[str, Any]:
        """The ``graph.json`` document (see the module docstring)."""
        hand = self.hand.to_json()
        return {
            "nodes": hand["nodes"], "edges": hand["edges"], "torch": self.twin.graph.to_json(),
            "correspondence": dict(self.twin.correspondence),
            "checks": [{"node": c.tensor, "passed": c.passed, "max_rel_err": c.max_rel_err,
                        "message": c.message} for c in self.checks],
            "project_passed": self.project_passed, "passed": self.passed,
            "max_rel_err": self.max_rel_err, "config": self.config,
            "verify": None if self.colouring is None else self.colouring.to_json(),
        }


def run_graphs(
    *, activation: str = "relu", lam: float = 0.1, bias: bool = False, seed: int = 0,
    user_file: str | Path | None = None, user_grads: Mapping[str, Any] | None = None,
) -> GraphRun:
    """Record the hand-written graph and its torch twin for one seeded network.

    ``user_file`` (a verify-style ``two_layer`` file; UsageError for one verify cannot
    load) or ``user_grads`` (name -> array) colour the hand-written graph. Raises ValueError
    for ``lam < 0`` or an unknown activation.
    """
    if not np.isfinite(lam) or lam < 0:
        raise ValueError(f"--lambda: expected a finite number >= 0, got {lam}")
    model, X, Y = make_network(np.random.default_rng(seed), activation=activation, lam=lam,
                               bias=bias)
    hand = record_two_layer(model, X, Y)
    twin = torch_twin(model, X, Y)
    colouring = None
    if user_file is not None:
        colouring = _colour_by_file(hand, twin, user_file, (model, X, Y))
    elif user_grads is not None:
        colouring = colour_by_gradients(hand, user_grads)
        show_numbers(hand, colouring, user_grads, _autograd(twin))
    config = {"activation": activation, "lambda": lam, "bias": bias, "seed": seed,
              "dims": hand.meta["dims"], "verify": None if user_file is None else str(user_file)}
    return GraphRun(hand, twin, gradient_checks(hand, twin), colouring, config)


def _autograd(twin: TorchTwin) -> dict[str, Any]:
    """Autograd's gradient of each hand node name that has one."""
    nodes = twin.graph.nodes
    return {hand: nodes[other].grad for hand, other in twin.correspondence.items()
            if nodes[other].grad is not None}


def _colour_by_file(hand: Graph, twin: TorchTwin, path: str | Path,
                    network: tuple[Any, Any, Any]) -> Colouring:
    """Verify's report on the file colours the nodes; the user's numbers on the picture's
    inputs are shown beside autograd's (or why they could not be computed)."""
    check_book_network(network[0])
    colouring = colour_by_report(hand, verify_report(path))
    grads, problem = picture_gradients(path, *network)
    colouring.picture_problem = problem
    show_numbers(hand, colouring, grads, _autograd(twin))
    return colouring


def _plain(graph: Graph) -> Graph:
    """A copy of ``graph`` without statuses (forward values are not judged)."""
    nodes = [dataclasses.replace(n, status=None, extra={}) for n in graph.nodes.values()]
    return Graph.from_nodes(nodes, graph.meta)


def _subtitle(run: GraphRun) -> str:
    """``ReLU, λ = 0.1, bias`` for the figure titles."""
    c = run.config
    return f"{c['activation']}, λ = {c['lambda']:g}" + (", bias" if c["bias"] else "")


def _colours_title(run: GraphRun) -> str:
    """``"; colours: backprop-lab verify my.py: FAILED, first divergence dW2"`` or ``""``."""
    colouring, name = run.colouring, run.config.get("verify")
    if colouring is None:
        return ""
    verdict = "PASSED" if colouring.passed else "FAILED"
    first = colouring.first_divergence_gradient
    what = f"backprop-lab verify {Path(name).name}" if name else "your gradients"
    return f"\ncolours: {what}: {verdict}" + (f", first divergence {first}" if first else "")


def write_graphs(run: GraphRun, out: str | Path, *, dot: bool = False) -> list[Path]:
    """Write the three figures (PNG + SVG), ``graph.json`` and optionally DOT; return paths."""
    out = Path(out)
    sub = _subtitle(run)
    forward, _ = new_graph_figure(_plain(run.hand), annotate="value",
                                  title=f"forward pass: values ({sub})")
    backward, _ = new_graph_figure(run.hand, annotate="grad",
                                   title=f"backward pass: gradients dJ/d· ({sub}); arrows: "
                                         f"the way gradients flow" + _colours_title(run))
    side, _, _ = draw_side_by_side(
        run.hand, run.twin.graph, run.twin.correspondence, annotate="grad",
        titles=(f"hand-written (handmade, {sub}): gradients",
                "torch.autograd (reference.two_layer): grad_fn graph, leaf and retained .grad"),
    )
    paths: list[Path] = []
    for fig, stem in ((forward, "graph_forward"), (backward, "graph_backward"),
                      (side, "graph_torch")):
        paths += plotstyle.save(fig, out, stem)
    paths.append(write_json(out / "graph.json", run.to_json()))
    if dot:
        texts = {"graph_forward": to_dot(_plain(run.hand), annotate="value", name="forward"),
                 "graph_backward": to_dot(run.hand, annotate="grad", name="backward"),
                 "graph_torch": to_dot(run.twin.graph, annotate="grad", name="autograd")}
        for stem, text in texts.items():
            (out / f"{stem}.dot").write_text(text)
            paths.append(out / f"{stem}.dot")
    return paths
