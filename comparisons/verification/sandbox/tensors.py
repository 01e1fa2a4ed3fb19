"""The child's torch side: a custom layer's ``reference`` runs here, autograd through it too.

torch is imported only when a tensor arrives (a custom layer's reference is called), never for
a built-in op: a child that verifies ``linear`` starts with NumPy alone. ``run_reference``
calls the student's reference on tensors (those the parent sent with ``requires_grad``
require it), returns its value and keeps the graph as a handle; ``run_grad`` back-propagates
the parent's upstream gradient through that graph and returns each input's gradient (None
where autograd gives none), so the parent's autograd sees the reference as one function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from comparisons.verification.sandbox.wire import Encoder


class Keeper(Protocol):
    """What keeps objects for later calls (the child)."""

    def keep(self, value: Any) -> dict[str, Any]: ...


def from_values(values: np.ndarray, requires_grad: bool) -> Any:
    """A torch tensor from the values sent (requiring grad if asked and floating)."""
    import torch  # only a custom layer's reference needs torch in the child

    t = torch.from_numpy(values)
    return t.requires_grad_(True) if requires_grad and t.is_floating_point() else t


def node(enc: Encoder, value: Any) -> dict[str, Any]:
    """A tensor the student's code returned, as its NumPy values."""
    arr = value.detach().cpu().numpy()
    return enc.tensor(arr, bool(getattr(value, "requires_grad", False)))


def run_reference(keeper: Keeper, enc: Encoder, fn: Callable[..., Any], args: list[Any],
                  kwargs: dict[str, Any]) -> dict[str, Any]:
    """The reference's value; its graph kept when the value has one."""
    out = fn(*args, **kwargs)
    leaves = [a for a in (*args, *kwargs.values()) if getattr(a, "requires_grad", False)]
    graph = None
    if getattr(out, "grad_fn", None) is not None and leaves:
        graph = keeper.keep((out, leaves))["h"][0]
    return {"value": enc.value(out), "graph": graph}


def run_grad(enc: Encoder, graph: Any, dout: Any) -> dict[str, Any]:
    """d<out, dout>/d(each leaf), None for a leaf the value does not depend on."""
    import torch  # only a custom layer's reference needs torch in the child

    if graph is None:
        raise RuntimeError("the reference's graph is gone (it was used once already)")
    out, leaves = graph
    grads = torch.autograd.grad(out, leaves, torch.as_tensor(dout, dtype=out.dtype),
                                allow_unused=True)
    return {"value": enc.value([None if g is None else g.detach().numpy() for g in grads])}
