"""Colour a recorded graph by a user's gradients: green agrees, red wrong, first divergence.

Two sources, one outcome (:class:`Colouring`, and every node's ``status`` set in place):

* :func:`colour_by_gradients` takes the user's gradients as arrays, by node name (``"W2"``)
  or by ``two_layer``'s gradient name (``"dW2"``), compares each with the graph's gradient
  through verify's diagnosis engine (autograd tolerance of the one table) and so also says
  *what* is wrong (``transposed``, ``scaled`` ×2, ...).
* :func:`colour_by_report` takes a ``backprop-lab verify`` report on ``two_layer`` (its rows
  ``do, dW2, dh, dz, dW1`` and its ``first_divergence``), judged over verify's shape cases.

The first divergence is verify's rule: walking backward in the book's order (o, W2, h, z,
W1), the first wrong gradient whose own inputs are right. In the graph, a node's gradient is
computed from its consumers' gradients (``dh = do W2`` comes from o), so a wrong ``do``
makes ``dh``, ``dz``, ``dW1``, ``dW2`` wrong too, and only o is the first divergence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from comparisons.graph.model import Graph
from comparisons.tolerances import tolerance
from comparisons.verify.diagnose import Diagnosis, diagnose, first_divergence

GRADIENT_NODES = {"do": "o", "dW2": "W2", "dh_drop": "h_drop", "dh": "h", "dz": "z",
                  "dW1": "W1", "db1": "b1"}  # two_layer_backward's keys -> node names
BOOK_ORDER = ("J", "L", "s", "o", "W2", "h_drop", "h", "z", "W1", "b1")  # backward, book order


@dataclass
class Colouring:
    """What colouring found: the first divergence (a node name) and each node's diagnosis."""

    first_divergence: str | None
    diagnoses: dict[str, Diagnosis] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every coloured node agrees."""
        return all(d.passed for d in self.diagnoses.values())

    def to_json(self) -> dict[str, Any]:
        """``{"first_divergence", "passed", "nodes": {name: {"status", "diagnosis", ...}}}``."""
        nodes = {
            name: {"status": "first_divergence" if name == self.first_divergence
                   else ("ok" if d.passed else "wrong"),
                   "diagnosis": d.code, "message": d.message, "max_rel_err": d.max_rel_err}
            for name, d in self.diagnoses.items()
        }
        return {"first_divergence": self.first_divergence, "passed": self.passed,
                "nodes": nodes}


def node_name(graph: Graph, key: str) -> str:
    """The graph node meant by ``key`` (a node name, or a gradient name such as ``dW2``)."""
    name = key if key in graph.nodes else GRADIENT_NODES.get(key, key)
    if name not in graph.nodes:
        raise ValueError(f"user_grads: expected node or gradient names of the graph "
                         f"({', '.join(graph.nodes)}), got {key!r}")
    return name


def _apply(graph: Graph, diagnoses: dict[str, Diagnosis], first: str | None) -> Colouring:
    """Set every node's status (None where not coloured) and the label's diagnosis code."""
    for name, node in graph.nodes.items():
        node.status = None
        node.extra.pop("diagnosis", None)
        found = diagnoses.get(name)
        if found is None:
            continue
        node.status = "first_divergence" if name == first else ("ok" if found.passed else "wrong")
        if not found.passed:
            node.extra["diagnosis"] = found.code
    return Colouring(first, diagnoses)


def _first(graph: Graph, diagnoses: dict[str, Diagnosis]) -> str | None:
    """Verify's rule on the graph: a node's gradient depends on its consumers' gradients."""
    rest = [n for n in reversed(graph.topological_order()) if n not in BOOK_ORDER]
    order = [n for n in BOOK_ORDER if n in graph.nodes] + rest
    deps = {n: graph.successors(n) for n in graph.nodes}
    return first_divergence(diagnoses, order, deps)


def colour_by_gradients(graph: Graph, user_grads: Mapping[str, Any]) -> Colouring:
    """Compare ``user_grads`` (name -> array, None for a missing one) with the graph's.

    Each gradient is diagnosed against the node's gradient with the autograd tolerance for
    its dtype; nodes without a user gradient stay uncoloured. Raises ValueError for a name
    that is not in the graph or a node that has no gradient to compare with.
    """
    diagnoses: dict[str, Diagnosis] = {}
    for key, given in user_grads.items():
        name = node_name(graph, key)
        expected = graph.nodes[name].grad
        if expected is None:
            raise ValueError(f"user_grads: node {name!r} has no gradient to compare with")
        if given is None:
            diagnoses[name] = Diagnosis("wrong_shape", f"{key} is missing")
            continue
        tol = tolerance("autograd", expected.dtype)
        diagnoses[name] = diagnose(np.asarray(given), expected, name=key, tol=tol)
    return _apply(graph, diagnoses, _first(graph, diagnoses))


def colour_by_report(graph: Graph, report: Any) -> Colouring:
    """Colour by a ``VerifyReport`` of ``two_layer`` (``report.gradients`` rows with ``name``,
    ``passed``, ``diagnosis``, ``message``; ``report.first_divergence``)."""
    diagnoses: dict[str, Diagnosis] = {}
    for row in report.gradients:
        diagnoses[node_name(graph, row.name)] = Diagnosis(
            row.diagnosis, row.message, row.factor, row.max_abs_err, row.max_rel_err,
            row.passed)
    first = report.first_divergence
    return _apply(graph, diagnoses, None if first is None else node_name(graph, first))
