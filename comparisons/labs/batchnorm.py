"""Lab 7's tools: batch norm's forward as a graph of nodes, and a check for each backward step.

The forward in training mode, on x (N, D) with γ, β (D,), one node per line (the statistics
are (D,): one per feature, over the batch axis 0)::

    μ  = mean₀(x)              (D,)       x−μ = x − μ            (N, D)
    σ² = mean₀((x − μ)²)       (D,)       σ   = √(σ² + eps)      (D,)
    x̂  = (x − μ) / σ           (N, D)     y   = γ ⊙ x̂ + β        (N, D)

:func:`node_values` computes them (the dict a step of the lab's backward reads as its cache),
:func:`reference_grads` the total gradient dJ/d(node) of every node by torch autograd
(``retain_grad`` on each), :func:`batchnorm_graph` the graph of
:mod:`comparisons.graph.model` with both, and :func:`step_check` runs one backward step of
a student's on the lab's seeded batch (γ ≠ 1, β ≠ 0), the correct upstream gradients fed in, so
a wrong step is named by itself and not by what it inherits. No check quotes a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from comparisons.core.ops_normalization import beta_not_zero, gamma_not_one, spaced_x
from comparisons.core.tolerances import tolerance
from comparisons.graph.model import Graph, GraphNode, NodeKind, mark_agreement
from comparisons.labs.checks import ValueCheck
from comparisons.verification.diagnose import DiagnosisContext, diagnose
from comparisons.verification.guard import user_traceback

F64 = np.ndarray
EPS = 1e-5  # torch's default
SHAPE = (5, 3)  # N, D of the lab's batch: distinct, and neither is 2 or 1

#: The backward steps: what each receives (upstream gradients, then the cache) and returns.
STEPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "y": (("dy",), ("dxhat", "dgamma", "dbeta")),
    "sigma": (("dxhat",), ("dstd", "dvar")),
    "xc": (("dxhat", "dvar"), ("dxc",)),
    "mu": (("dxc",), ("dmu", "dx")),
}
#: Graph node of each gradient name (the node's label in the drawing).
NODE_OF = {"dx": "x", "dgamma": "γ", "dbeta": "β", "dmu": "μ", "dxc": "x−μ", "dvar": "σ²",
           "dstd": "σ", "dxhat": "x̂", "dy": "y"}


def lab_batch(seed: int = 0, shape: tuple[int, int] = SHAPE
              ) -> tuple[F64, F64, F64, F64]:
    """``(x, γ, β, dy)`` in float64: x spaced around 1 (no near-constant column), γ ≠ 1 (half
    of it negative), β ≠ 0, dy N(0, 1); seeded, bit-identical for one seed."""
    rng = np.random.default_rng(seed)
    f64 = np.dtype(np.float64)
    n, d = shape
    x = spaced_x(rng, shape, f64, {})
    gamma = gamma_not_one(rng, (d,), f64, {})
    beta = beta_not_zero(rng, (d,), f64, {})
    return x, gamma, beta, rng.standard_normal((n, d))


def node_values(x: F64, gamma: F64, beta: F64, eps: float = EPS) -> dict[str, Any]:
    """Every node's value, as the lab's forward caches them: x, gamma, beta, eps, N, mu, xc,
    var, std (biased variance, ÷ N), xhat and y."""
    mu = x.mean(axis=0)
    xc = x - mu
    var = (xc ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat = xc / std
    return {"x": x, "gamma": gamma, "beta": beta, "eps": eps, "N": x.shape[0], "mu": mu,
            "xc": xc, "var": var, "std": std, "xhat": xhat, "y": gamma * xhat + beta}


def reference_grads(x: F64, gamma: F64, beta: F64, dy: F64, eps: float = EPS
                    ) -> dict[str, F64]:
    """dJ/d(node) of every node for the upstream ``dy`` (torch autograd, float64): dy, dxhat,
    dgamma, dbeta, dstd, dvar, dxc, dmu, dx (each the shape of its node)."""
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    mu = xt.mean(dim=0)
    xc = xt - mu
    var = (xc ** 2).mean(dim=0)
    std = (var + eps).sqrt()
    xhat = xc / std
    kept = {"dmu": mu, "dxc": xc, "dvar": var, "dstd": std, "dxhat": xhat}
    for t in kept.values():
        t.retain_grad()
    (gt * xhat + bt).backward(torch.tensor(dy))
    grads = {name: t.grad for name, t in kept.items()}
    grads.update(dx=xt.grad, dgamma=gt.grad, dbeta=bt.grad)
    out = {name: g.detach().numpy() for name, g in grads.items() if g is not None}
    return {"dy": np.array(dy, dtype=np.float64), **out}


def batchnorm_graph(x: F64, gamma: F64, beta: F64, dy: F64 | None = None,
                    eps: float = EPS) -> Graph:
    """The forward graph, each node holding its value and (with ``dy``) its gradient."""
    v = node_values(x, gamma, beta, eps)
    g = reference_grads(x, gamma, beta, dy, eps) if dy is not None else {}
    rows: tuple[tuple[str, str, tuple[str, ...], str, NodeKind], ...] = (
        ("x", "input", (), "x", "input"), ("γ", "param", (), "gamma", "param"),
        ("β", "param", (), "beta", "param"), ("μ", "mean₀", ("x",), "mu", "op"),
        ("x−μ", "subtract", ("x", "μ"), "xc", "op"),
        ("σ²", "mean₀(·²)", ("x−μ",), "var", "op"),
        ("σ", "√(· + eps)", ("σ²",), "std", "op"),
        ("x̂", "divide", ("x−μ", "σ"), "xhat", "op"),
        ("y", "γ ⊙ x̂ + β", ("γ", "x̂", "β"), "y", "op"))
    grad_of = {node: name for name, node in NODE_OF.items()}
    return Graph.from_nodes(GraphNode(name, op, inputs, value=v[key], grad=g.get(grad_of[name]),
                                      kind=kind) for name, op, inputs, key, kind in rows)


#: What each step's usual slip means, worded for the step (no formula: the student derives it).
SLIPS = {
    ("dxhat", "missing_gamma"): "dxhat equals dy itself: y scales x̂ by γ, and the local "
                                "derivative of that node is missing (a test with γ = 1 would "
                                "not see it).",
    ("dxc", "missing_statistics_paths"): "dxc holds only the path through x̂: x−μ has two "
                                         "consumers (x̂ and σ²), and a node receives the sum "
                                         "of what every consumer sends back.",
    ("dx", "missing_statistics_paths"): "dx holds only the direct path x → x−μ: x also "
                                        "feeds μ, and that path's gradient is missing.",
    ("running_var", "variance_convention"): "running_var follows the batch's biased variance "
                                            "(÷ N), the one the batch is normalised with; "
                                            "torch's running estimate divides differently.",
}


def mistakes(name: str, cache: Mapping[str, Any], refs: Mapping[str, F64]
             ) -> DiagnosisContext:
    """The usual slip of each step as a diagnosis candidate: dx̂ taken as dy (missing γ), the
    path through σ² left out of d(x−μ), the path through μ left out of dx."""
    n, d = cache["xc"].shape
    candidates: dict[str, F64] = {}
    if name == "dxhat":
        candidates["missing_gamma"] = refs["dy"]
    elif name == "dxc":
        candidates["missing_statistics_paths"] = refs["dxhat"] / cache["std"]
    elif name == "dx":
        candidates["missing_statistics_paths"] = refs["dxc"]
    return DiagnosisContext(candidates=candidates, dims={"N": n, "D": d})


def step_check(fn: Callable[..., Any], step: str, seed: int = 0) -> ValueCheck:
    """Run backward step ``step`` (a key of :data:`STEPS`) of a student's, ``fn(*upstream,
    cache)``, on the lab's batch and diagnose each gradient it returns against autograd (the
    autograd tolerance, float64): one result, named by its first wrong gradient. An
    exception, or the wrong number of results, fails it; nothing ``fn`` does raises here."""
    if step not in STEPS:
        raise ValueError(f"step: expected one of {sorted(STEPS)}, got {step!r}")
    takes, gives = STEPS[step]
    x, gamma, beta, dy = lab_batch(seed)
    cache = node_values(x, gamma, beta)
    refs = reference_grads(x, gamma, beta, dy)
    label = f"step {step}"
    try:
        given = fn(*(refs[t].copy() for t in takes), {k: np.copy(v) for k, v in cache.items()})
    except Exception as exc:  # the student's code may raise anything
        return ValueCheck(label, False, "error", f"{label}: your code raised "
                          f"{type(exc).__name__}", "your code raised an exception:\n"
                          + user_traceback(exc))
    values = list(given) if len(gives) > 1 and isinstance(given, tuple | list) else [given]
    if len(values) != len(gives):
        return ValueCheck(label, False, "wrong_shape", f"{label}: expected {len(gives)} "
                          f"results ({', '.join(gives)}), got {len(values)}")
    return combine(label, [value_check(name, value, refs[name], mistakes(name, cache, refs))
                           for name, value in zip(gives, values)])


def combine(label: str, checks: list[ValueCheck]) -> ValueCheck:
    """One result of several: passed when all pass, else named by the first wrong one (its
    name and diagnosis); the message lists every check's."""
    wrong = next((c for c in checks if not c.passed), None)
    message = "\n".join(c.message for c in checks)
    if wrong is None:
        return ValueCheck(label, True, "ok", message)
    return ValueCheck(wrong.name, False, wrong.diagnosis, message, wrong.error)


