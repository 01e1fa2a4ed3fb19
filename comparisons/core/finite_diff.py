"""Central finite differences: the witness that needs no autograd at all.

For a scalar function f and an input x, the derivative along a direction v is

    (f(x + h v) - f(x - h v)) / (2 h)  =  <grad f(x), v> + O(h^2).

With v = e_i (a unit vector) this gives one element of the gradient ("full" mode, one pair of
evaluations per element); for big tensors random unit directions v = u / ||u||, u ~ N(0, I)
(uniform on the sphere, so the step h moves x by exactly h whatever the size) test the whole
gradient at once through <grad, v> ("directional" mode). Everything runs in float64.

Full mode can evaluate many perturbations per call, which is what makes a full check of a
21k-parameter network affordable, through one of two vectorised forms of f:

* ``f_batched(stack)``: a stack of B perturbed copies ``(B, *x.shape)`` -> ``(B,)``. Simple,
  but the harness builds B full copies of x per call (O(B·x.size) memory traffic).
* ``f_indexed(x64, idx, offsets)``: the base point x64 (x.shape, read-only), flat indices
  idx (K,) and offsets (K,) -> ``(K,)``, value k being f at x64 with only
  ``x64.flat[idx[k]] += offsets[k]``. Nothing of size x.size is built per call, and f can
  use the structure of a one-entry change (e.g. update a cached product instead of redoing it).

Either way a batch of B indices i is evaluated as idx = (i, i), offsets = (+h,...,-h,...), and
grad[i] = (values[:B] - values[B:]) / (2 h).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

DEFAULT_STEP = 1e-6
FULL_CHECK_MAX_ELEMENTS = 400

ScalarFn = Callable[[NDArray[np.float64]], float]
BatchedFn = Callable[[NDArray[np.float64]], NDArray[np.float64]]
IndexedFn = Callable[
    [NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]], NDArray[np.float64]
]


def numerical_gradient(
    f: ScalarFn,
    x: NDArray[np.floating],
    *,
    h: float = DEFAULT_STEP,
    f_batched: BatchedFn | None = None,
    f_indexed: IndexedFn | None = None,
    batch_size: int = 512,
) -> NDArray[np.float64]:
    """Full central-difference gradient of a scalar ``f`` at ``x``; returns ``x.shape``, float64.

    ``f`` is called with float64 copies of x; ``x`` itself is never modified. With
    ``f_batched`` or ``f_indexed`` (at most one; see the module docstring) the 2·x.size
    evaluations are made ``batch_size`` perturbations (2·batch_size values) per call.
    """
    if f_batched is not None and f_indexed is not None:
        raise ValueError("give at most one of f_batched and f_indexed, not both")
    x64 = np.array(x, dtype=np.float64)
    if f_indexed is not None:
        return _numerical_gradient_indexed(f_indexed, "f_indexed", x64, h, batch_size)
    if f_batched is not None:
        return _numerical_gradient_indexed(_stacked(f_batched), "f_batched", x64, h, batch_size)
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


def _stacked(f_batched: BatchedFn) -> IndexedFn:
    """``f_batched`` as an indexed function: builds the (K, *x.shape) stack of perturbed copies."""

    def f_indexed(
        x64: NDArray[np.float64], idx: NDArray[np.int64], offsets: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        stack = np.broadcast_to(x64.reshape(-1), (idx.size, x64.size)).copy()
        stack[np.arange(idx.size), idx] += offsets
        return f_batched(stack.reshape((idx.size, *x64.shape)))

    return f_indexed


def _numerical_gradient_indexed(
    f_indexed: IndexedFn, name: str, x64: NDArray[np.float64], h: float, batch_size: int
) -> NDArray[np.float64]:
    """The batched loop: per call idx = (i, i), offsets = (+h, -h) for a batch i of indices."""
    if batch_size < 1:
        raise ValueError(f"batch_size: expected a positive integer, got {batch_size}")
    base = x64.view()
    base.flags.writeable = False  # f must not change the base point
    n = x64.size
    grad = np.empty(n, dtype=np.float64)
    for start in range(0, n, batch_size):
        batch = np.arange(start, min(start + batch_size, n), dtype=np.int64)
        k = batch.size
        idx = np.concatenate([batch, batch])
        offsets = np.concatenate([np.full(k, h), np.full(k, -h)])
        values = np.asarray(f_indexed(base, idx, offsets), np.float64)
        if values.shape != (2 * k,):
            raise ValueError(f"{name}: expected values of shape {(2 * k,)}, got {values.shape}")
        grad[batch] = (values[:k] - values[k:]) / (2.0 * h)
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
