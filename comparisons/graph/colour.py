"""Colour a recorded graph by a user's gradients: green agrees, red wrong, first divergence.

Two sources, one outcome (:class:`Colouring`, and every node's ``status`` set in place):

* :func:`colour_by_report` takes a ``backprop-lab verify`` report on ``two_layer`` (its rows
  ``do, dW2, dh, dz, dW1``, their notes, its ``first_divergence`` and verdict), judged over
  verify's shape cases with the op's context and upstream convention (dJ = 1 for the
  objective J). This is what ``backprop-lab graph --verify FILE`` uses: the colours, codes,
  first divergence, notes and pass/fail are verify's, nothing is judged again here.
* :func:`colour_by_gradients` takes gradients as arrays (one case: the picture's own inputs,
  dJ = 1), by node name (``"W2"``) or by ``two_layer``'s gradient name (``"dW2"``), and
  compares each with the graph's gradient through verify's :func:`diagnose` (autograd
  tolerance of the one table), but without the op's context: it names shape and scale slips
  (``transposed``, ``scaled`` ×2) and not the context mistakes (a forgotten λW is ``unknown``
  here, ``missing_l2_term`` in verify). For a verdict, verify a file.

:func:`show_numbers` puts the user's gradient and the reference's beside each other on the
nodes (``extra["yours"]``, ``extra["reference"]``), so that a wrong node's label shows both.

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

from comparisons.core.tolerances import tolerance
from comparisons.graph.model import Graph, frobenius
from comparisons.verification.diagnose import Diagnosis, diagnose, first_divergence
from handmade.network import TWO_LAYER

GRADIENT_NODES = TWO_LAYER.gradient_nodes  # two_layer_backward's keys -> node names
NODE_GRADIENTS = {node: grad for grad, node in GRADIENT_NODES.items()}
BOOK_ORDER = TWO_LAYER.backward_order()  # J, L, s, o, W2, h_drop, h, z, W1, b1


@dataclass
class Colouring:
    """What colouring found: the first divergence (a node name) and each node's diagnosis.

    ``report`` is the ``VerifyReport`` the colours came from (None for arrays); then
    ``passed`` is the report's verdict (a wrong forward or an exception in the user's code
    fails it even when no node is red). ``yours`` / ``reference``: the gradients shown on
    the nodes (the user's on the picture's inputs, None where missing; autograd's).
    """

    first_divergence: str | None
    diagnoses: dict[str, Diagnosis] = field(default_factory=dict)
    report: Any = None
    yours: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)
    picture_problem: str | None = None

    @property
    def passed(self) -> bool:
        """The report's verdict, or (for arrays) True when every coloured node agrees."""
        if self.report is not None:
            return bool(self.report.passed)
        return all(d.passed for d in self.diagnoses.values())

    @property
    def first_divergence_gradient(self) -> str | None:
        """The first divergence as verify names it (``dW2`` for node ``W2``)."""
        first = self.first_divergence
        return None if first is None else NODE_GRADIENTS.get(first, first)

    def summary_lines(self) -> list[str]:
        """The user's part of ``backprop-lab graph``'s summary: verify's verdict line, its
        first divergence with its message, each wrong gradient's code with the user's and
        the reference's norm on the picture, the notes; for arrays, a one-case line."""
        if self.report is None:
            wrong = [n for n, d in self.diagnoses.items() if not d.passed]
            head = "your gradients (one case: the picture's inputs, dJ = 1): "
            return [head + ("all agree" if not wrong else
                            f"wrong at {', '.join(wrong)}; first divergence: "
                            f"{self.first_divergence}")]
        lines = ["your file, as `backprop-lab verify FILE --against two_layer` judges it "
                 "(run that for the full report):", "  " + self.report.verdict()]
        error = (self.report.error or "").strip().splitlines()
        if error:  # the headline and the exception's last line
            lines.append("  " + error[0] + ("" if len(error) == 1 else " " + error[-1].strip()))
        first = self.first_divergence
        if first is not None:
            lines.append(f"  first divergence: {self.first_divergence_gradient} (node {first}): "
                         f"{self.diagnoses[first].message}")
        for name, d in self.diagnoses.items():
            grad = NODE_GRADIENTS.get(name, name)
            if not d.passed:
                lines.append(f"  {grad}: {d.code}; {self._numbers(name)}")
            lines += [f"  {grad} note: {note}" for note in d.notes]
        if self.picture_problem:
            lines.append(f"  (no numbers of yours on the picture: {self.picture_problem})")
        return lines

    def _numbers(self, name: str) -> str:
        """``"on the picture's inputs (dJ = 1) yours ‖dW2‖ = 0.853, torch 0.937"``, with the
        shapes when they differ and verify's failing case when the two agree there."""
        grad = NODE_GRADIENTS.get(name, name)
        if name not in self.yours:
            return "no numbers of yours on the picture"
        yours, ref = self.yours[name], self.reference.get(name)
        if yours is None or ref is None:
            theirs = "—" if ref is None else f"{frobenius(ref):.3g}"
            return f"on the picture's inputs (dJ = 1) yours: none, torch ‖{grad}‖ = {theirs}"
        text = (f"on the picture's inputs (dJ = 1) yours ‖{grad}‖ = {frobenius(yours):.3g}, "
                f"torch {frobenius(ref):.3g}")
        if np.shape(yours) != np.shape(ref):
            return text + f" (shapes {_shape(yours)} vs {_shape(ref)})"
        if agree(yours, ref):
            case = _case(self.report, grad)
            return text + " (equal here" + (f"; verify's case {case} shows it)" if case else ")")
        return text

    def _node_json(self, name: str, d: Diagnosis) -> dict[str, Any]:
        status = ("first_divergence" if name == self.first_divergence
                  else ("ok" if d.passed else "wrong"))
        yours = self.yours.get(name)
        return {"gradient": NODE_GRADIENTS.get(name, name), "status": status,
                "diagnosis": d.code, "message": d.message, "max_rel_err": d.max_rel_err,
                "notes": list(d.notes),
                "yours_norm": None if yours is None else frobenius(yours),
                "yours_shape": None if yours is None else list(np.shape(yours)),
                "reference_norm": frobenius(self.reference.get(name))}

    def to_json(self) -> dict[str, Any]:
        """``{"first_divergence" (verify's gradient name), "first_divergence_node", "passed",
        "verdict", "picture_problem", "nodes": {name: {"gradient", "status", "diagnosis",
        "message", "max_rel_err", "notes", "yours_norm", "yours_shape", "reference_norm"}},
        "report"}``; ``report`` is verify's own JSON (``VerifyReport.to_json``), None for
        arrays."""
        report = self.report
        return {"first_divergence": self.first_divergence_gradient,
                "first_divergence_node": self.first_divergence, "passed": self.passed,
                "verdict": None if report is None else report.verdict(),
                "picture_problem": self.picture_problem,
                "nodes": {n: self._node_json(n, d) for n, d in self.diagnoses.items()},
                "report": None if report is None else report.to_json()}


def _shape(array: Any) -> str:
    return "×".join(map(str, np.shape(array))) or "scalar"


def _case(report: Any, grad: str) -> str | None:
    """The case verify reports ``grad``'s diagnosis from (None without one)."""
    row = next((g for g in getattr(report, "gradients", ()) if g.name == grad), None)
    return None if row is None else row.case


def agree(given: Any, expected: Any) -> bool:
    """``given`` equals ``expected`` by the autograd rule of the one table (norm-wise,
    float64; the tolerance of ``expected``'s dtype)."""
    g = np.asarray(given, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if g.shape != e.shape or not (np.isfinite(g).all() and np.isfinite(e).all()):
        return False
    if e.size == 0:
        return True
    tol = tolerance("autograd", np.asarray(expected).dtype)
    return tol.allows(float(np.max(np.abs(g - e))), float(np.max(np.abs(e))))


def node_name(graph: Graph, key: str) -> str:
    """The graph node meant by ``key`` (a node name, or a gradient name such as ``dW2``)."""
    name = key if key in graph.nodes else GRADIENT_NODES.get(key, key)
    if name not in graph.nodes:
        raise ValueError(f"user_grads: expected node or gradient names of the graph "
                         f"({', '.join(graph.nodes)}), got {key!r}")
    return name


def _apply(graph: Graph, diagnoses: dict[str, Diagnosis], first: str | None,
           report: Any = None) -> Colouring:
    """Set every node's status (None where not coloured) and the label's diagnosis code."""
    for name, node in graph.nodes.items():
        node.status = None
        for key in ("diagnosis", "notes", "yours", "reference"):
            node.extra.pop(key, None)
        found = diagnoses.get(name)
        if found is None:
            continue
        node.status = "first_divergence" if name == first else ("ok" if found.passed else "wrong")
        if not found.passed:
            node.extra["diagnosis"] = found.code
        if found.notes:  # the codes only ("subgradient_at_kink"); the sentences are in JSON
            node.extra["notes"] = [note.split(":")[0] for note in found.notes]
    return Colouring(first, diagnoses, report)


def _first(graph: Graph, diagnoses: dict[str, Diagnosis]) -> str | None:
    """Verify's rule on the graph: a node's gradient depends on its consumers' gradients."""
    rest = [n for n in reversed(graph.topological_order()) if n not in BOOK_ORDER]
    order = [n for n in BOOK_ORDER if n in graph.nodes] + rest
    deps = {n: graph.successors(n) for n in graph.nodes}
    return first_divergence(diagnoses, order, deps)


def colour_by_gradients(graph: Graph, user_grads: Mapping[str, Any]) -> Colouring:
    """Compare ``user_grads`` (name -> array, None for a missing one) with the graph's.

    One case, no op context (see the module docstring). Each gradient is diagnosed against
    the node's gradient with the autograd tolerance for its dtype; nodes without a user
    gradient stay uncoloured; the arrays are shown on the nodes (:func:`show_numbers`).
    Raises ValueError for a name that is not in the graph or a node without a gradient.
    """
    diagnoses: dict[str, Diagnosis] = {}
    shown: dict[str, Any] = {}
    for key, given in user_grads.items():
        name = node_name(graph, key)
        expected = graph.nodes[name].grad
        if expected is None:
            raise ValueError(f"user_grads: node {name!r} has no gradient to compare with")
        shown[name] = given
        if given is None:
            diagnoses[name] = Diagnosis("wrong_shape", f"{key} is missing")
            continue
        tol = tolerance("autograd", expected.dtype)
        diagnoses[name] = diagnose(np.asarray(given), expected, name=key, tol=tol)
    colouring = _apply(graph, diagnoses, _first(graph, diagnoses))
    show_numbers(graph, colouring, shown, {n: graph.nodes[n].grad for n in shown})
    return colouring


def colour_by_report(graph: Graph, report: Any) -> Colouring:
    """Colour by a ``VerifyReport`` of ``two_layer``: each row's diagnosis, factor, errors
    and notes on its node, the report's first divergence, and its verdict as ``passed``."""
    diagnoses: dict[str, Diagnosis] = {}
    for row in report.gradients:
        diagnoses[node_name(graph, row.name)] = Diagnosis(
            row.diagnosis, row.message, row.factor, row.max_abs_err, row.max_rel_err,
            row.passed, notes=tuple(row.notes))
    first = report.first_divergence
    return _apply(graph, diagnoses, None if first is None else node_name(graph, first), report)


def show_numbers(graph: Graph, colouring: Colouring, yours: Mapping[str, Any],
                 reference: Mapping[str, Any]) -> None:
    """Put the user's gradient and the reference's on each coloured node (``extra["yours"]``
    an array or None for a missing one, ``extra["reference"]``) and in ``colouring``.
    Names are node or gradient names; names of uncoloured nodes are left out."""
    for key, given in yours.items():
        name = node_name(graph, key)
        if name not in colouring.diagnoses:
            continue
        node = graph.nodes[name]
        node.extra["yours"] = given
        node.extra["reference"] = reference.get(key, reference.get(name, node.grad))
        colouring.yours[name] = given
        colouring.reference[name] = node.extra["reference"]