def value_check(name: str, given: Any, expected: F64,
                context: DiagnosisContext | None = None) -> ValueCheck:
    """One gradient diagnosed against its reference (autograd tolerance, float64)."""
    try:
        arr = None if given is None else np.asarray(given, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None:
        return ValueCheck(name, False, "wrong_shape", f"{name}: your code returned "
                          f"{type(given).__name__}, expected an array of shape "
                          f"{np.shape(expected)}")
    d = diagnose(arr, expected, name=name, tol=tolerance("autograd", np.float64),
                 context=context)
    return ValueCheck(name, d.passed, d.code, SLIPS.get((name, d.code), d.message))


def coloured_graph(backward_steps: Callable[..., Mapping[str, Any]], seed: int = 0) -> Graph:
    """The lab batch's graph, each node coloured by the gradient ``backward_steps(dy, cache)``
    gives it (a dict of gradient names as in :data:`NODE_OF`): agrees, wrong (your numbers
    beside torch's), or the first wrong node walking backward. A missing or unreadable
    gradient leaves its node uncoloured."""
    x, gamma, beta, dy = lab_batch(seed)
    graph = batchnorm_graph(x, gamma, beta, dy)
    try:
        given = dict(backward_steps(dy.copy(), node_values(x, gamma, beta)))
    except Exception:  # the student's code may raise anything: nothing gets coloured
        given = {}
    tol = tolerance("autograd", np.float64)
    user = {}
    for name, value in given.items():
        if name == "dy":  # the upstream gradient itself: given, not computed
            continue
        try:
            user[NODE_OF[name]] = np.asarray(value, dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            continue
    mark_agreement(graph, user, lambda _, a, e: a.shape == e.shape and tol.allows(
        float(np.max(np.abs(a - e), initial=0.0)), float(np.max(np.abs(e), initial=0.0))))
    for name, value in user.items():  # a wrong node shows your numbers beside torch's
        if graph.nodes[name].status in ("wrong", "first_divergence"):
            graph.nodes[name].extra["yours"] = value
    return graph
