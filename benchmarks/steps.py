"""One training step, hand-written NumPy vs torch eager autograd, on the same weights and data.

A step is forward, loss, backward and an SGD update. The handmade side is
``handmade.Sequential`` of ``Linear``/``ReLU`` with ``CrossEntropyLoss`` or ``MSELoss`` and
``handmade.optim.SGD``; the torch side is the same layers from ``torch.nn`` with
``torch.optim.SGD`` (its default, single-tensor path on CPU). With weight decay, only the
weights are decayed (biases form a second parameter group without it), as in D2L.

Work per step: each linear layer does three matrix products of 2·N·D_in·D_out operations
(forward, dW, dx), except the first layer's dx, which neither side computes (the data needs no
gradient): FLOPs = 4·N·D_0·D_1 + sum over the other layers of 6·N·D_in·D_out.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import handmade as hm
from benchmarks.gemm import gemm
from benchmarks.timing import interleaved, paired_median
from handmade.optim import SGD

LR = 1e-3


@dataclass(frozen=True)
class StepSize:
    """One benchmarked network: layer widths, loss ("ce" or "mse"), batch, weight decay."""

    name: str
    dims: tuple[int, ...]
    loss: str
    batch: int
    weight_decay: float = 0.0

    def flops(self) -> int:
        """Floating-point operations of the step's matrix products, as both sides do them:
        forward, dW and dx (2·N·D_in·D_out each) per layer, except the first layer's dx (its
        input, the data, needs no gradient: torch skips it, the handmade step passes
        ``input_grad=False``)."""
        layers = list(zip(self.dims[:-1], self.dims[1:]))
        return sum((4 if k == 0 else 6) * self.batch * i * o for k, (i, o) in enumerate(layers))


FULL_SIZES = (
    StepSize("784-256-10 CE", (784, 256, 10), "ce", 256),
    StepSize("331-64-1 MSE", (331, 64, 1), "mse", 64),
    StepSize("200-1 L2", (200, 1), "mse", 5, weight_decay=3.0),
)
TINY_SIZES = (
    StepSize("784-256-10 CE", (24, 16, 5), "ce", 8),
    StepSize("331-64-1 MSE", (13, 8, 1), "mse", 8),
    StepSize("200-1 L2", (10, 1), "mse", 3, weight_decay=3.0),
)


def _groups(named: list[tuple[str, Any]], weight_decay: float) -> list[dict[str, Any]]:
    """Two SGD groups: weights (decayed) and biases (not decayed)."""
    weights = [p for n, p in named if n.endswith("weight")]
    biases = [p for n, p in named if n.endswith("bias")]
    return [{"params": weights, "weight_decay": weight_decay},
            {"params": biases, "weight_decay": 0.0}]


def _data(size: StepSize, dtype: np.dtype, rng: np.random.Generator) -> tuple[Any, Any]:
    """Inputs (N, D_0) and targets: int labels for CE, (N, D_last) values for MSE."""
    x = rng.standard_normal((size.batch, size.dims[0])).astype(dtype)
    if size.loss == "ce":
        return x, rng.integers(0, size.dims[-1], size.batch)
    return x, rng.standard_normal((size.batch, size.dims[-1])).astype(dtype)


def handmade_step(size: StepSize, dtype: np.dtype, seed: int) -> tuple[Callable[[], None], Any]:
    """A closure doing one handmade step, and the model (whose weights torch copies)."""
    rng = np.random.default_rng(seed)
    layers: list[hm.Module] = []
    for i, (d_in, d_out) in enumerate(zip(size.dims[:-1], size.dims[1:])):
        layers += [hm.ReLU()] if i else []
        layers.append(hm.Linear(d_in, d_out, rng=rng, dtype=dtype))
    model = hm.Sequential(*layers)
    loss_fn = hm.CrossEntropyLoss() if size.loss == "ce" else hm.MSELoss()
    opt = SGD(_groups(model.named_parameters(), size.weight_decay), lr=LR)
    x, y = _data(size, dtype, rng)

    def step() -> None:
        loss_fn(model(x), y)
        model.backward(loss_fn.backward(1.0), input_grad=False)  # as torch: x needs no grad
        opt.step()

    return step, (model, x, y)


def torch_step(size: StepSize, hand: Any) -> tuple[Callable[[], None], torch.nn.Module]:
    """A closure doing one torch eager step on a copy of the handmade model's weights/data,
    and the torch model."""
    model_h, x, y = hand
    layers: list[torch.nn.Module] = []
    for i, (d_in, d_out) in enumerate(zip(size.dims[:-1], size.dims[1:])):
        layers += [torch.nn.ReLU()] if i else []
        layers.append(torch.nn.Linear(d_in, d_out))
    model = torch.nn.Sequential(*layers).to(torch.from_numpy(x).dtype)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in model_h.state_dict().items()})
    loss_fn = torch.nn.CrossEntropyLoss() if size.loss == "ce" else torch.nn.MSELoss()
    opt = torch.optim.SGD(_groups(list(model.named_parameters()), size.weight_decay), lr=LR)
    xt, yt = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(xt), yt).backward()
        opt.step()

    return step, model


def bench_step(size: StepSize, dtype: np.dtype, *, repeats: int, min_sample: float,
               settle: float = 0.0, gemm_n: int = 1024, seed: int = 0) -> dict[str, Any]:
    """Both sides' median seconds per step, the median of the paired ratios handmade/torch,
    and each side's fraction of the GEMM peak.

    The ``gemm_n`` square product is sampled in turn with the two steps
    (:func:`benchmarks.timing.interleaved`, ``settle`` pause before every sample), so each
    fraction ``(flops / t_step) / (gemm_flops / t_gemm)`` is a median of paired samples taken
    at about the same moment: a slow phase of the shared machine slows both alike, instead of
    a peak measured once at the start of the run standing for the whole run.
    """
    hand, parts = handmade_step(size, np.dtype(dtype), seed)
    other, _ = torch_step(size, parts)
    product, gemm_flops = gemm(gemm_n, dtype)
    th, tt, tg = interleaved([hand, other, product], repeats=repeats, min_sample=min_sample,
                             settle=settle)
    peak_s = [size.flops() * t / gemm_flops for t in tg]  # a step's time at the peak rate
    return {"size": size.name, "dtype": np.dtype(dtype).name, "dims": list(size.dims),
            "batch": size.batch, "loss": size.loss, "weight_decay": size.weight_decay,
            "flops": size.flops(), "handmade_seconds": statistics.median(th),
            "torch_seconds": statistics.median(tt), "ratio": paired_median(th, tt),
            "gemm_gflops": statistics.median(gemm_flops / t / 1e9 for t in tg),
            "handmade_fraction_of_peak": paired_median(peak_s, th),
            "torch_fraction_of_peak": paired_median(peak_s, tt)}


def bench_steps(sizes: tuple[StepSize, ...], *, repeats: int, min_sample: float,
                settle: float = 0.0, gemm_n: int = 1024) -> list[dict[str, Any]]:
    """Every size in float32 and float64 (see :func:`bench_step`)."""
    return [bench_step(size, np.dtype(dtype), repeats=repeats, min_sample=min_sample,
                       settle=settle, gemm_n=gemm_n)
            for size in sizes for dtype in ("float32", "float64")]
