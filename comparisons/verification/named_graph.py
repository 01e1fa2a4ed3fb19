"""Named tensors placed in autograd's own graph: their reverse topological order and, for each,
the named tensors its gradient is computed from.

A named tensor's node is its ``grad_fn`` (an intermediate) or the ``AccumulateGrad`` node
whose ``variable`` it is (a leaf that requires grad). The graph is walked from the loss's node
along ``next_functions`` (the edges from an op's output to its inputs' nodes). Named tensor
``m`` *feeds* ``n`` when a path goes from ``m``'s node down to ``n``'s node through unnamed
nodes only: then dL/dn is computed from dL/dm (chain rule), and an ``n`` used twice has two or
more such ``m`` (its gradient sums their paths). :func:`named_order` returns the names, loss
first, such that every name comes after each name feeding it (reverse topological order;
among names free to come next, the one the forward computed last, so an honest dict in
computation order comes out reversed), and ``deps``: name -> the names feeding it, the
dependency map of :func:`comparisons.verification.diagnose.first_divergence`. Named tensors the
loss does not reach come last, in the file's order, feeding nothing (their gradient is 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

Node = Any  # an autograd graph node (torch.autograd.graph.Node)


def node_of(t: torch.Tensor, leaves: Mapping[int, Node]) -> Node | None:
    """The graph node of ``t``: its ``grad_fn``, else its ``AccumulateGrad`` node, else None."""
    if t.grad_fn is not None:
        return t.grad_fn
    return leaves.get(id(t))


def reachable(root: Node) -> list[Node]:
    """Every node reachable from ``root`` along ``next_functions`` (root first, no repeats)."""
    seen: dict[int, Node] = {id(root): root}
    stack = [root]
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None and id(child) not in seen:
                seen[id(child)] = child
                stack.append(child)
    return list(seen.values())


def leaf_nodes(nodes: list[Node]) -> dict[int, Node]:
    """``id(leaf tensor) -> its AccumulateGrad node`` for the leaves among ``nodes``."""
    found: dict[int, Node] = {}
    for node in nodes:
        variable = getattr(node, "variable", None)
        if isinstance(variable, torch.Tensor):
            found[id(variable)] = node
    return found


def fed_by(start: Node, named: Mapping[int, list[str]]) -> list[str]:
    """The names whose node is reached from ``start``'s inputs through unnamed nodes only."""
    found: list[str] = []
    seen: set[int] = set()
    stack = [child for child, _ in start.next_functions if child is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if id(node) in named:
            found += [n for n in named[id(node)] if n not in found]
            continue
        stack += [child for child, _ in node.next_functions if child is not None]
    return found


def topological(names: list[str], deps: Mapping[str, list[str]]) -> list[str]:
    """``names`` with every name after all names in its ``deps`` (Kahn's algorithm; among the
    names free to come next, the latest in ``names``). A cycle (aliases of one node feed each
    other through nothing) ends the walk; the rest follow in reverse order of ``names``."""
    waiting = {n: {d for d in deps.get(n, []) if d != n} for n in names}
    done: list[str] = []
    while True:
        ready = [n for n in reversed(names) if n in waiting and not waiting[n]]
        if not ready:
            break
        done.append(ready[0])
        del waiting[ready[0]]
        for rest in waiting.values():
            rest.discard(ready[0])
    return done + [n for n in reversed(names) if n not in done]


def named_order(tensors: Mapping[str, torch.Tensor],
                loss: str) -> tuple[list[str], dict[str, list[str]]]:
    """``(order, deps)`` of the named tensors (see the module docstring); ``tensors`` in the
    order the forward computed them, ``loss`` one of them (a scalar with a graph)."""
    root = tensors[loss].grad_fn
    nodes = reachable(root) if root is not None else []
    by_id = {id(n): n for n in nodes}
    leaves = leaf_nodes(nodes)
    named: dict[int, list[str]] = {}
    for name, t in tensors.items():
        node = node_of(t, leaves)
        if node is not None and id(node) in by_id and name != loss:
            named.setdefault(id(node), []).append(name)
    deps: dict[str, list[str]] = {name: [] for name in tensors}
    feeders = [(loss, root)] if root is not None else []
    feeders += [(name, by_id[i]) for i, names in named.items() for name in names]
    for name, node in feeders:
        for fed in fed_by(node, named):
            if fed != name and name not in deps[fed]:
                deps[fed].append(name)
    on_graph = {loss, *(n for names in named.values() for n in names)}
    order = topological([n for n in tensors if n in on_graph], deps)
    return order + [n for n in tensors if n not in on_graph], deps
