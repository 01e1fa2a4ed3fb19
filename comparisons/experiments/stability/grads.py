"""Per-layer gradient norms of a deep MLP at initialisation, by both engines (D2L section 6).

Network: ``depth`` Linear layers ``d_in -> width -> ... -> width -> n_classes`` with an
activation (tanh or sigmoid) between them, softmax cross-entropy (mean over the batch) on top.
Weights are drawn by ``handmade.init``: ``"xavier_uniform"`` (U(-a, a), a = sqrt(6/(fan_in +
fan_out)), variance 2/(fan_in + fan_out)) or ``"normal"`` (N(0, sigma^2), sigma = 0.01, the
book's default); biases start at 0. The torch twin gets the same numbers via ``load_state_dict``.

For Linear layer l (1-based, input side first) we record

* ``weight_grad_norms[l-1] = ||dL/dW_l||_F`` and
* ``input_grad_norms[l-1] = ||dL/dh_{l-1}||_F``, the backward signal reaching layer l's input
  (h_0 = X).

Backward through one layer multiplies the signal by roughly ``phi'(z) * sigma_W * sqrt(width)``:
about 0.25 * 0.01 * sqrt(128) = 0.03 for sigmoid with N(0, 0.01), 0.11 for tanh with it, and
about 1 for tanh with Xavier, so the signal vanishes towards the input unless the init is scaled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import torch
from numpy.typing import NDArray

import handmade as hm
from comparisons.core.compare import Check, compare
from comparisons.core.tolerances import tolerance

ACTIVATIONS = ("tanh", "sigmoid")
INITS = ("xavier_uniform", "normal")
INIT_LABELS = {"xavier_uniform": "Xavier uniform", "normal": "N(0, 0.01²)"}
SIGMA = 0.01


@dataclass(frozen=True)
class GradNorms:
    """Norms per Linear layer (input side first) from one engine, plus the raw gradients."""

    weight_grad_norms: list[float]
    input_grad_norms: list[float]
    grads: dict[str, NDArray]


def _handmade_activation(name: str) -> hm.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {ACTIVATIONS}, got {name!r}")
    return hm.Tanh() if name == "tanh" else hm.Sigmoid()


def widths(d_in: int, width: int, depth: int, n_classes: int) -> list[int]:
    """Layer sizes ``[d_in, width * (depth - 1), n_classes]`` (depth Linear layers)."""
    if depth < 2 or width < 1:
        raise ValueError(f"depth, width: expected depth >= 2 and width >= 1, got {depth}, {width}")
    return [d_in] + [width] * (depth - 1) + [n_classes]


def build_deep_mlp(
    sizes: list[int], activation: str, init: str, rng: np.random.Generator,
    dtype: Any = np.float64,
) -> hm.Sequential:
    """handmade ``Sequential(Linear, phi, Linear, phi, ..., Linear)``; names as torch's."""
    if init not in INITS:
        raise ValueError(f"init: expected one of {INITS}, got {init!r}")
    mods: list[hm.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        mods.append(hm.Linear(a, b, rng=rng, dtype=dtype, init=init, sigma=SIGMA))
        if i < len(sizes) - 2:
            mods.append(_handmade_activation(activation))
    return hm.Sequential(*mods)


def torch_twin(net: hm.Sequential, activation: str) -> Any:
    """torch.nn.Sequential with the same layers and (copied) parameters as ``net``."""
    layers: list[torch.nn.Module] = []
    for m in net:
        if isinstance(m, hm.Linear):
            out_f, in_f = m.weight.shape
            layers.append(torch.nn.Linear(in_f, out_f))
        else:
            layers.append(torch.nn.Tanh() if activation == "tanh" else torch.nn.Sigmoid())
    first = cast(hm.Linear, net[0])  # the first module is always a Linear
    model = torch.nn.Sequential(*layers).to(torch.from_numpy(first.weight.data).dtype)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    return model


def handmade_gradients(net: hm.Sequential, X: NDArray, y: NDArray) -> GradNorms:
    """Forward, loss, then Sequential's backward walked module by module to keep the signals."""
    loss = hm.CrossEntropyLoss()
    loss(net(X), y)
    dout = loss.backward(1.0)
    signals: dict[str, NDArray] = {}
    for i in reversed(range(len(net))):  # exactly Sequential.backward, one module at a time
        dout = net[i].backward(dout)
        if isinstance(net[i], hm.Linear):
            signals[f"{i}.input"] = dout
    grads = {name: p.grad for name, p in net.named_parameters() if p.grad is not None}
    grads.update(signals)
    return _norms(grads)


def torch_gradients(model: Any, X: NDArray, y: NDArray) -> GradNorms:
    """Autograd of the same loss; each Linear's input keeps its gradient (``retain_grad``)."""
    h = torch.from_numpy(X).requires_grad_(True)
    inputs: dict[str, Any] = {}
    for i, m in enumerate(model):
        if isinstance(m, torch.nn.Linear):
            h.retain_grad()  # a no-op for the leaf X
            inputs[f"{i}.input"] = h
        h = m(h)
    torch.nn.functional.cross_entropy(h, torch.from_numpy(y)).backward()
    grads = {name: p.grad.numpy() for name, p in model.named_parameters()}
    grads.update({k: v.grad.numpy() for k, v in inputs.items()})
    return _norms(grads)


def _norms(grads: dict[str, NDArray]) -> GradNorms:
    """Frobenius norms of the ``*.weight`` and ``*.input`` gradients, layer order."""
    order = sorted({k.split(".")[0] for k in grads}, key=int)
    return GradNorms(
        [float(np.linalg.norm(grads[f"{i}.weight"])) for i in order],
        [float(np.linalg.norm(grads[f"{i}.input"])) for i in order],
        grads,
    )


def compare_engines(hand: GradNorms, ref: GradNorms, label: str) -> list[Check]:
    """One ``compare`` per gradient (weights, biases, signals), handmade vs autograd.

    The absolute part of the tolerance is set to 0: with N(0, 0.01) some gradients are ~1e-15,
    below the table's float64 atol, and would pass vacuously; float rounding is scale-free, so
    the relative rule alone is the meaningful test. Tolerances are those of the gradients' dtype.
    """
    tol = replace(tolerance("autograd", next(iter(ref.grads.values())).dtype), atol=0.0)
    return [compare(hand.grads[k], ref.grads[k], name=label, tensor=k, against="autograd",
                    tol=tol) for k in sorted(ref.grads)]
