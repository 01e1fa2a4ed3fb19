"""The numbers of D2L section 6 (numerical stability and initialisation), engine by engine.

* :func:`sigmoid_curve`: sigma(x) = 1 / (1 + exp(-x)) and sigma'(x) = sigma(x) (1 - sigma(x)) on
  x = -8, -7.9, ..., 7.9 (the book's ``arange(-8, 8, 0.1)``); sigma' peaks at 1/4 at x = 0 and
  falls below 4e-4 at |x| = 8, so gradients through a saturated sigmoid vanish.
* :func:`matrix_product_growth`: M_0 ~ N(0, 1)^(4x4), M_k = M_{k-1} A_k with A_k ~ N(0, 1)^(4x4);
  log10 max|M_k| grows roughly linearly in k (about 0.24 decades per factor for 4x4), reaching
  entries of 1e23-1e26 after 100 factors: exploding products.
* :func:`gradient_norm_run`: per-layer gradient norms of a deep MLP at initialisation (see
  :mod:`comparisons.experiments.stability.grads`).

Every function takes its generator (or seed) explicitly; engines are "handmade", "torch" or
"both" (both computed and compared with the one ``compare`` helper, autograd tolerances).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from comparisons.core.compare import Check, compare
from comparisons.data.digits import load_digits_split
from comparisons.experiments.common import floats
from comparisons.experiments.stability import grads as sg
from handmade.activations import sigmoid_backward, sigmoid_forward


def sigmoid_grid(start: float = -8.0, stop: float = 8.0, step: float = 0.1) -> NDArray:
    """``start, start + step, ...`` below ``stop`` (float64), as ``torch.arange``."""
    n = int(np.ceil((stop - start) / step))
    return start + step * np.arange(n, dtype=np.float64)


def _sigmoid_handmade(x: NDArray) -> tuple[NDArray, NDArray]:
    out, cache = sigmoid_forward(x)
    return out, sigmoid_backward(np.ones_like(x), cache)


def _sigmoid_torch(x: NDArray) -> tuple[NDArray, NDArray]:
    t = torch.from_numpy(x).requires_grad_(True)
    out = torch.sigmoid(t)
    out.backward(torch.ones_like(t))
    assert t.grad is not None  # backward filled the leaf's gradient
    return out.detach().numpy(), t.grad.numpy()


def sigmoid_curve(engines: tuple[str, ...],
                  dtype: Any = np.float64) -> tuple[dict[str, Any], list[Check]]:
    """sigma and sigma' on the grid by each engine (``by_engine``); top-level values are the
    first engine's. With two engines both tensors are compared (forward, autograd rules)."""
    x = sigmoid_grid().astype(dtype)
    found = {e: (_sigmoid_handmade if e == "handmade" else _sigmoid_torch)(x) for e in engines}
    value, grad = found[engines[0]]
    checks: list[Check] = []
    if len(engines) == 2:
        (hv, hg), (tv, tg) = found["handmade"], found["torch"]
        checks = [compare(hv, tv, name="sigmoid", tensor="sigma(x)", against="forward"),
                  compare(hg, tg, name="sigmoid", tensor="dsigma/dx", against="autograd")]
    data = {"x": floats(x), "sigmoid": floats(value), "grad": floats(grad),
            "grad_max": float(grad.max()), "grad_at_edges": float(max(grad[0], grad[-1])),
            "engine": engines[0],
            "by_engine": {e: {"sigmoid": floats(v), "grad": floats(g)}
                          for e, (v, g) in found.items()}}
    return data, checks


def matrix_product_growth(rng: np.random.Generator, n_factors: int = 100,
                          size: int = 4) -> NDArray:
    """``log10 max|M_k|`` for k = 0..n_factors (shape (n_factors + 1,)), float64 NumPy."""
    if n_factors < 1 or size < 1:
        raise ValueError(f"n_factors, size: expected >= 1, got {n_factors}, {size}")
    M = rng.normal(size=(size, size))
    logs = [np.log10(np.abs(M).max())]
    for _ in range(n_factors):
        M = M @ rng.normal(size=(size, size))
        logs.append(np.log10(np.abs(M).max()))
    return np.asarray(logs)


def digits_batch(rng: np.random.Generator, batch: int) -> tuple[NDArray, NDArray]:
    """``batch`` training rows of the digits (X in [0, 1], (batch, 64); y int (batch,))."""
    split = load_digits_split(rng)
    if not 1 <= batch <= len(split.y_train):
        raise ValueError(f"batch: expected 1..{len(split.y_train)}, got {batch}")
    idx = rng.choice(len(split.y_train), size=batch, replace=False)
    return split.X_train[idx], split.y_train[idx]


def gradient_norm_run(
    seed: int, activation: str, init: str, engines: tuple[str, ...], *,
    depth: int = 10, width: int = 128, batch: int = 256, dtype: Any = np.float64,
) -> tuple[dict[str, Any], list[Check]]:
    """One network (init and batch from ``seed``), one backward per engine.

    The row holds the first engine's ``weight_grad_norms`` and ``input_grad_norms`` (and every
    engine's under ``by_engine``), ``first_to_last_ratio = ||dW_1|| / ||dW_depth||`` and
    ``signal_ratio = ||dL/dX|| / ||dL/dh_{depth-1}||`` (how much weaker the input side is).
    """
    data_ss, init_ss = np.random.SeedSequence(seed).spawn(2)
    X, y = digits_batch(np.random.default_rng(data_ss), batch)
    X = X.astype(dtype)
    sizes = sg.widths(X.shape[1], width, depth, 10)
    net = sg.build_deep_mlp(sizes, activation, init, np.random.default_rng(init_ss), dtype)
    found: dict[str, sg.GradNorms] = {}
    if "torch" in engines:
        found["torch"] = sg.torch_gradients(sg.torch_twin(net, activation), X, y)
    if "handmade" in engines:
        found["handmade"] = sg.handmade_gradients(net, X, y)
    label = f"{activation}/{init}/seed {seed}"
    checks = (sg.compare_engines(found["handmade"], found["torch"], label)
              if len(found) == 2 else [])
    w, s = found[engines[0]].weight_grad_norms, found[engines[0]].input_grad_norms
    row = {"activation": activation, "init": init, "seed": seed, "engine": engines[0],
           "weight_grad_norms": w, "input_grad_norms": s,
           "first_to_last_ratio": w[0] / w[-1], "signal_ratio": s[0] / s[-1],
           "by_engine": {e: {"weight_grad_norms": g.weight_grad_norms,
                             "input_grad_norms": g.input_grad_norms} for e, g in found.items()}}
    return row, checks
