"""The hand-written two-layer network records its computational graph as it runs.

:func:`record_two_layer` runs ``handmade.TwoLayerMLP`` forward and backward once and turns
what the run kept (``model.values`` and the dict returned by ``backward()``) into a
:class:`~comparisons.graph.model.Graph` with the nodes and edges of the network's one
description, ``handmade.network.TWO_LAYER``::

    x, W1 -> z -> h;   h, W2 -> o;   o, y -> L;   W1, W2 -> s;   L, s -> J

Each node holds its forward value and, after backward, its gradient dJ/dnode: J, L and s get
``dJ = 1``; o, W2, h, z, W1 get ``do, dW2, dh, dz, dW1`` exactly as the handmade backward
returned them (nothing is recomputed here). ``x`` and ``y`` are data: no gradient.

Bias (the book's exercise 2): ``b1`` feeds z (``z = x W1ᵀ + b1``) and is not regularised,
so there is no edge ``b1 -> s``; its gradient is ``db1``.

Dropout: the book's graph has none and ``backprop-lab graph`` never turns it on. A model that
did apply a dropout mask is still recorded faithfully: an extra node ``h_drop`` (op
``dropout``) sits between h and o and carries ``dh_drop``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.graph.model import Graph, GraphNode, NodeKind
from handmade.activations import PAIRS
from handmade.mlp import TwoLayerMLP
from handmade.network import TWO_LAYER

ACTIVATIONS = tuple(PAIRS)  # handmade's pairs: the declarations' "activation" family
DIMS = {"N": 4, "d": 3, "h": 5, "q": 2}  # small enough to read, big enough to be a minibatch


def make_network(
    rng: np.random.Generator, *, activation: str = "relu", lam: float = 0.1,
    bias: bool = False, dims: dict[str, int] | None = None, sigma: float = 0.7,
) -> tuple[TwoLayerMLP, NDArray[np.float64], NDArray[np.float64]]:
    """Return ``(model, X, Y)``: a float64 ``TwoLayerMLP`` (MSE loss) and a minibatch.

    Weights are N(0, sigma²) (sigma 0.7 keeps the numbers in the pictures readable), b1 is
    N(0, 0.5²) rather than 0 so that its value shows; X (N, d) and Y (N, q) are standard
    normal. Everything is drawn from ``rng``: same seed, same network.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {ACTIVATIONS}, got {activation!r}")
    dims = {**DIMS, **(dims or {})}
    model = TwoLayerMLP(
        dims["d"], dims["h"], dims["q"], phi=activation, loss="mse", lam=lam, bias=bias,
        rng=rng, dtype=np.float64, sigma=sigma,
    )
    if model.b1 is not None:
        model.b1.data = rng.normal(0.0, 0.5, size=dims["h"])
    X = rng.normal(size=(dims["N"], dims["d"]))
    Y = rng.normal(size=(dims["N"], dims["q"]))
    return model, X, Y


KINDS: dict[str, NodeKind] = {"input": "input", "parameter": "param", "intermediate": "op",
                              "objective": "loss"}  # handmade.network's kind -> the graph's


def _node(
    name: str, op: str, inputs: tuple[str, ...], value: Any, grad: Any, kind: NodeKind
) -> GraphNode:
    """One recorded node (kind: input, param, op or loss)."""
    grad = None if grad is None else np.asarray(grad)
    return GraphNode(name, op, inputs, value=np.asarray(value), grad=grad, kind=kind)


def record_two_layer(model: TwoLayerMLP, X: NDArray[Any], Y: NDArray[Any]) -> Graph:
    """Run ``model`` forward on ``(X, Y)`` and backward from ``dJ = 1``; return its graph.

    The nodes and edges are ``handmade.network.TWO_LAYER`` with the model's parts, in forward
    order: x, W1, (b1), z, h, (h_drop), W2, o, y, L, s, J. ``op`` names the operation
    (``linear``, the activation, ``dropout``, ``mse``, ``l2_penalty``, ``add``); ``meta``
    records the configuration (activation, lam, bias, dropout, dims).
    """
    model.forward(X, Y)
    grads = model.backward(1.0)
    v = model.values
    one = np.ones((), dtype=v["J"].dtype)  # dJ/dJ = dJ/dL = dJ/ds = 1
    b1 = model.b1
    dropped = model.mask is not None
    net = TWO_LAYER.configured(bias=b1 is not None, dropout=dropped)
    data = {"x": X, "y": Y}
    ops = {"phi": model.phi, "loss": model.loss}
    nodes: list[GraphNode] = []
    for n in net.nodes:
        if n.kind == "input":
            value, grad = data[n.name], None
        else:
            value = getattr(model, n.name).data if n.kind == "parameter" else v[n.name]
            grad = one if n.grad is None else grads[n.grad]
        nodes.append(_node(n.name, ops.get(n.op, n.op), n.inputs, value, grad, KINDS[n.kind]))
    meta = {"activation": model.phi, "lam": model.lam, "bias": b1 is not None,
            "dropout": model.p if dropped else 0.0,
            "dims": {"N": X.shape[0], "d": X.shape[1], "h": model.W1.shape[0],
                     "q": model.W2.shape[0]}}
    return Graph.from_nodes(nodes, meta)
