"""Gradient checking of a whole network: the project's batched central differences vs
``torch.autograd.gradcheck`` (slow and fast modes), on one function of all the parameters.

The function is the 331-64-1 network's MSE loss on a fixed batch, as a function of the flat
vector theta of its P = 21,313 parameters (W1, b1, W2, b2), in float64. Every check is judged
against torch autograd's gradient of the same function:

* project: :func:`comparisons.finite_diff.numerical_gradient` with a vectorised ``f_batched``
  (a stack of B perturbed parameter vectors evaluated in one forward: the first layer as one
  (B·H, D) @ (D, N) product); 2·P evaluations, step h = 1e-6. Error: max |fd - autograd|.
* gradcheck slow mode: one forward per perturbed element (eps = 1e-6); it answers pass/fail
  only, so its error is that of its own numerical Jacobian (the same deprecated-but-public
  ``torch.autograd.gradcheck.get_numerical_jacobian``, computed again outside the timing).
* gradcheck fast mode: checks one random projection u^T J v; its error is recomputed here as
  |(f(θ+εv) - f(θ-εv))/(2ε) - g·v| for a random unit v (the quantity fast mode compares).
"""

from __future__ import annotations

import importlib
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from comparisons.finite_diff import numerical_gradient
from comparisons.tolerances import tolerance

EPS = 1e-6
# ``torch.autograd.gradcheck`` the attribute is the function; the module holds the helpers.
get_numerical_jacobian = importlib.import_module("torch.autograd.gradcheck").get_numerical_jacobian


@dataclass(frozen=True)
class Network:
    """A one-hidden-layer ReLU network's MSE loss as a function of flat parameters."""

    x: np.ndarray
    y: np.ndarray
    hidden: int

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """Shapes of W1 (H, D), b1 (H,), W2 (O, H), b2 (O,)."""
        d, o = self.x.shape[1], self.y.shape[1]
        return [(self.hidden, d), (self.hidden,), (o, self.hidden), (o,)]

    @property
    def size(self) -> int:
        """P, the number of parameters."""
        return sum(int(np.prod(s)) for s in self.shapes)

    def split(self, theta: Any) -> list[Any]:
        """Views of W1, b1, W2, b2 in a (..., P) array or tensor (leading batch dims kept)."""
        parts, start = [], 0
        lead = tuple(theta.shape[:-1])
        for shape in self.shapes:
            k = int(np.prod(shape))
            parts.append(theta[..., start:start + k].reshape(lead + shape))
            start += k
        return parts

    def loss_batched(self, stack: np.ndarray) -> np.ndarray:
        """Loss at each of B parameter vectors: stack (B, P) -> (B,), in one vectorised pass."""
        b, (n, d) = stack.shape[0], self.x.shape
        w1, b1, w2, b2 = self.split(stack)
        z = (np.ascontiguousarray(w1).reshape(b * self.hidden, d) @ self.x.T)
        h = np.maximum(z.reshape(b, self.hidden, n) + b1[:, :, None], 0)
        out = np.matmul(w2, h) + b2[:, :, None]  # (B, O, N)
        diff = out - self.y.T[None]
        return np.mean(diff * diff, axis=(1, 2))

    def loss_torch(self, theta: torch.Tensor) -> torch.Tensor:
        """The same loss with torch ops, differentiable in theta (P,)."""
        w1, b1, w2, b2 = self.split(theta)
        x, y = torch.from_numpy(self.x), torch.from_numpy(self.y)
        out = torch.relu(x @ w1.T + b1) @ w2.T + b2
        return torch.mean((out - y) ** 2)


