"""The torch side of the graph picture: the same network, the same inputs, autograd's graph.

:func:`torch_twin` copies the weights of a handmade ``TwoLayerMLP`` into leaf tensors
(``requires_grad=True``), runs ``reference.two_layer`` on the same ``X``, ``Y`` (and the same
dropout mask, if the model used one), calls ``J.backward()`` and extracts autograd's graph
with the tensors named as in the book (``handmade.network.TWO_LAYER``'s x, y, W1, W2, b1, z,
h, h_drop, o, L, s, J). Every
non-leaf value retains its gradient, so each torch node that made a named tensor carries
dJ/dtensor, ready to be compared with the hand-written gradient of the node of the same name.

Autograd's graph has more nodes than the book's (``TBackward0`` for Wᵀ, ``PowBackward0``,
``SumBackward0``, ``MulBackward0`` inside the penalty) and none for ``x`` and ``y``: they do
not require grad, so autograd does not track them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from comparisons.core.compare import Check, compare
from comparisons.graph.model import Graph
from comparisons.graph.torch_graph import extract_torch_graph, torch_correspondence
from handmade.mlp import TwoLayerMLP
from handmade.network import TWO_LAYER
from reference.mlp import LOSSES, PHIS, two_layer


@dataclass
class TorchTwin:
    """Autograd's graph, the named tensors behind it, and hand name -> torch node name."""

    graph: Graph
    tensors: dict[str, torch.Tensor]
    correspondence: dict[str, str]


def _leaf(array: NDArray[Any], grad: bool) -> torch.Tensor:
    """A float tensor copy of ``array`` (a leaf, requiring grad when ``grad``)."""
    return torch.tensor(np.array(array), requires_grad=grad)


def torch_twin(model: TwoLayerMLP, X: NDArray[Any], Y: NDArray[Any]) -> TorchTwin:
    """Run the torch twin of ``model`` on ``(X, Y)``, backward from J; return its graph.

    Call after :func:`comparisons.graph.record.record_two_layer` so that the model's dropout
    mask (if any) is the one of that run. The model itself is not changed.
    """
    leaves = {"x": _leaf(X, False), "y": _leaf(Y, False),
              "W1": _leaf(model.W1.data, True), "W2": _leaf(model.W2.data, True)}
    if model.b1 is not None:
        leaves["b1"] = _leaf(model.b1.data, True)
    mask = model.mask
    values = two_layer(
        leaves["x"], leaves["y"], leaves["W1"], leaves["W2"], model.lam, PHIS[model.phi],
        loss=LOSSES[model.loss], b1=leaves.get("b1"), p=model.p if mask is not None else 0.0,
        mask=mask,
    )
    values["J"].backward()
    tensors = {**leaves, **values}
    graph = extract_torch_graph(values["J"], tensors)
    return TorchTwin(graph, tensors, torch_correspondence(graph, TWO_LAYER.names))


def gradient_checks(hand: Graph, twin: TorchTwin) -> list[Check]:
    """Compare every hand-written node gradient with autograd's for the same tensor.

    One :class:`Check` per hand node that has a gradient, with the tolerance of the one table
    (``against="autograd"``, the gradient's dtype). A node whose torch counterpart has no
    gradient fails with a message saying so.
    """
    checks: list[Check] = []
    for name, node in hand.nodes.items():
        if node.grad is None:
            continue
        other = twin.correspondence.get(name)
        expected = None if other is None else twin.graph.nodes[other].grad
        if expected is None:
            checks.append(Check("graph", name, str(node.grad.dtype), list(node.grad.shape),
                                "autograd", None, None, False,
                                "no autograd gradient for this tensor"))
            continue
        checks.append(compare(node.grad, expected, name="graph", tensor=name, against="autograd"))
    return checks
