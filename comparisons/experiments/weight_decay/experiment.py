"""``weight-decay``: D2L's high-dimensional linear regression (facts, section 3), two conventions.

Data: y = 0.05 + Σᵢ 0.01 xᵢ + ε, ε ~ N(0, 0.01²), 200 inputs, 20 train and 100 test examples
(``default_rng(seed)``); batch 5, 100 epochs, lr 0.003, w ~ N(0, 1) (``--init zero``: w = 0),
b = 0. Curves for λ = 0 and
λ = 3, then a sweep over ``--lambdas`` (default 0 and nine values from 0.01 to 100, log-spaced)
plotting the final train loss, test loss and ‖w‖₂ against λ, for both conventions ("scratch" and
"concise", see :mod:`comparisons.experiments.weight_decay.model`). Train and test losses are the
mean squared error (no ½) in both conventions, so they can be compared. ‖w‖₂ is split into
its data-spanned part ‖P_row w‖ and its null-space part ‖P_null w‖ (see
:mod:`comparisons.experiments.weight_decay.model`): the book's ‖w‖ at λ = 3 is mostly what is
left of the random start's null-space part, (1 − ηλ)^400 · ‖P_null w₀‖ ≈ 0.36.

Expected findings (scratch, first seed): ‖w‖₂ in [10, 17] at λ = 0 and below 0.6 at λ = 3 (book:
13.52 and 0.35), a lower test loss at λ = 3 than at λ = 0; the sweep's test loss falls, then
rises or flattens; one step of each convention from the same start obeys the algebra; at λ = 3
the null-space part is (1 − ηλ)^steps times the λ = 0 run's (which the data never changes), within
the lockstep tolerance. The two ‖w‖ findings are the book's numbers: stated for its N(0, 1) start.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from comparisons.core.tolerances import tolerance
from comparisons.data.synthetic import high_dim_linear_data
from comparisons.experiments import plots
from comparisons.experiments.common import (
    ExperimentContext,
    combine_lockstep,
)
from comparisons.experiments.weight_decay.model import (
    BATCH,
    CONVENTIONS,
    DESCRIPTIONS,
    LR,
    N_TEST,
    N_TRAIN,
    NUM_INPUTS,
    make_problem,
    one_step_identity,
    row_space_basis,
)
from comparisons.lockstep.plots import lockstep_plot_data, plot_lockstep
from comparisons.lockstep.train import run_lockstep

CURVE_LAMBDAS = (0.0, 3.0)
NORM_RANGE_LAMBDA0, NORM_MAX_LAMBDA3 = (10.0, 17.0), 0.6


def run_entry(conv: str, lam: float, seed: int, r: Any) -> dict[str, Any]:
    """The JSON row of one run: final numbers, curves, lockstep agreement."""
    return {"lambda": lam, "convention": conv, "seed": seed, "w_norm": r.final("w_norm"),
            "train_loss": r.final("train_loss"), "test_loss": r.final("test_loss"),
            "epochs": r.eval_epochs, "train_curve": r.curve("train_loss"),
            "test_curve": r.curve("test_loss"), "w_norm_curve": r.curve("w_norm"),
            "w_data_norm": r.final("w_data_norm"), "w_null_norm": r.final("w_null_norm"),
            "w_data_norm_curve": r.curve("w_data_norm"),
            "w_null_norm_curve": r.curve("w_null_norm"), "lockstep": r.lockstep_json()}


def predicted_null_curve(run: dict[str, Any], start_null: float) -> list[float]:
    """(1 − ηλ)^steps · ‖P_null w₀‖ at the run's epochs (``ceil(N_TRAIN / BATCH)`` steps each)."""
    steps = np.asarray(run["epochs"]) * -(-N_TRAIN // BATCH)
    return [float(v) for v in start_null * (1 - LR * run["lambda"]) ** steps]


def add_null_predictions(runs: list[dict[str, Any]]) -> None:
    """Give every run ``w_null_predicted_curve``: :func:`predicted_null_curve` with
    ‖P_null w₀‖ = the final null-space part of the λ = 0 run of its seed and convention (the data
    never moves that part, so it is the start's)."""
    start = {(r["seed"], r["convention"]): r["w_null_norm"] for r in runs if r["lambda"] == 0}
    for r in runs:
        r["w_null_predicted_curve"] = predicted_null_curve(
            r, start[(r["seed"], r["convention"])])


def null_part_decays_as_predicted(runs: list[dict[str, Any]], seed: int, dtype: Any) -> bool:
    """Every run of ``seed``: its null-space curve equals its ``w_null_predicted_curve``
    (norm-wise, the lockstep tolerance of ``dtype``)."""
    tol = tolerance("lockstep", dtype)
    ok = True
    for r in (r for r in runs if r["seed"] == seed):
        want = np.asarray(r["w_null_predicted_curve"])
        err = float(np.max(np.abs(np.asarray(r["w_null_norm_curve"]) - want)))
        ok = ok and tol.allows(err, float(np.max(want)))
    return ok


def sweep_shape(lambdas: list[float], test: list[float]) -> str:
    """"falls then rises", "falls then flattens", "keeps falling" or "does not fall".

    λ ascending, starting at 0. Falls: the minimum is below half the λ = 0 value. Rises: the
    last value is over 1.1 × the minimum. Flattens: the last two values differ by under 10 %.
    """
    t = np.asarray(test)[np.argsort(lambdas)]
    low = int(np.argmin(t))
    if not t[low] < 0.5 * t[0]:
        return "does not fall"
    if t[-1] > 1.1 * t[low]:
        return "falls then rises"
    return "falls then flattens" if abs(t[-1] - t[-2]) < 0.1 * t[-2] else "keeps falling"


def mean_over_seeds(runs: list[dict[str, Any]], conv: str, key: str) -> dict[float, float]:
    """λ -> mean of ``key`` over seeds for one convention."""
    lams = sorted({r["lambda"] for r in runs if r["convention"] == conv})
    return {lam: float(np.mean([r[key] for r in runs
                                if r["convention"] == conv and r["lambda"] == lam]))
            for lam in lams}


def findings(runs: list[dict[str, Any]], seed: int, algebra: dict[str, Any],
             init: str = "normal", dtype: Any = np.float64) -> dict[str, bool]:
    """The expected results (scratch numbers at the fixed, first seed; the ‖w‖ ranges only from
    the book's N(0, 1) start)."""
    at = {(r["convention"], r["lambda"]): r for r in runs if r["seed"] == seed}
    out: dict[str, bool] = {"conventions_differ_as_the_algebra_says": bool(algebra["passed"]),
                            "null_space_part_decays_as_(1-ηλ)^steps":
                                null_part_decays_as_predicted(runs, seed, dtype)}
    if ("scratch", 0.0) in at and ("scratch", 3.0) in at and init == "normal":
        s0, s3 = at[("scratch", 0.0)], at[("scratch", 3.0)]
        out["scratch_w_norm_lambda0_in_10_17"] = bool(
            NORM_RANGE_LAMBDA0[0] <= s0["w_norm"] <= NORM_RANGE_LAMBDA0[1])
        out["scratch_w_norm_lambda3_below_0.6"] = bool(s3["w_norm"] < NORM_MAX_LAMBDA3)
        out["scratch_test_loss_lower_at_lambda3"] = bool(s3["test_loss"] < s0["test_loss"])
    for conv in sorted({r["convention"] for r in runs}):
        test = mean_over_seeds(runs, conv, "test_loss")
        shape = sweep_shape(list(test), list(test.values()))
        out[f"{conv}_sweep_test_loss_falls_then_rises_or_flattens"] = shape in (
            "falls then rises", "falls then flattens")
    return out


def train_task(engine: str, task: tuple[Any, str, float, int, int, str, str]) -> Any:
    """A worker's job (module level, picklable): one (data, convention, λ, epochs, seed,
    dtype, init) run with ``engine``; its streams come from the run's seed only."""
    data, conv, lam, epochs, seed, dtype, init = task
    return run_lockstep(make_problem(data, conv, lam, epochs, init), seed=seed,
                        engine=engine, dtype=dtype)  # type: ignore[arg-type]


def run(args: argparse.Namespace, ctx: ExperimentContext) -> dict[str, Any]:
    """Every (seed, convention, λ) over ``--jobs`` processes; the one-step algebra check; plots."""
    lambdas = sorted(set(args.lambdas) | set(CURVE_LAMBDAS))
    datas = {seed: high_dim_linear_data(np.random.default_rng(seed), N_TRAIN, N_TEST,
                                        NUM_INPUTS, dtype=ctx.dtype) for seed in ctx.seeds}
    keys = [(seed, conv, lam) for seed in ctx.seeds for conv in args.conventions
            for lam in lambdas]
    ctx.log(f"seeds {ctx.seeds}, conventions {args.conventions}, λ in {lambdas}")
    done = ctx.map(train_task, [(datas[s], c, lam, args.epochs, s, ctx.dtype, args.init)
                                for s, c, lam in keys], shared=ctx.engine, desc="weight-decay")
    results = {f"{c} λ={lam:g} seed {s}": r for (s, c, lam), r in zip(keys, done)}
    runs = [run_entry(c, lam, s, r) for (s, c, lam), r in zip(keys, done)]
    add_null_predictions(runs)
    first_data = datas[ctx.seeds[0]]
    algebra = one_step_identity(first_data, 3.0, ctx.seeds[0])
    s0 = ctx.seeds[0]
    shown = {f"{c} λ={lam:g}": results[f"{c} λ={lam:g} seed {s0}"]
             for c in args.conventions for lam in CURVE_LAMBDAS}
    paths = plots.weight_decay_curves(runs, s0, ctx.out, "weight-decay_curves")
    paths += plots.weight_decay_split(runs, s0, ctx.out, "weight-decay_split", args.init)
    paths += plots.weight_decay_sweep(runs, ctx.out, "weight-decay_sweep")
    paths += plot_lockstep(shown, ctx.out, "weight-decay_lockstep",
                           f"Weight decay, seed {s0}: handmade vs torch, step by step")
    means = {c: mean_over_seeds(runs, c, "test_loss") for c in args.conventions}
    return {"runs": runs, "conventions": {c: DESCRIPTIONS[c] for c in CONVENTIONS},
            "algebra": algebra, "findings": findings(runs, s0, algebra, args.init, ctx.dtype),
            "sweep_shape": {c: sweep_shape(list(m), list(m.values())) for c, m in means.items()},
            "lockstep": combine_lockstep(results), "lockstep_curves": lockstep_plot_data(shown),
            "settings": {"n_train": N_TRAIN, "n_test": N_TEST, "num_inputs": NUM_INPUTS,
                         "batch_size": BATCH, "lr": LR, "epochs": args.epochs,
                         "init": args.init,
                         "row_space_rank": row_space_basis(first_data.X_train).shape[1],
                         "lambdas": lambdas, "losses_reported": "mean squared error, no 1/2"},
            "files": [str(p.relative_to(ctx.out)) for p in paths],
            "jobs": args.jobs, "workers": ctx.workers(len(keys)),
            "summary": summary_lines(runs, s0, algebra, ctx)}


def summary_lines(runs: list[dict[str, Any]], seed: int, algebra: dict[str, Any],
                  ctx: ExperimentContext) -> list[str]:
    """λ = 0 vs 3 per convention at the first seed, and the algebra check."""
    lines = [f"weight-decay ({ctx.engine}, seeds {ctx.seeds}; numbers below: seed {seed}):"]
    for r in runs:
        if r["seed"] == seed and r["lambda"] in CURVE_LAMBDAS:
            lines.append(f"  {r['convention']:<7} λ={r['lambda']:<3g} ‖w‖₂ {r['w_norm']:8.4f}  "
                         f"train {r['train_loss']:.4g}  test {r['test_loss']:.4g}")
    for conv, text in DESCRIPTIONS.items():
        lines.append(f"  {conv}: {text}")
    worst = max(c["max_rel_err"] or 0.0 for c in algebra["checks"])
    lines.append(f"  algebra, one step at λ=3: {algebra['identity']}  "
                 f"({'holds' if algebra['passed'] else 'FAILS'}, max rel err {worst:.1e})")
    return lines
