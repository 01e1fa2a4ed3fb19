"""Gradient checking of a whole network: the project's batched central differences vs
``torch.autograd.gradcheck`` (slow and fast modes), on one function of all the parameters
(:mod:`benchmarks.fd_network`: the 331-64-1 MSE loss of P = 21,313 parameters, float64).
Every check is judged against torch autograd's gradient of the same function:

* project FD: :func:`comparisons.core.finite_diff.numerical_gradient` (2·P evaluations, step
  h = 1e-6, ``fd_batch_size`` perturbations per call), in three forms. ``fd`` (the headline)
  passes ``f_indexed`` = :meth:`~benchmarks.fd_network.Network.loss_perturbed`: the harness
  hands over indices and ±h, and the first layer is updated one row per perturbation
  (N operations per perturbed weight). ``fd_stack`` passes ``f_batched``: the harness builds
  the (2B, P) stacks of perturbed vectors and the first layer scans each stack for the
  changed entries before the same update. ``fd_dense`` passes the same stacks to one dense
  batched product. ``harness_fraction`` is the share of the time spent outside the function
  (in ``numerical_gradient`` itself). Error: max |fd - autograd|.
* gradcheck slow mode: one forward pair per perturbed element (eps = 1e-6). On all P
  parameters it takes minutes here, so by default it is timed on two random subsets of
  columns (the loss as a function of theta[idx], the rest fixed) and extrapolated to P along
  the straight line through the two timings (``extrapolated: true`` in the JSON, labelled in
  the table). It answers pass/fail only, so its error is that of its own numerical Jacobian
  (``get_numerical_jacobian``, computed outside the timing) on the larger subset; the FD
  error on the same columns is reported beside it for a like-for-like comparison.
* gradcheck fast mode: checks one random projection u^T J v; its error is recomputed here as
  |(f(θ+εv) - f(θ-εv))/(2ε) - g·v| for a random unit v (the quantity fast mode compares).
"""

from __future__ import annotations

import importlib
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from benchmarks.fd_network import Network, make_network
from comparisons.core.finite_diff import numerical_gradient
from comparisons.core.tolerances import tolerance

