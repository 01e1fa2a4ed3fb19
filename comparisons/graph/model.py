"""A small, generic computational-graph data model shared by the hand-written and torch graphs.

A :class:`Graph` holds :class:`GraphNode` objects in insertion order and the edges between
them. Edges point in the data (forward) direction, ``(src, dst)`` meaning "``src`` is an input
of ``dst``"; they are exactly the nodes' ``inputs``, so a tensor used twice by one operation
gives two equal edges (``x * x``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

NodeKind = Literal["input", "param", "op", "loss"]
NodeStatus = Literal["ok", "wrong", "first_divergence"]
KINDS: tuple[str, ...] = ("input", "param", "op", "loss")
STATUSES: tuple[str, ...] = ("ok", "wrong", "first_divergence")


def frobenius(array: NDArray[Any] | None) -> float | None:
    """Return the Frobenius norm ``sqrt(sum(a**2))`` of ``array`` as a float, None for None."""
    if array is None:
        return None
    return float(np.linalg.norm(np.asarray(array, dtype=np.float64).ravel()))


@dataclass
class GraphNode:
    """One node: a value (input, parameter, intermediate or loss) and the op that made it.

    ``inputs`` name the nodes feeding this one, in argument order (repeats allowed).
    ``value`` is the forward value and ``grad`` the gradient of the graph's output with
    respect to it (None until known). ``status`` is set by :func:`mark_agreement`.
    """

    name: str
    op: str
    inputs: tuple[str, ...] = ()
    shape: tuple[int, ...] | None = None
    value: NDArray[Any] | None = None
    grad: NDArray[Any] | None = None
    kind: NodeKind = "op"
    status: NodeStatus | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Validate kind and status; take the shape from ``value`` when not given."""
        if not self.name:
            raise ValueError("name: expected a non-empty string, got ''")
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {self.kind!r}")
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"status: expected None or one of {STATUSES}, got {self.status!r}")
        self.inputs = tuple(self.inputs)
        if self.shape is None and self.value is not None:
            self.shape = tuple(np.shape(self.value))
        elif self.shape is not None:
            self.shape = tuple(int(d) for d in self.shape)

    def to_json(self) -> dict[str, Any]:
        """Return ``{"name", "op", "shape", "value_norm", "grad_norm"}`` (norms: Frobenius)."""
        return {
            "name": self.name,
            "op": self.op,
            "shape": None if self.shape is None else list(self.shape),
            "value_norm": frobenius(self.value),
            "grad_norm": frobenius(self.grad),
        }


@dataclass
class Graph:
    """Nodes by name (insertion-ordered) and forward-direction edges ``(src, dst)``.

    Construction validates: keys equal node names, every edge and every input names a known
    node, the edges are exactly the nodes' inputs (as a multiset), and there is no cycle.
    ``meta`` carries free-form facts about the graph (e.g. which named tensors it lacks).
    """

    nodes: dict[str, GraphNode]
    edges: list[tuple[str, str]]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Validate the graph; raise ValueError naming the offending edge or node."""
        self.nodes = dict(self.nodes)
        self.edges = [(str(s), str(d)) for s, d in self.edges]
        for key, node in self.nodes.items():
            if key != node.name:
                raise ValueError(f"nodes: expected key == node.name, got {key!r} for {node.name!r}")
        for src, dst in self.edges:
            for end in (src, dst):
                if end not in self.nodes:
                    raise ValueError(
                        f"edges: expected known node names, got {end!r} in {(src, dst)}"
                    )
        declared = Counter((i, n.name) for n in self.nodes.values() for i in n.inputs)
        if declared != Counter(self.edges):
            diff = (declared - Counter(self.edges)) + (Counter(self.edges) - declared)
            raise ValueError(
                f"edges: expected exactly the nodes' inputs, got mismatch {dict(diff)}"
            )
        self.topological_order()

    @classmethod
    def from_nodes(cls, nodes: Iterable[GraphNode], meta: dict[str, Any] | None = None) -> Graph:
        """Build a graph whose edges are read off each node's ``inputs``."""
        node_list = list(nodes)
        names = [n.name for n in node_list]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"nodes: expected unique names, got duplicates {dupes}")
        edges = [(i, n.name) for n in node_list for i in n.inputs]
        return cls({n.name: n for n in node_list}, edges, dict(meta or {}))

    def predecessors(self, name: str) -> list[str]:
        """Return the distinct inputs of ``name`` in first-use order."""
        return list(dict.fromkeys(self.nodes[name].inputs))

    def successors(self, name: str) -> list[str]:
        """Return the distinct consumers of ``name`` in edge order."""
        return list(dict.fromkeys(d for s, d in self.edges if s == name))

    def topological_order(self) -> list[str]:
        """Return node names, inputs before consumers (Kahn; ties by insertion order).

        Raises ValueError when the edges contain a cycle.
        """
        indeg = {name: len(self.predecessors(name)) for name in self.nodes}
        ready = [name for name in self.nodes if indeg[name] == 0]
        order: list[str] = []
        while ready:
            name = ready.pop(0)
            order.append(name)
            for succ in self.successors(name):
                indeg[succ] -= 1
                if indeg[succ] == 0:
                    ready.append(succ)
        if len(order) != len(self.nodes):
            stuck = sorted(set(self.nodes) - set(order))
            raise ValueError(f"edges: expected an acyclic graph, got a cycle through {stuck}")
        return order

    def to_json(self) -> dict[str, Any]:
        """Return ``{"nodes": [node dicts in insertion order], "edges": [[src, dst], ...]}``."""
        return {
            "nodes": [node.to_json() for node in self.nodes.values()],
            "edges": [[s, d] for s, d in self.edges],
        }


Agreement = Callable[[str, NDArray[Any], NDArray[Any]], bool]


def mark_agreement(
    graph: Graph, user_grads: dict[str, NDArray[Any]], agree: Agreement
) -> str | None:
    """Set each node's ``status`` by comparing ``user_grads`` with the graph's gradients.

    ``agree(name, actual, expected)`` decides (pass a tolerance-aware comparison). Nodes
    without a user gradient or a graph gradient keep ``status=None``. The first wrong node
    in backward order (reverse topological order, so every consumer of it was checked
    before it) becomes ``"first_divergence"``; its name is returned (None if all agree).
    """
    unknown = sorted(set(user_grads) - set(graph.nodes))
    if unknown:
        raise ValueError(f"user_grads: expected names of graph nodes, got unknown {unknown}")
    first: str | None = None
    for name in reversed(graph.topological_order()):
        node = graph.nodes[name]
        node.status = None
        if name not in user_grads or node.grad is None:
            continue
        ok = agree(name, np.asarray(user_grads[name]), node.grad)
        node.status = "ok" if ok else "wrong"
        if not ok and first is None:
            first = name
            node.status = "first_divergence"
    return first
