"""``stability``: D2L section 6, numerical stability and initialisation.

1. sigma(x) and sigma'(x) = sigma(x)(1 - sigma(x)) on [-8, 8) by the handmade pair and by torch
   autograd: sigma' peaks at 1/4 and is below 4e-4 at |x| = 8 (vanishing gradients).
2. M_0 A_1 ... A_100 with 4x4 N(0, 1) matrices: log10 max|entry| grows ~0.24 per factor and
   reaches 23-28 (exploding products; the book reports entries of 1e23-1e26).
3. A deep MLP (default 10 Linear layers of width 128, tanh and sigmoid, softmax cross-entropy
   on a batch of 256 digits) at initialisation, Xavier uniform vs N(0, 0.01): per-layer
   ||dL/dW_l|| and the signal ||dL/dh_(l-1)|| by the handmade Sequential backward and by torch
   autograd, compared tensor by tensor (the "lockstep" entry: a single step, so
   ``first_divergent_step`` is 0 if any gradient disagrees, else null).

Expected findings, on every seed: with N(0, 0.01) the backward signal reaching the input is
>= 1e4 times weaker, relative to the last layer's, than with Xavier (each layer scales it by
~phi' * 0.01 * sqrt(128) << 1), and the first layer's weight gradient is >= 1e4 times smaller;
with tanh, Xavier keeps every layer's gradients within a factor of 10. (Xavier assumes phi'(0)
= 1, so with sigmoid, phi' <= 1/4, its gradients still shrink ~4x per layer.)
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from comparisons.core.tolerances import tolerance
from comparisons.experiments.common import ExperimentContext, relative_files
from comparisons.experiments.stability import compute as sc
from comparisons.experiments.stability import plots as sp
from comparisons.experiments.threads import single_threaded
from comparisons.lockstep.train import engines_for

INITS = ("xavier_uniform", "normal")
VANISH_FACTOR = 1e4  # N(0, 0.01) vs Xavier: first-to-last ratio, and ||dW_1||, this much smaller
DEMO_ARGS = ["--seeds", "2"]
SMALL_FACTOR = 10.0  # tanh + Xavier: max/min over layers of each gradient norm
EDGE_FRACTION = 1e-2  # sigma'(+-8) below this fraction of its maximum 1/4
EXPLODED_LOG10 = 20.0  # every seed's product exceeds 1e20 after 100 factors


def _check_args(args: argparse.Namespace) -> None:
    if args.depth < 2:
        raise ValueError(f"--depth: expected at least 2 Linear layers, got {args.depth}")
    if args.batch > 1347:
        raise ValueError(f"--batch: expected at most 1347 (the digits' training part), "
                         f"got {args.batch}")


def compute(args: argparse.Namespace, ctx: ExperimentContext) -> dict[str, Any]:
    """Every number of the experiment (no plots): sigmoid, products, gradient norms, checks."""
    engines, dtype = engines_for(ctx.engine), np.dtype(ctx.dtype)
    sig, checks = sc.sigmoid_curve(engines, dtype)
    products = [{"seed": s, "log10_max_abs": sc.matrix_product_growth(
        np.random.default_rng(s), args.factors).tolist()} for s in ctx.seeds]
    rows = []
    for act in args.activations:
        for init in INITS:
            ctx.log(f"{act}, {init}: gradients of {len(ctx.seeds)} seeds")
            for s in ctx.seeds:
                row, found = sc.gradient_norm_run(s, act, init, engines, depth=args.depth,
                                                  width=args.width, batch=args.batch,
                                                  dtype=dtype)
                rows.append(row)
                checks += found
    grads = {"depth": args.depth, "width": args.width, "batch": args.batch,
             "activations": list(args.activations), "inits": list(INITS), "sigma": 0.01,
             "seeds": ctx.seeds, "loss": "softmax cross-entropy, mean over the batch",
             "runs": rows}
    return {"sigmoid": sig, "matrix_product": {"size": 4, "n_factors": args.factors,
                                               "runs": products},
            "gradient_norms": grads, "checks": [c.to_json() for c in checks],
            "lockstep": lockstep_entry(checks, len(engines) == 2)}


def lockstep_entry(checks: list[Any], both: bool) -> dict[str, Any]:
    """``max_rel_diff`` over every compared tensor; ``first_divergent_step`` 0 or None.

    ``runs``: computations compared (the sigmoid and each network); ``compared``: tensors.
    """
    if not both:
        return {"max_rel_diff": None, "first_divergent_step": None, "runs": 0, "compared": 0}
    worst = max(float(c.max_rel_err if c.max_rel_err is not None else np.inf) for c in checks)
    return {"max_rel_diff": worst,
            "first_divergent_step": None if all(c.passed for c in checks) else 0,
            "runs": len({c.name for c in checks}), "compared": len(checks)}


def _pairs(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(Xavier row, N(0, 0.01) row) for each activation and seed."""
    by = {(r["activation"], r["init"], r["seed"]): r for r in rows}
    return [(r, by[(r["activation"], "normal", r["seed"])]) for r in rows
            if r["init"] == "xavier_uniform"]