EPS = 1e-6
# ``torch.autograd.gradcheck`` the attribute is the function; the module holds the helpers.
get_numerical_jacobian = importlib.import_module("torch.autograd.gradcheck").get_numerical_jacobian


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(wall seconds, value) of one call of ``fn``."""
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _fd_once(net: Network, theta: np.ndarray, batch_size: int, form: str,
             fn: Callable[..., np.ndarray]) -> tuple[float, float, np.ndarray]:
    """(total seconds, seconds inside ``fn``, gradient) of one full FD check, ``fn`` passed as
    ``form`` ("f_indexed" or "f_batched") to :func:`numerical_gradient`."""
    inside = [0.0]

    def timed_fn(*args: np.ndarray) -> np.ndarray:
        seconds, value = _timed(lambda: fn(*args))
        inside[0] += seconds
        return value

    idx = np.arange(2 * batch_size) % theta.size  # warm-up (allocations, BLAS)
    if form == "f_indexed":
        fn(theta, idx, np.full(idx.size, EPS))
    else:
        fn(np.tile(theta, (idx.size, 1)))
    total, grad = _timed(lambda: numerical_gradient(
        lambda v: float(net.loss_batched(v[None])[0]), theta, h=EPS, batch_size=batch_size,
        **{form: timed_fn}))
    return total, inside[0], grad


def _fd(net: Network, theta: np.ndarray, grad: np.ndarray, batch_size: int, repeats: int,
        form: str, fn: Callable[..., np.ndarray]) -> dict[str, Any]:
    """Median time, harness share and error (vs autograd's ``grad``) of the FD check."""
    runs = [_fd_once(net, theta, batch_size, form, fn) for _ in range(repeats)]
    err = float(np.max(np.abs(runs[0][2] - grad)))
    scale = float(np.max(np.abs(grad)))
    return {"seconds": statistics.median(r[0] for r in runs),
            "harness_fraction": statistics.median(1 - r[1] / r[0] for r in runs),
            "max_abs_err": err, "max_rel_err": err / scale,
            "passed": tolerance("finite_differences").allows(err, scale), "gradient": runs[0][2]}


def _fast_projection_error(net: Network, t: torch.Tensor, grad: np.ndarray) -> float:
    """|central difference along a random unit v - <grad, v>|: what fast mode compares."""
    v = torch.randn(t.shape, generator=torch.Generator().manual_seed(0), dtype=t.dtype)
    v /= v.norm()
    with torch.no_grad():
        num = (net.loss_torch(t + EPS * v) - net.loss_torch(t - EPS * v)) / (2 * EPS)
    return abs(float(num) - float(np.dot(grad, v.numpy())))


def _on_columns(net: Network, theta: np.ndarray, idx: np.ndarray) -> Callable[..., Any]:
    """The loss as a function of theta[idx] only (the rest fixed at theta), for torch."""
    base, index = torch.from_numpy(theta.copy()), torch.from_numpy(idx)
    return lambda sub: net.loss_torch(base.index_put((index,), sub))


def _slow(net: Network, theta: np.ndarray, idx: np.ndarray) -> tuple[float, bool, np.ndarray]:
    """gradcheck slow mode on the columns ``idx``: (seconds, passed, its numerical gradient).

    The numerical gradient (for the error) is gradcheck's own numerical Jacobian, through
    torch's deprecated-but-public ``get_numerical_jacobian``, computed outside the timing.
    """
    f = _on_columns(net, theta, idx)
    t = torch.from_numpy(theta[idx].copy()).requires_grad_(True)
    seconds, ok = _timed(lambda: torch.autograd.gradcheck(f, (t,), eps=EPS,
                                                          raise_exception=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jac = get_numerical_jacobian(lambda inputs: f(inputs[0]), (t,), eps=EPS)
    return seconds, bool(ok), jac[0].detach().reshape(-1).numpy()


def _gradcheck_slow(net: Network, theta: np.ndarray, grad: np.ndarray,
                    columns: tuple[int, int] | None) -> dict[str, Any]:
    """Slow mode on all P columns (``columns`` None), or timed on two random column subsets
    K1 < K2 and extrapolated to P with the straight line through them (fixed + per-column
    cost); its error is then measured on the K2 columns."""
    p = theta.size
    if columns is None or columns[1] >= p:
        idx = np.arange(p)
        seconds, ok, num = _slow(net, theta, idx)
        return {"seconds": seconds, "extrapolated": False, "passed": ok, "columns": idx,
                "max_abs_err": float(np.max(np.abs(num - grad)))}
    rng = np.random.default_rng(1)
    small, large = (np.sort(rng.choice(p, k, replace=False)) for k in columns)
    t1, _, _ = _slow(net, theta, small)
    t2, ok, num = _slow(net, theta, large)
    per_column = (t2 - t1) / (columns[1] - columns[0])
    return {"seconds": t1 + per_column * (p - columns[0]), "extrapolated": True,
            "columns_timed": list(columns), "seconds_timed": [t1, t2], "passed": ok,
            "columns": large, "max_abs_err": float(np.max(np.abs(num - grad[large])))}


def _gradchecks(net: Network, theta: np.ndarray, grad: np.ndarray, repeats: int,
                columns: tuple[int, int] | None) -> dict[str, Any]:
    """torch gradcheck fast mode (all of theta, median of ``repeats``) and slow mode."""
    t = torch.from_numpy(theta.copy()).requires_grad_(True)

    def fast() -> bool:
        return torch.autograd.gradcheck(net.loss_torch, (t,), eps=EPS, fast_mode=True,
                                        raise_exception=False)

    fast()  # warm-up
    runs = [_timed(fast) for _ in range(repeats)]
    slow = _gradcheck_slow(net, theta, grad, columns)
    slow["max_rel_err"] = slow["max_abs_err"] / float(np.abs(grad).max())
    return {"gradcheck_slow": slow,
            "gradcheck_fast": {"seconds": statistics.median(s for s, _ in runs),
                               "passed": bool(runs[0][1]),
                               "projection_err": _fast_projection_error(net, t.detach(), grad)}}


def bench_gradcheck(dims: tuple[int, int, int], batch: int, *, fd_batch_size: int,
                    repeats: int, slow_columns: tuple[int, int] | None) -> dict[str, Any]:
    """Time and largest error of every check on the same function, and the speed-ups.

    ``slow_columns``: None runs gradcheck slow mode on all parameters; (K1, K2) times it on
    K1 and K2 random columns and extrapolates (see :func:`_gradcheck_slow`).
    """
    net, theta = make_network(dims, batch)
    t = torch.from_numpy(theta.copy()).requires_grad_(True)
    grad = torch.autograd.grad(net.loss_torch(t), t)[0].numpy()
    around = net.expansion_point(theta)
    fd_args = (net, theta, grad, fd_batch_size)
    fd = _fd(*fd_args, repeats, "f_indexed",
             lambda x, i, o: net.loss_perturbed(x, i, o, around))
    result: dict[str, Any] = {
        "dims": list(dims), "batch": batch, "parameters": net.size, "dtype": "float64",
        "eps": EPS, "fd_batch_size": fd_batch_size, "max_abs_grad": float(np.abs(grad).max()),
        "fd": fd,
        "fd_stack": _fd(*fd_args, 1, "f_batched", lambda s: net.loss_batched(s, around)),
        "fd_dense": _fd(*fd_args, 1, "f_batched", net.loss_batched),
        **_gradchecks(net, theta, grad, repeats, slow_columns),
    }
    slow = result["gradcheck_slow"]
    cols = slow.pop("columns")
    slow["error_columns"] = int(cols.size)
    fd["max_abs_err_same_columns"] = float(np.max(np.abs(fd.pop("gradient")[cols] - grad[cols])))
    for key in ("fd_stack", "fd_dense"):
        result[key].pop("gradient")
    result["speedup_vs_slow"] = slow["seconds"] / fd["seconds"]
    result["speedup_vs_fast"] = result["gradcheck_fast"]["seconds"] / fd["seconds"]
    result["stack_speedup_vs_slow"] = slow["seconds"] / result["fd_stack"]["seconds"]
    result["dense_speedup_vs_slow"] = slow["seconds"] / result["fd_dense"]["seconds"]
    return result
