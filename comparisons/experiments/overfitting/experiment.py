"""``overfitting``: D2L's polynomial regression (facts, section 2), three fits, several seeds.

Data: y = 5 + 1.2 x - 3.4 x²/2! + 5.6 x³/3! + ε, ε ~ N(0, 0.1²), x ~ N(0, 1), features
xⁱ/i! for i < 20, 100 train and 100 test examples, drawn from ``default_rng(seed)``.
Fits: "normal" (x⁰..x³, 4 features), "underfit" (x⁰, x¹), "overfit" (all 20 features),
the overfit fit on the first ``--n-train`` training examples (default all 100, the book's),
every fit tested on the same 100 test examples.
Model: one linear layer without bias (x⁰ is the bias); loss: MSELoss (mean, no ½); SGD lr
0.01, batch min(10, n_train); epochs 400, 400, 1500 as in the book (``--epochs`` overrides).
Train and test loss (MSE, mean over examples) are logged every epoch by each engine.

Expected findings: the cubic fit recovers the true weights within 0.3 on every seed, and the
linear fit's test loss stays far (≥ 10×) above the cubic one's over the second half of training.
The overfit fit's final test loss lies above its final training loss on every seed: seed-dependent
with the book's 100 examples (as D2L's discussion notes), on every seed of the demo (``DEMO_ARGS``:
20 examples, seeds 0-2; 10 of seeds 0-9 at those settings here).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import torch

import handmade as hm
from comparisons.data.synthetic import polynomial_data
from comparisons.experiments import plots
from comparisons.experiments.common import ExperimentContext, combine_lockstep, floats
from comparisons.experiments.overfitting.options import BOOK_N_TRAIN, FITS
from comparisons.lockstep.plots import lockstep_plot_data, plot_lockstep
from comparisons.lockstep.train import (
    LossObjective,
    OptimizerSpec,
    Problem,
    run_lockstep,
    torch_loss_objective,
)

BOOK_EPOCHS: dict[str, int] = {"normal": 400, "underfit": 400, "overfit": 1500}
LR, MAX_BATCH, N_TRAIN, N_TEST, MAX_DEGREE = 0.01, 10, BOOK_N_TRAIN, 100, 20
DEMO_ARGS = ["--seeds", "3", "--epochs", "400", "--n-train", "20"]
"""The report's settings: few examples, so the overfit fit's test loss exceeds its training loss
on every seed shown."""
WEIGHT_TOLERANCE = 0.3  # |fitted - true| allowed for every cubic weight
FAR_ABOVE = 10.0  # underfit test loss / normal test loss, over the second half of training


def make_problem(data: Any, n_features: int, epochs: int, n_train: int | None = None) -> Any:
    """The lockstep problem of one fit on the first ``n_features`` scaled powers, trained on the
    first ``n_train`` training examples (default all) and tested on every test example."""
    k, n = n_features, n_train or len(data.features_train)
    X_tr, y_tr = data.features_train[:n, :k], data.labels_train[:n, None]
    X_te, y_te = data.features_test[:, :k], data.labels_test[:, None]

    def metrics(view: Any) -> dict[str, float]:
        return {"train_loss": float(np.mean((view.predict(X_tr) - y_tr) ** 2)),
                "test_loss": float(np.mean((view.predict(X_te) - y_te) ** 2))}

    return Problem(
        handmade_model=lambda ctx: hm.Linear(k, 1, bias=False, rng=ctx.rng, dtype=ctx.dtype),
        torch_model=lambda ctx: torch.nn.Linear(k, 1, bias=False),
        handmade_objective=lambda: LossObjective(hm.MSELoss()),
        torch_objective=lambda: torch_loss_objective(torch.nn.MSELoss()),
        optimizer=OptimizerSpec("sgd", {"lr": LR}),
        X=X_tr, y=y_tr, batch_size=min(MAX_BATCH, len(X_tr)), epochs=epochs, metrics=metrics,
    )


def fit_entry(name: str, seed: int, result: Any, true_w: np.ndarray,
              n_train: int = N_TRAIN) -> dict[str, Any]:
    """The JSON row of one fit: weights beside the true ones, final losses, curves."""
    w = result.final_state[result.primary]["weight"].ravel()
    truth = true_w[: w.size]
    return {"name": name, "seed": seed, "features": int(w.size), "n_train": n_train,
            "weights": floats(w),
            "true_weights": floats(truth), "max_abs_weight_error": float(np.max(abs(w - truth))),
            "train_loss": result.final("train_loss"), "test_loss": result.final("test_loss"),
            "epochs": result.eval_epochs, "train_curve": result.curve("train_loss"),
            "test_curve": result.curve("test_loss"), "lockstep": result.lockstep_json()}


def findings(fits: list[dict[str, Any]]) -> dict[str, Any]:
    """The two expected results, per seed and overall (None when a needed fit did not run)."""
    by = {(f["name"], f["seed"]): f for f in fits}
    seeds = sorted({f["seed"] for f in fits})
    normal = [by[("normal", s)] for s in seeds if ("normal", s) in by]
    out: dict[str, Any] = {}
    if normal:
        out["cubic_recovers_true_weights"] = all(
            f["max_abs_weight_error"] <= WEIGHT_TOLERANCE for f in normal)
    ratios = [underfit_test_ratio(by[("underfit", s)], by[("normal", s)]) for s in seeds
              if ("underfit", s) in by and ("normal", s) in by]
    if ratios:
        out["linear_test_loss_far_above_cubic"] = min(ratios) >= FAR_ABOVE
    overfit = [by[("overfit", s)] for s in seeds if ("overfit", s) in by]
    if overfit:
        out["overfit_on_every_seed"] = seeds_showing_overfit(fits) == len(overfit)
    return out


def seeds_showing_overfit(fits: list[dict[str, Any]]) -> int:
    """How many overfit fits end with test loss > training loss (final epoch, MSE)."""
    return sum(f["test_loss"] > f["train_loss"] for f in fits if f["name"] == "overfit")


def underfit_test_ratio(underfit: dict[str, Any], normal: dict[str, Any]) -> float:
    """min over the common epochs of the second half of training of test_u / test_n."""
    last = min(underfit["epochs"][-1], normal["epochs"][-1])
    u = dict(zip(underfit["epochs"], underfit["test_curve"]))
    n = dict(zip(normal["epochs"], normal["test_curve"]))
    common = [e for e in u if e in n and e > last // 2]
    return min(u[e] / n[e] for e in common)


def train_task(engine: str, task: tuple[Any, int, int, tuple[int, int], str, int]) -> Any:
    """A worker's job (module level, picklable): one (data, features, epochs, seed, dtype,
    n_train) fit with ``engine``; its streams come from the fit's seed ``(seed, fit index)``."""
    data, n_features, epochs, seed, dtype, n_train = task
    return run_lockstep(make_problem(data, n_features, epochs, n_train), seed=seed,
                        engine=engine, dtype=dtype)  # type: ignore[arg-type]