def findings(data: dict[str, Any]) -> dict[str, bool]:
    """The expected results (see the module docstring), each over every seed."""
    sig, rows = data["sigmoid"], data["gradient_norms"]["runs"]
    pairs = _pairs(rows)
    spread = [max(v) / min(v) for r in rows if (r["activation"], r["init"])
              == ("tanh", "xavier_uniform") for v in (r["weight_grad_norms"],
                                                       r["input_grad_norms"])]
    out = {
        "sigmoid_gradient_vanishes_at_the_edges":
            sig["grad_at_edges"] < EDGE_FRACTION * sig["grad_max"],
        "matrix_products_explode": all(r["log10_max_abs"][-1] > EXPLODED_LOG10
                                       for r in data["matrix_product"]["runs"]),
        "normal_init_signal_vanishes_towards_input": all(
            n["signal_ratio"] * VANISH_FACTOR <= x["signal_ratio"] for x, n in pairs),
        "normal_init_first_layer_weight_grad_far_smaller": all(
            n["weight_grad_norms"][0] * VANISH_FACTOR <= x["weight_grad_norms"][0]
            for x, n in pairs),
    }
    if spread:
        out["xavier_tanh_keeps_layers_within_small_factor"] = max(spread) <= SMALL_FACTOR
    return out


def summary_lines(data: dict[str, Any], ctx: ExperimentContext) -> list[str]:
    """Key numbers: sigma' at the edges, product sizes, first-to-last ratios per init."""
    sig, mp = data["sigmoid"], data["matrix_product"]
    finals = ", ".join(f"{r['log10_max_abs'][-1]:.1f}" for r in mp["runs"])
    lines = [f"stability ({ctx.engine}, seeds {ctx.seeds}):",
             f"  sigma' max {sig['grad_max']:.3f}, at |x| = 8: {sig['grad_at_edges']:.2e}",
             f"  log10 max|entry| after {mp['n_factors']} products: {finals}"]
    for r in data["gradient_norms"]["runs"]:
        lines.append(f"  {r['activation']:<7} {r['init']:<14} seed {r['seed']}: "
                     f"||dW_1||/||dW_L|| {r['first_to_last_ratio']:.2e}  "
                     f"signal ratio {r['signal_ratio']:.2e}")
    lock = data["lockstep"]
    if lock["max_rel_diff"] is not None:
        lines.append(f"  handmade vs torch: {lock['compared']} tensors, max rel diff "
                     f"{lock['max_rel_diff']:.2e}")
    return lines


def run(args: argparse.Namespace, ctx: ExperimentContext) -> dict[str, Any]:
    """Compute, plot (sigmoid, products, gradient norms, engine agreement), return the JSON."""
    _check_args(args)
    with single_threaded():
        data = compute(args, ctx)
    paths = sp.sigmoid_figure(data["sigmoid"], ctx.out, "stability_sigmoid")
    paths += sp.matrix_product_figure(data["matrix_product"], ctx.out, "stability_products")
    paths += sp.gradient_norm_figure(data["gradient_norms"], ctx.out, "stability_grad_norms")
    if data["checks"]:
        rtol = tolerance("autograd", ctx.dtype).rtol
        paths += sp.agreement_figure(data["checks"], rtol, ctx.out, "stability_engines")
    return {**data, "findings": findings(data), "files": relative_files(paths, ctx.out),
            "summary": summary_lines(data, ctx)}
