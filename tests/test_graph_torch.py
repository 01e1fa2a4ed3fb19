"""extract_torch_graph: autograd's graph read back by walking grad_fn.next_functions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from comparisons.core.tolerances import tolerance
from comparisons.graph.torch_graph import (
    extract_torch_graph,
    grads_after_repeated_backward,
    torch_correspondence,
)

TOL = tolerance("autograd", np.float64)


def _close(actual: np.ndarray, expected: np.ndarray) -> bool:
    """Named-tolerance comparison (no literal tolerances in tests)."""
    err = float(np.max(np.abs(np.asarray(actual) - expected), initial=0.0))
    return TOL.allows(err, float(np.max(np.abs(expected), initial=0.0)))


def _leaf(gen: torch.Generator, *shape: int, grad: bool = True) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64, requires_grad=grad)


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def test_product_sum_graph_and_grads(gen: torch.Generator) -> None:
    x, W = _leaf(gen, 2, 3), _leaf(gen, 2, 3)
    out = (x * W).sum()
    out.backward()
    g = extract_torch_graph(out, {"x": x, "W": W})
    assert {n.op for n in g.nodes.values()} == {"AccumulateGrad", "MulBackward0", "SumBackward0"}
    assert sorted(g.edges) == [("MulBackward0", "SumBackward0"), ("W", "MulBackward0"),
                               ("x", "MulBackward0")]
    assert g.nodes[g.meta["output"]].kind == "loss" and g.nodes["SumBackward0"].shape == ()
    assert _close(g.nodes["W"].grad, x.detach().numpy())
    assert _close(g.nodes["x"].grad, W.detach().numpy())
    assert g.nodes["W"].shape == (2, 3) and g.nodes["W"].kind == "param"


def test_relu_matmul_ops_and_reach(gen: torch.Generator) -> None:
    x, W = _leaf(gen, 4, 3, grad=False), _leaf(gen, 5, 3)
    out = torch.relu(x @ W.T).sum()
    out.backward()
    g = extract_torch_graph(out, {"x": x, "W": W})
    ops = {n.op for n in g.nodes.values()}
    assert {"MmBackward0", "ReluBackward0", "AccumulateGrad"} <= ops
    mm = next(n for n in g.nodes.values() if n.op == "MmBackward0")
    assert mm.extra["inputs_without_grad"] == 1  # x does not require grad: a None entry
    assert all(n.extra["reaches"] == ["W"] for n in g.nodes.values())
    assert g.meta["not_in_graph"] == ["x"] and "x" not in g.nodes
    xn, wn = x.numpy(), W.detach().numpy()
    expected = ((xn @ wn.T) > 0).T.astype(np.float64) @ xn  # d sum(relu(x W^T)) / dW
    assert _close(g.nodes["W"].grad, expected)


def test_tensor_used_twice_is_one_leaf_with_summed_grad(gen: torch.Generator) -> None:
    x = _leaf(gen, 6)
    out = (x * x + x).sum()
    out.backward()
    g = extract_torch_graph(out, {"x": x})
    leaves = [n for n in g.nodes.values() if n.op == "AccumulateGrad"]
    assert [n.name for n in leaves] == ["x"]
    assert len(g.successors("x")) >= 2  # MulBackward0 and AddBackward0
    assert [e for e in g.edges if e[0] == "x"].count(("x", "MulBackward0")) == 2
    expected = 2 * x.detach().numpy() + 1
    assert _close(x.grad.numpy(), expected) and _close(g.nodes["x"].grad, expected)


def test_retained_non_leaf_tensors_map_to_their_function(gen: torch.Generator) -> None:
    x, W = _leaf(gen, 4, 3, grad=False), _leaf(gen, 5, 3)
    z = x @ W.T
    h = torch.relu(z)
    z.retain_grad()
    out = (h * h).sum()
    out.backward()
    g = extract_torch_graph(out, {"x": x, "W": W, "z": z, "h": h})
    z_node, h_node = g.nodes[g.meta["tensors"]["z"]], g.nodes[g.meta["tensors"]["h"]]
    assert (z_node.op, h_node.op) == ("MmBackward0", "ReluBackward0")
    assert z_node.shape == (4, 5) and _close(z_node.value, z.detach().numpy())
    zn = z.detach().numpy()
    assert _close(z_node.grad, 2 * np.maximum(zn, 0) * (zn > 0))
    assert h_node.grad is None and h_node.extra["retains_grad"] is False
    assert torch_correspondence(g, ["x", "W", "z", "h"]) == {
        "W": "W", "z": z_node.name, "h": h_node.name,
    }


def test_unnamed_leaves_and_output(gen: torch.Generator) -> None:
    a, b = _leaf(gen, 3), _leaf(gen, 3)
    out = (a * 2.0 + b).sum()  # a Python scalar: MulBackward0 gets a None input
    g = extract_torch_graph(out)
    assert sorted(n.name for n in g.nodes.values() if n.op == "AccumulateGrad") == [
        "leaf0", "leaf1",
    ]
    mul = next(n for n in g.nodes.values() if n.op == "MulBackward0")
    assert mul.extra["inputs_without_grad"] == 1 and len(mul.inputs) == 1
    assert g.meta["tensors"]["output"] == g.meta["output"]
    assert all(n.grad is None for n in g.nodes.values())  # no backward() yet


def test_repeated_backward_accumulates(gen: torch.Generator) -> None:
    x, W = _leaf(gen, 2, 3), _leaf(gen, 2, 3)
    (x * W).sum().backward()  # stale gradients: the helper must start from cleared ones
    snaps = grads_after_repeated_backward(lambda: (x * W).sum(), {"x": x, "W": W}, repeats=3)
    assert len(snaps) == 3
    assert _close(snaps[0]["W"], x.detach().numpy())
    for k, snap in enumerate(snaps):
        assert _close(snap["W"], (k + 1) * snaps[0]["W"])
        assert _close(snap["x"], (k + 1) * snaps[0]["x"])


def test_json_norms_are_frobenius(gen: torch.Generator) -> None:
    x, W = _leaf(gen, 2, 3, grad=False), _leaf(gen, 4, 3)
    out = (x @ W.T).pow(2).sum()
    out.backward()
    data = extract_torch_graph(out, {"W": W}).to_json()
    w_row = next(r for r in data["nodes"] if r["name"] == "W")
    assert w_row["shape"] == [4, 3] and w_row["op"] == "AccumulateGrad"
    assert _close(w_row["value_norm"], np.sqrt((W.detach().numpy() ** 2).sum()))
    assert _close(w_row["grad_norm"], np.sqrt((W.grad.numpy() ** 2).sum()))
    names = {r["name"] for r in data["nodes"]}
    assert all(s in names and d in names for s, d in data["edges"])


def test_bad_inputs_raise(gen: torch.Generator) -> None:
    W = _leaf(gen, 3)
    with pytest.raises(ValueError, match="output"):
        extract_torch_graph(W)
    with pytest.raises(ValueError, match="output"):
        extract_torch_graph(np.ones(3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="named"):
        extract_torch_graph(W.sum(), {"W": np.ones(3)})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="repeats"):
        grads_after_repeated_backward(lambda: W.sum(), {"W": W}, repeats=0)
    with pytest.raises(ValueError, match="leaves"):
        grads_after_repeated_backward(lambda: W.sum(), {"W2": W * 2})