def run(args: argparse.Namespace, ctx: ExperimentContext) -> dict[str, Any]:
    """Every fit for every seed (over ``--jobs`` processes); plots of curves, weights and
    lockstep agreement."""
    datas = {seed: polynomial_data(np.random.default_rng(seed), N_TRAIN, N_TEST, MAX_DEGREE,
                                   dtype=ctx.dtype) for seed in ctx.seeds}
    keys = [(seed, i, name) for seed in ctx.seeds for i, name in enumerate(args.fits)]
    for name in args.fits:
        ctx.log(f"{name} fit, {FITS[name]} features, {args.epochs or BOOK_EPOCHS[name]} epochs, "
                f"seeds {ctx.seeds}")
    n_train = {n: args.n_train if n == "overfit" else N_TRAIN for n in args.fits}
    done = ctx.map(train_task, [(datas[s], FITS[n], args.epochs or BOOK_EPOCHS[n], (s, i),
                                 ctx.dtype, n_train[n]) for s, i, n in keys],
                   shared=ctx.engine, desc="overfitting")
    results = {f"{n} seed {s}": r for (s, _, n), r in zip(keys, done)}
    fits = [fit_entry(n, s, r, datas[s].true_w, n_train[n]) for (s, _, n), r in zip(keys, done)]
    first = {f"{n}": results[f"{n} seed {ctx.seeds[0]}"] for n in args.fits}
    paths = plots.overfitting_curves(fits, ctx.out, "overfitting_curves")
    paths += plots.overfitting_weights(fits, ctx.out, "overfitting_weights")
    paths += plot_lockstep(first, ctx.out, "overfitting_lockstep",
                           f"Overfitting, seed {ctx.seeds[0]}: handmade vs torch, step by step")
    found = findings(fits)
    return {"fits": fits, "findings": found, "lockstep": combine_lockstep(results),
            "lockstep_curves": lockstep_plot_data(first),
            "seeds_showing_overfit": seeds_showing_overfit(fits),
            "settings": {"lr": LR, "batch_size": MAX_BATCH, "n_train": N_TRAIN,
                         "overfit_n_train": args.n_train, "n_test": N_TEST,
                         "max_degree": MAX_DEGREE, "loss": "MSELoss (mean, no 1/2)",
                         "epochs": {n: args.epochs or BOOK_EPOCHS[n] for n in args.fits}},
            "files": [str(p.relative_to(ctx.out)) for p in paths],
            "jobs": args.jobs, "workers": ctx.workers(len(keys)),
            "summary": summary_lines(fits, ctx)}


def summary_lines(fits: list[dict[str, Any]], ctx: ExperimentContext) -> list[str]:
    """What a reader wants first: fitted weights per seed and the final test losses."""
    lines = [f"overfitting ({ctx.engine}, seeds {ctx.seeds}):"]
    for f in fits:
        w = ", ".join(f"{v:.3f}" for v in f["weights"][:6])
        more = ", ..." if len(f["weights"]) > 6 else ""
        lines.append(f"  {f['name']:<8} seed {f['seed']}: weights [{w}{more}]  "
                     f"train {f['train_loss']:.4g}  test {f['test_loss']:.4g}")
    return lines
