"""Central finite differences: the witness that needs no autograd at all.

For a scalar function f and an input x, the derivative along a direction v is

    (f(x + h v) - f(x - h v)) / (2 h)  =  <grad f(x), v> + O(h^2).

With v = e_i (a unit vector) this gives one element of the gradient ("full" mode, one pair of
evaluations per element); for big tensors random directions v ~ N(0, I) test the whole
gradient at once through <grad, v> ("directional" mode). Everything runs in float64.

A vectorised function (``f_batched``, taking a stack of B perturbed inputs ``(B, *x.shape)``
and returning ``(B,)``) lets full mode evaluate many perturbations per call, which is what makes
a full check of a 21k-parameter network affordable.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

DEFAULT_STEP = 1e-6
FULL_CHECK_MAX_ELEMENTS = 400

ScalarFn = Callable[[NDArray[np.float64]], float]
BatchedFn = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def numerical_gradient(
    f: ScalarFn,
    x: NDArray[np.floating],
    *,
    h: float = DEFAULT_STEP,
    f_batched: BatchedFn | None = None,
    batch_size: int = 512,
) -> NDArray[np.float64]:
    """Full central-difference gradient of a scalar ``f`` at ``x``; returns ``x.shape``, float64.

    ``f`` is called with float64 copies of x; ``x`` itself is never modified. With
    ``f_batched`` the 2·x.size evaluations are made ``batch_size`` perturbations at a time.
    """
    x64 = np.array(x, dtype=np.float64)
    if f_batched is not None:
        return _numerical_gradient_batched(f_batched, x64, h, batch_size)
    grad = np.empty(x64.size, dtype=np.float64)
    flat = x64.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = float(f(x64.copy()))
        flat[i] = old - h
        f_minus = float(f(x64.copy()))
        flat[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad.reshape(x64.shape)


def _numerical_gradient_batched(
    f_batched: BatchedFn, x64: NDArray[np.float64], h: float, batch_size: int
) -> NDArray[np.float64]:
    n = x64.size
    grad = np.empty(n, dtype=np.float64)
    for start in range(0, n, batch_size):
        idx = np.arange(start, min(start + batch_size, n))
        stack = np.broadcast_to(x64.reshape(-1), (2 * idx.size, n)).copy()
        stack[np.arange(idx.size), idx] += h
        stack[idx.size + np.arange(idx.size), idx] -= h
        values = np.asarray(f_batched(stack.reshape((2 * idx.size, *x64.shape))), np.float64)
        grad[idx] = (values[: idx.size] - values[idx.size :]) / (2.0 * h)
    return grad.reshape(x64.shape)


def directional_derivatives(
    f: ScalarFn,
    x: NDArray[np.floating],
    directions: NDArray[np.float64],
    *,
    h: float = DEFAULT_STEP,
) -> NDArray[np.float64]:
    """Central differences of ``f`` at ``x`` along each direction; directions: (K, *x.shape)."""
    x64 = np.array(x, dtype=np.float64)
    out = np.empty(len(directions), dtype=np.float64)
    for k, v in enumerate(directions):
        out[k] = (float(f(x64 + h * v)) - float(f(x64 - h * v))) / (2.0 * h)
    return out


def random_directions(
    shape: tuple[int, ...], count: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """``count`` random unit-norm directions of ``shape``: (count, *shape), float64."""
    v = rng.standard_normal((count, *shape))
    norms = np.sqrt(np.sum(v.reshape(count, -1) ** 2, axis=1)).reshape((count,) + (1,) * len(shape))
    return v / norms


def project(grad: NDArray[np.floating], directions: NDArray[np.float64]) -> NDArray[np.float64]:
    """<grad, v_k> for each direction: the analytic side of a directional check, (K,)."""
    g = np.asarray(grad, dtype=np.float64).reshape(-1)
    return directions.reshape(len(directions), -1) @ g