def make_network(dims: tuple[int, int, int], batch: int, seed: int = 0) -> tuple[Network, Any]:
    """The network on random data, and theta with torch.nn.Linear's default init scale."""
    rng = np.random.default_rng(seed)
    d, h, o = dims
    net = Network(rng.standard_normal((batch, d)), rng.standard_normal((batch, o)), h)
    bounds = [1 / np.sqrt(d)] * 2 + [1 / np.sqrt(h)] * 2
    theta = np.concatenate([rng.uniform(-b, b, int(np.prod(s))).ravel()
                            for b, s in zip(bounds, net.shapes)])
    return net, theta


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _fd(net: Network, theta: np.ndarray, batch_size: int) -> tuple[float, np.ndarray]:
    """Seconds and gradient of the project's full batched central-difference check."""
    net.loss_batched(np.tile(theta, (2 * batch_size, 1)))  # warm-up (allocations, BLAS)
    return _timed(lambda: numerical_gradient(
        lambda v: float(net.loss_batched(v[None])[0]), theta, h=EPS,
        f_batched=net.loss_batched, batch_size=batch_size))


def _fast_projection_error(net: Network, t: torch.Tensor, grad: np.ndarray) -> float:
    """|central difference along a random unit v - <grad, v>|: what fast mode compares."""
    v = torch.randn(t.shape, generator=torch.Generator().manual_seed(0), dtype=t.dtype)
    v /= v.norm()
    with torch.no_grad():
        num = (net.loss_torch(t + EPS * v) - net.loss_torch(t - EPS * v)) / (2 * EPS)
    return abs(float(num) - float(np.dot(grad, v.numpy())))


def _slow_numerical(net: Network, t: torch.Tensor) -> np.ndarray:
    """gradcheck slow mode's numerical Jacobian (one row: the gradient), via torch's API."""
    t = t.detach().clone().requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jac = get_numerical_jacobian(lambda inputs: net.loss_torch(inputs[0]), (t,), eps=EPS)
    return jac[0].detach().reshape(-1).numpy()


def bench_gradcheck(dims: tuple[int, int, int], batch: int, *, fd_batch_size: int,
                    repeats: int) -> dict[str, Any]:
    """Time and largest error of the three checks on the same function."""
    net, theta = make_network(dims, batch)
    t = torch.from_numpy(theta.copy()).requires_grad_(True)
    grad = torch.autograd.grad(net.loss_torch(t), t)[0].numpy()
    scale = float(np.max(np.abs(grad)))
    fd_runs = [_fd(net, theta, fd_batch_size) for _ in range(repeats)]
    fd_seconds = float(np.median([s for s, _ in fd_runs]))
    fd_err = float(np.max(np.abs(fd_runs[0][1] - grad)))

    def gradcheck(fast: bool) -> bool:
        return torch.autograd.gradcheck(net.loss_torch, (t,), eps=EPS, fast_mode=fast,
                                        raise_exception=False)

    gradcheck(True)  # warm-up
    fast = [_timed(lambda: gradcheck(True)) for _ in range(repeats)]
    slow_seconds, slow_ok = _timed(lambda: gradcheck(False))
    slow_err = float(np.max(np.abs(_slow_numerical(net, t) - grad)))
    return {
        "dims": list(dims), "batch": batch, "parameters": net.size, "dtype": "float64",
        "eps": EPS, "fd_batch_size": fd_batch_size, "max_abs_grad": scale,
        "fd": {"seconds": fd_seconds, "max_abs_err": fd_err, "max_rel_err": fd_err / scale,
               "passed": tolerance("finite_differences").allows(fd_err, scale)},
        "gradcheck_slow": {"seconds": slow_seconds, "passed": bool(slow_ok),
                           "max_abs_err": slow_err, "max_rel_err": slow_err / scale},
        "gradcheck_fast": {"seconds": float(np.median([s for s, _ in fast])),
                           "passed": bool(fast[0][1]),
                           "projection_err": _fast_projection_error(net, t.detach(), grad)},
        "speedup_vs_slow": slow_seconds / fd_seconds,
        "speedup_vs_fast": float(np.median([s for s, _ in fast])) / fd_seconds,
    }
