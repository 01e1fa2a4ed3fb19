"""Lab 7's tools beyond the graph: a test with γ = 1, training vs evaluation mode, n − 1.

* :func:`gamma_one_checks`: a student's pair against autograd on one batch with γ = 1 and
  β = 0, the test that let a published batch-norm bug through (``verify`` never uses it).
* :func:`running_rows`: ``handmade.norm_layers.BatchNorm1d`` and ``torch.nn.BatchNorm1d``
  stepped on the same batches, each buffer compared after each step; :func:`eval_rows` the
  two in evaluation mode.
* :func:`running_update_check` and :func:`eval_backward_check`: a student's running-stats
  update and evaluation-mode dx against torch's.
* :func:`verify_unbiased`: ``verify`` of a pair whose variance divides by N − 1 (backprop
  ninja's), against autograd of ``reference.batchnorm(unbiased=True)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import handmade as hm
import reference as ref
from comparisons.core.compare import Check, compare
from comparisons.labs.batchnorm import EPS, F64, combine, lab_batch, value_check
from comparisons.labs.checks import ValueCheck
from comparisons.verification.diagnose import DiagnosisContext
from comparisons.verification.guard import user_traceback
from comparisons.verification.report import VerifyReport
from comparisons.verification.runner import verify

GRADS = ("dx", "dgamma", "dbeta")


def autograd_grads(x: F64, gamma: F64, beta: F64, dy: F64) -> dict[str, F64]:
    """dx, dγ, dβ of ``reference.batchnorm`` (training mode, ÷ N) for upstream ``dy``."""
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    ref.batchnorm(xt, gt, bt, EPS).backward(torch.tensor(dy))
    return {name: grad_of(t) for name, t in zip(GRADS, (xt, gt, bt))}


def gamma_one_checks(forward: Callable[..., Any], backward: Callable[..., Any], *,
                     gamma_one: bool = True, seed: int = 0) -> list[Check]:
    """``forward(x, γ, β)`` then ``backward(dy, cache)`` on the lab batch, each of dx, dγ, dβ
    compared with autograd; ``gamma_one``: γ = 1 and β = 0 (torch's initial values), else the
    lab's γ ≠ 1, β ≠ 0. The pair is the project's or the lab's own (trusted) code."""
    x, gamma, beta, dy = lab_batch(seed)
    if gamma_one:
        gamma, beta = np.ones_like(gamma), np.zeros_like(beta)
    _, cache = forward(x, gamma, beta)
    given = backward(dy, cache)
    expected = autograd_grads(x, gamma, beta, dy)
    return [compare(np.asarray(g, dtype=np.float64), expected[name], name="batchnorm",
                    tensor=name, against="autograd") for name, g in zip(GRADS, given)]


def batches(steps: int, seed: int, shape: tuple[int, int] = (6, 3)) -> list[F64]:
    """``steps`` seeded batches, mean 2 and standard deviation 3 (far from the buffers'
    initial 0 and 1, so an update that is off shows at once)."""
    rng = np.random.default_rng(seed)
    return [2.0 + 3.0 * rng.standard_normal(shape) for _ in range(steps)]


def torch_layer(d: int, momentum: float = 0.1, **state: F64) -> torch.nn.BatchNorm1d:
    """torch.nn.BatchNorm1d(d) in float64, its ``weight``, ``bias``, ``running_mean`` or
    ``running_var`` set from ``state``."""
    layer = ref.BatchNorm1d(d, momentum=momentum, dtype=torch.float64)
    full = layer.state_dict()
    full.update({k: torch.tensor(v) for k, v in state.items()})
    layer.load_state_dict(full)
    return layer


def buffer(layer: torch.nn.Module, name: str) -> F64:
    """A copy of one of torch's buffers (running_mean, running_var) as a NumPy array."""
    return np.array(layer.state_dict()[name].numpy())


def grad_of(t: torch.Tensor) -> F64:
    """The gradient autograd left in leaf ``t``."""
    if t.grad is None:
        raise RuntimeError("autograd left no gradient in a leaf that requires one")
    return np.array(t.grad.numpy())


def twin_layers(d: int, momentum: float, seed: int) -> tuple[hm.BatchNorm1d, torch.nn.Module]:
    """The handmade and torch BatchNorm1d, float64, the same γ ≠ 1 and β ≠ 0."""
    _, gamma, beta, _ = lab_batch(seed, (2, d))
    mine = hm.BatchNorm1d(d, momentum=momentum)
    mine.weight.data, mine.bias.data = gamma.copy(), beta.copy()
    return mine, torch_layer(d, momentum, weight=gamma, bias=beta)


def running_rows(steps: int = 4, momentum: float = 0.1, seed: int = 0
                 ) -> list[tuple[int, F64, F64, list[Check]]]:
    """Per training step: ``(step, running_mean, running_var, checks)``, the handmade
    layer's buffers and their comparison with torch's (and the outputs') after the step."""
    xs = batches(steps, seed)
    mine, theirs = twin_layers(xs[0].shape[1], momentum, seed)
    rows = []
    for step, x in enumerate(xs, start=1):
        out = mine(x)
        with torch.no_grad():
            out_t = theirs(torch.tensor(x))
        checks = [compare(out, out_t.numpy(), name="train", tensor="out", against="forward")]
        for buf in ("running_mean", "running_var"):
            checks.append(compare(getattr(mine, buf), buffer(theirs, buf), name="train",
                                  tensor=buf, against="forward"))
        rows.append((step, mine.running_mean.copy(), mine.running_var.copy(), checks))
    return rows


def eval_rows(steps: int = 4, momentum: float = 0.1, seed: int = 0) -> list[Check]:
    """After ``steps`` training steps, both layers in evaluation mode on a new batch: out and
    dx (autograd for torch's) compared."""
    xs = batches(steps + 1, seed)
    mine, theirs = twin_layers(xs[0].shape[1], momentum, seed)
    for x in xs[:-1]:
        mine(x)
        with torch.no_grad():
            theirs(torch.tensor(x))
    mine.eval()
    theirs.eval()
    x = xs[-1]
    dy = np.random.default_rng(seed + 1).standard_normal(x.shape)
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(xt)
    out_t.backward(torch.tensor(dy))
    out = mine(x)
    return [compare(out, out_t.detach().numpy(), name="eval", tensor="out", against="forward"),
            compare(mine.backward(dy), grad_of(xt), name="eval", tensor="dx",
                    against="autograd")]


def torch_after_step(x: F64, mean0: F64, var0: F64, momentum: float) -> tuple[F64, F64]:
    """torch.nn.BatchNorm1d's running_mean and running_var after one training step on x,
    starting from ``mean0`` and ``var0``."""
    layer = torch_layer(x.shape[1], momentum, running_mean=mean0, running_var=var0)
    with torch.no_grad():
        layer(torch.tensor(x))
    return buffer(layer, "running_mean"), buffer(layer, "running_var")


def running_update_check(fn: Callable[..., Any], momentum: float = 0.1, seed: int = 0
                         ) -> ValueCheck:
    """A student's ``fn(running_mean, running_var, x, momentum) -> (mean, var)`` after one
    step from non-default buffers, against torch's. The biased variance is diagnosed as
    ``variance_convention``; the momentum used the other way round is named."""
    x = batches(1, seed)[0]
    mean0, var0 = np.array([0.5, -1.0, 2.0]), np.array([4.0, 0.25, 9.0])
    want = torch_after_step(x, mean0, var0, momentum)
    try:
        given = fn(mean0.copy(), var0.copy(), x.copy(), momentum)
        mean, var = given
    except Exception as exc:  # the student's code may raise anything
        return ValueCheck("running update", False, "error", "running update: your code "
                          f"raised {type(exc).__name__}", "your code raised an exception:\n"
                          + user_traceback(exc))
    biased = (1 - momentum) * var0 + momentum * x.var(axis=0)
    ctx = DiagnosisContext(candidates={"variance_convention": biased},
                           dims={"N": x.shape[0], "D": x.shape[1]})
    checks = [value_check("running_mean", mean, want[0]), value_check("running_var", var,
                                                                      want[1], ctx)]
    flipped = (momentum * mean0 + (1 - momentum) * x.mean(axis=0),
               momentum * var0 + (1 - momentum) * x.var(axis=0, ddof=1))
    for i, c in enumerate(checks):
        if not c.passed and value_check(c.name, (mean, var)[i], flipped[i]).passed:
            checks[i] = ValueCheck(c.name, False, c.diagnosis, c.message + " It equals the "
                                   "update with momentum used the other way round (the weight "
                                   "of the new batch in torch, of the old value in Keras).")
    return combine("running update", checks)


def eval_backward_check(fn: Callable[..., Any], seed: int = 0) -> ValueCheck:
    """A student's evaluation-mode ``fn(dy, cache) -> dx`` (cache: x, gamma, running_mean,
    running_var, eps) against autograd through torch.nn.BatchNorm1d in ``eval()``."""
    x, gamma, beta, dy = lab_batch(seed, (6, 3))
    mean0, var0 = np.array([0.5, -1.0, 2.0]), np.array([4.0, 0.25, 9.0])
    layer = torch_layer(3, weight=gamma, bias=beta, running_mean=mean0, running_var=var0)
    xt = torch.tensor(x, requires_grad=True)
    layer.eval()(xt).backward(torch.tensor(dy))
    cache: dict[str, Any] = {"x": x, "gamma": gamma, "running_mean": mean0,
                             "running_var": var0, "eps": EPS}
    try:
        given = fn(dy.copy(), {k: np.copy(v) for k, v in cache.items()})
    except Exception as exc:  # the student's code may raise anything
        return ValueCheck("dx", False, "error", f"dx: your code raised {type(exc).__name__}",
                          "your code raised an exception:\n" + user_traceback(exc))
    ctx = DiagnosisContext(candidates={"missing_gamma": dy / np.sqrt(var0 + EPS)},
                           dims={"N": x.shape[0], "D": x.shape[1]})
    return value_check("dx", given, grad_of(xt), ctx)


def unbiased_reference(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor
                       ) -> torch.Tensor:
    """Batch norm whose variance divides by N − 1 (torch ops; autograd gives the truth)."""
    return ref.batchnorm(x, gamma, beta, EPS, unbiased=True)


def verify_unbiased(forward: Callable[..., Any], backward: Callable[..., Any],
                    d: int = 4) -> VerifyReport:
    """``verify`` of ``forward(x, gamma, beta)`` / ``backward(dout, cache) -> (dx, dgamma,
    dbeta)`` against :func:`unbiased_reference` (x (N, d), N >= 2; γ, β drawn N(0, 1))."""
    return verify(forward, backward, against="batchnorm_unbiased",
                  reference=unbiased_reference, shapes={"x": ("N", d), "gamma": (d,),
                                                        "beta": (d,)}, min_batch=2)
