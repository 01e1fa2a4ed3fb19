"""Read the graph that torch.autograd built behind a tensor, as a :class:`Graph`.

Autograd records, for every non-leaf tensor, the backward Function that made it
(``tensor.grad_fn``, e.g. ``MmBackward0``); ``fn.next_functions`` lists, per forward input,
the Function producing that input's gradient, or ``None`` for an input that does not require
grad. A leaf tensor with ``requires_grad=True`` appears as an ``AccumulateGrad`` Function whose
``.variable`` is the leaf: it adds the incoming gradient into ``leaf.grad`` (so repeated
``backward()`` calls accumulate). Non-leaf tensors keep no ``.grad`` unless ``retain_grad()``.

Here every Function is one node (deduplicated by identity). Edges are reversed with respect to
``next_functions`` so they point in the data direction: input's Function -> consumer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from comparisons.graph.model import Graph, GraphNode, NodeKind


def _to_numpy(tensor: torch.Tensor | None) -> NDArray[Any] | None:
    """Return a detached NumPy copy of ``tensor`` (None stays None)."""
    if tensor is None:
        return None
    return tensor.detach().cpu().numpy().copy()


def _check_inputs(output: Any, named: dict[str, torch.Tensor] | None) -> dict[str, torch.Tensor]:
    """Validate ``output`` and ``named``; return ``named`` as a plain dict."""
    if not isinstance(output, torch.Tensor):
        raise ValueError(f"output: expected a torch.Tensor, got {type(output).__name__}")
    if output.grad_fn is None:
        raise ValueError(
            f"output: expected a tensor with a grad_fn (built from tensors requiring grad), "
            f"got a leaf with requires_grad={output.requires_grad}"
        )
    named = dict(named or {})
    for key, value in named.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise ValueError(
                f"named: expected str -> torch.Tensor, got {type(key).__name__} -> "
                f"{type(value).__name__} for {key!r}"
            )
    return named


def _walk(root: Any) -> list[Any]:
    """Return every Function reachable from ``root``, inputs before consumers (post-order)."""
    order: list[Any] = []
    done: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        fn, expanded = stack.pop()
        if id(fn) in done:
            continue
        if expanded:
            done.add(id(fn))
            order.append(fn)
            continue
        stack.append((fn, True))
        for nxt, _ in reversed(fn.next_functions):
            if nxt is not None and id(nxt) not in done:
                stack.append((nxt, False))
    return order


def _node_names(fns: list[Any], named: dict[str, torch.Tensor]) -> dict[int, str]:
    """Name each Function: leaves by ``named`` (else leaf0, ...), others by type (#2, #3 ...)."""
    leaf_names = {id(t): k for k, t in named.items() if t.grad_fn is None}
    names: dict[int, str] = {}
    counts: dict[str, int] = {}
    n_leaves = 0
    for fn in fns:
        op = type(fn).__name__
        variable = getattr(fn, "variable", None)
        if variable is not None:
            name = leaf_names.get(id(variable), f"leaf{n_leaves}")
            n_leaves += 1
        else:
            counts[op] = counts.get(op, 0) + 1
            name = op if counts[op] == 1 else f"{op}#{counts[op]}"
        names[id(fn)] = name
    return names


def _make_node(
    fn: Any, names: dict[int, str], aliases: dict[int, tuple[str, torch.Tensor]], is_root: bool
) -> GraphNode:
    """Build the node for one Function: op, inputs, leaf/alias value and gradient."""
    inputs = tuple(names[id(n)] for n, _ in fn.next_functions if n is not None)
    extra: dict[str, Any] = {
        "inputs_without_grad": sum(1 for n, _ in fn.next_functions if n is None),
    }
    variable = getattr(fn, "variable", None)
    tensor: torch.Tensor | None = variable
    if variable is not None:
        extra["leaf"] = True
    elif id(fn) in aliases:
        extra["tensor"], tensor = aliases[id(fn)]
        extra["retains_grad"] = bool(tensor.retains_grad)
    keeps_grad = tensor is not None and (tensor.is_leaf or tensor.retains_grad)
    grad = _to_numpy(tensor.grad) if tensor is not None and keeps_grad else None
    kind: NodeKind = "param" if variable is not None else ("loss" if is_root else "op")
    return GraphNode(
        name=names[id(fn)],
        op=type(fn).__name__,
        inputs=inputs,
        shape=None if tensor is None else tuple(tensor.shape),
        value=_to_numpy(tensor),
        grad=grad,
        kind=kind,
        extra=extra,
    )


def _add_reach(graph: Graph) -> None:
    """Store in ``extra["reaches"]`` the sorted names of the leaves each node depends on."""
    reach: dict[str, set[str]] = {}
    for name in graph.topological_order():
        node = graph.nodes[name]
        leaves = {name} if node.extra.get("leaf") else set()
        for src in node.inputs:
            leaves |= reach[src]
        reach[name] = leaves
        node.extra["reaches"] = sorted(leaves)


def extract_torch_graph(
    output: torch.Tensor, named: dict[str, torch.Tensor] | None = None
) -> Graph:
    """Return autograd's graph behind ``output`` (any tensor with a ``grad_fn``, e.g. a loss).

    Nodes: one per backward Function, ``op`` its type name (``MmBackward0``,
    ``AccumulateGrad``, ...). ``AccumulateGrad`` nodes are named after their leaf via
    ``named`` (else ``leaf0``, ``leaf1`` ...), kind ``"param"``, with the leaf's shape, value
    and current ``.grad``. A named non-leaf tensor (``z`` ...) is attached to the Function that
    produced it: ``extra["tensor"]``, its value and, if retained, its ``.grad``. The output's
    Function has kind ``"loss"`` (tensor name ``"output"`` if unnamed).
    ``extra["inputs_without_grad"]`` counts ``None`` entries of ``next_functions``;
    ``extra["reaches"]`` lists the leaves a node depends on.
    ``meta``: ``"output"`` (node name), ``"tensors"`` (tensor name -> node name) and
    ``"not_in_graph"`` (named tensors autograd does not track, e.g. inputs without grad).
    Call after ``backward()`` to record gradients; the structure outlives ``backward()``.
    """
    named = _check_inputs(output, named)
    fns = _walk(output.grad_fn)
    names = _node_names(fns, named)
    aliases = {id(t.grad_fn): (k, t) for k, t in named.items() if t.grad_fn is not None}
    if id(output.grad_fn) not in aliases and "output" not in named:
        aliases[id(output.grad_fn)] = ("output", output)
    nodes = [_make_node(fn, names, aliases, fn is output.grad_fn) for fn in fns]
    tensors = {n.extra["tensor"]: n.name for n in nodes if "tensor" in n.extra}
    tensors.update({n.name: n.name for n in nodes if n.extra.get("leaf")})
    meta = {
        "output": names[id(output.grad_fn)],
        "tensors": tensors,
        "not_in_graph": sorted(set(named) - set(tensors)),
    }
    graph = Graph.from_nodes(nodes, meta)
    _add_reach(graph)
    return graph


def torch_correspondence(torch_graph: Graph, hand_names: Iterable[str]) -> dict[str, str]:
    """Map each hand-written node name to the torch node holding the same-named tensor.

    Names absent from the torch graph (e.g. ``x`` when it does not require grad) are left out.
    """
    tensors: dict[str, str] = torch_graph.meta.get("tensors", {})
    return {name: tensors[name] for name in hand_names if name in tensors}


def grads_after_repeated_backward(
    build: Callable[[], torch.Tensor], leaves: dict[str, torch.Tensor], repeats: int = 2
) -> list[dict[str, NDArray[Any]]]:
    """Illustrate gradient accumulation: snapshots of ``leaf.grad`` after each ``backward()``.

    Clears the leaves' ``.grad``, builds the scalar once with ``build()``, then calls
    ``backward(retain_graph=True)`` ``repeats`` times. Because ``AccumulateGrad`` adds into
    ``.grad``, snapshot ``k`` equals ``k + 1`` times the first one; call ``zero_grad()`` (or set
    ``.grad = None``) between steps to avoid this. The leaves' ``.grad`` are left accumulated.
    """
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats: expected an int >= 1, got {repeats!r}")
    for key, leaf in leaves.items():
        if not (isinstance(leaf, torch.Tensor) and leaf.is_leaf and leaf.requires_grad):
            raise ValueError(f"leaves: expected leaf tensors requiring grad, got {key!r}")
        leaf.grad = None
    out = build()
    if not isinstance(out, torch.Tensor) or out.numel() != 1:
        raise ValueError(f"build: expected to return a one-element tensor, got {out!r:.60}")
    snapshots: list[dict[str, NDArray[Any]]] = []
    for _ in range(repeats):
        out.backward(retain_graph=True)
        snapshots.append({k: np.array(_to_numpy(t.grad)) for k, t in leaves.items()})
    return snapshots
