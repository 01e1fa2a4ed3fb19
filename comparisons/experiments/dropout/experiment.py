"""``dropout``: D2L section 4, an MLP trained with and without dropout, both engines in lockstep.

Network: Linear(d, 256) -> ReLU -> Dropout(0.2) -> Linear(256, 256) -> ReLU -> Dropout(0.5) ->
Linear(256, 10), softmax cross-entropy (mean), plain SGD; "without dropout" sets both p to 0.
Each seed trains both variants from the same initial parameters on the same batches (a paired
comparison); the dropout masks come from one stream shared by the two engines.

Data and settings:

* default, scikit-learn's 8x8 digits (offline stand-in for Fashion-MNIST, d = 64): stratified
  75/25 split (450 test rows), then 600 of the 1347 training rows kept; lr 0.2, batch 32,
  40 epochs (760 steps): training accuracy reaches 1 and the gap is ~4 points. The book's
  lr 0.5 / batch 256 / 10 epochs is only ~50 steps on the digits and does not overfit, so
  there is nothing for dropout to fix. Tuning over 10 seeds: dropout shrinks the gap by ~0.9
  points (~20 %) on average, on 8 of 10 seeds; with 100 training rows the gap is ~12 points and
  shrinks by ~0.8 on average, less consistently (7 of 10).
* ``--data-dir DIR``: Fashion-MNIST IDX files on local disk (d = 784, train and t10k), with the
  book's lr 0.5, batch 256, 10 epochs and every training row.

Per epoch (eval mode, dropout off) each engine records train/test accuracy and loss. The
generalisation gap is train accuracy - test accuracy after the last epoch. Expected findings:
the gap averaged over seeds is smaller with dropout, and the masks used kept a fraction 1 - p of
the units (|z| <= 5 against the binomial standard error). The test-accuracy gain (with − without,
per seed and epoch) is drawn with its seed band (min–max and ±1 sd, :func:`gain_band`): on the
digits it lies within seed noise for most epochs, hence 10 seeds by default (the demo runs 2).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any, TypedDict

import numpy as np

from comparisons.core.errors import UsageError
from comparisons.experiments.common import ExperimentContext, combine_lockstep, relative_files
from comparisons.experiments.dropout import plots as dp
from comparisons.experiments.dropout.model import (
    DropoutSettings,
    ImageData,
    MaskTally,
    load_data,
    make_problem,
)
from comparisons.lockstep.plots import lockstep_plot_data, plot_lockstep
from comparisons.lockstep.train import engines_for, run_lockstep


class BookSettings(TypedDict):
    """The book's settings for the full Fashion-MNIST (used with --data-dir)."""

    lr: float
    batch_size: int
    epochs: int
    train_size: int | None


BOOK: BookSettings = {"lr": 0.5, "batch_size": 256, "epochs": 10, "train_size": None}
DEMO_ARGS = ["--seeds", "2"]
MAX_Z = 5.0  # kept fraction within this many binomial standard errors of 1 - p


def settings_from(args: argparse.Namespace) -> DropoutSettings:
    """DropoutSettings from the options; unset ones take the dataset's defaults."""
    if len(args.p) != 2 or len(args.hidden) != 2:
        raise ValueError(f"--p, --hidden: expected two values each, got {args.p}, {args.hidden}")
    base = DropoutSettings() if args.data_dir is None else DropoutSettings(**BOOK)
    chosen = {k: getattr(args, k) for k in ("lr", "batch_size", "epochs", "train_size")
              if getattr(args, k) is not None}
    return replace(base, **chosen, hidden=tuple(args.hidden), p=tuple(args.p),
                   eval_every=args.eval_every)


def run_entry(seed: int, dropout: bool, result: Any, masks: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON row of one run: final numbers, per-epoch curves, masks, lockstep."""
    m = {k: result.curve(k) for k in ("train_acc", "test_acc", "train_loss", "test_loss")}
    return {"dropout": dropout, "seed": seed, "train_acc": m["train_acc"][-1],
            "test_acc": m["test_acc"][-1], "train_loss": m["train_loss"][-1],
            "test_loss": m["test_loss"][-1], "gap": m["train_acc"][-1] - m["test_acc"][-1],
            "epochs": result.eval_epochs, **{f"{k}_curve": v for k, v in m.items()},
            "masks": masks, "lockstep": result.lockstep_json()}


def gap_table(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per seed: the gap without and with dropout and their difference (positive = helped)."""
    by = {(r["seed"], r["dropout"]): r for r in runs}
    seeds = sorted({r["seed"] for r in runs})
    return [{"seed": s, "gap_without": by[(s, False)]["gap"], "gap_with": by[(s, True)]["gap"],
             "reduction": by[(s, False)]["gap"] - by[(s, True)]["gap"]} for s in seeds]


def gain_band(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The test-accuracy gain from dropout, ``test_acc(with) − test_acc(without)`` per seed and
    epoch (paired: same seed), and its band over seeds: mean, sd (population, ddof 0), min, max
    per epoch; ``epochs_every_seed_gains`` counts the epochs whose min is > 0."""
    by = {(r["seed"], r["dropout"]): r for r in runs}
    seeds = sorted({r["seed"] for r in runs})
    per_seed = np.array([np.subtract(by[(s, True)]["test_acc_curve"],
                                     by[(s, False)]["test_acc_curve"]) for s in seeds])
    low = per_seed.min(axis=0)
    return {"epochs": by[(seeds[0], True)]["epochs"], "seeds": seeds,
            "per_seed": [[float(v) for v in row] for row in per_seed],
            "mean": [float(v) for v in per_seed.mean(axis=0)],
            "sd": [float(v) for v in per_seed.std(axis=0)],
            "min": [float(v) for v in low], "max": [float(v) for v in per_seed.max(axis=0)],
            "epochs_every_seed_gains": int(np.sum(low > 0))}


def findings(runs: list[dict[str, Any]], gaps: list[dict[str, Any]]) -> dict[str, bool]:
    """Gap smaller with dropout (mean over seeds); masks kept 1 - p (|z| <= MAX_Z)."""
    zs = [m["z"] for r in runs if r["dropout"] for m in r["masks"] if m["z"] is not None]
    out = {"gap_smaller_with_dropout_on_average":
           bool(np.mean([g["gap_with"] for g in gaps]) < np.mean([g["gap_without"]
                                                                 for g in gaps]))}
    if zs:
        out["masks_keep_fraction_1_minus_p"] = bool(max(abs(z) for z in zs) <= MAX_Z)
    return out


def run_label(dropout: bool, seed: int) -> str:
    """"with dropout, seed 3" / "without dropout, seed 3": keys of results and plot legends."""
    return f"{'with' if dropout else 'without'} dropout, seed {seed}"


def data_loader(data_dir: str | None, train_size: int | None, dtype: str) -> Any:
    """``seed -> ImageData``: the seed's split (digits) or subsample, images cast to ``dtype``."""
    dt = np.dtype(dtype)

    def data_for(seed: int) -> ImageData:
        try:
            d = load_data(np.random.default_rng(seed), data_dir, train_size)
        except ValueError as err:  # name the option in the one-line message
            if data_dir is None:
                raise
            text = str(err)
            raise UsageError(text.replace("data_dir:", "--data-dir:", 1)
                             if text.startswith("data_dir:") else f"--data-dir: {text}") from None
        return ImageData(d.X_train.astype(dt), d.y_train, d.X_test.astype(dt), d.y_test, d.name)

    return data_for


def train_task(shared: tuple[Any, str, str], task: tuple[Any, bool, int]) -> tuple[Any, list]:
    """A worker's job (module level, picklable): one (data, dropout, seed) run under the shared
    (settings, engine, dtype); returns the run and its masks' tally. Its streams come from the
    seed only (both variants of a seed share it: a paired comparison)."""
    settings, engine, dtype = shared
    data, dropout, seed = task
    tally = MaskTally()
    r = run_lockstep(make_problem(data, settings, dropout, tally), seed=seed,
                     engine=engine, dtype=dtype)  # type: ignore[arg-type]
    ps = settings.p if dropout else (0.0, 0.0)
    return r, tally.summary(engines_for(engine)[0], ps)


def train_all(data_for: Any, settings: Any, ctx: ExperimentContext) -> tuple[dict, list]:
    """For each seed: the data, then the runs without and with dropout (same seed: paired),
    every run a task over ``--jobs`` processes."""
    tasks = []
    for seed in ctx.seeds:
        data = data_for(seed)
        ctx.log(f"seed {seed}: {len(data.y_train)} training rows of {data.name}")
        tasks += [(data, dropout, seed) for dropout in (False, True)]
    done = ctx.map(train_task, tasks, shared=(settings, ctx.engine, ctx.dtype), desc="dropout")
    results = {run_label(d, s): r for (_, d, s), (r, _) in zip(tasks, done)}
    runs = [run_entry(s, d, r, masks) for (_, d, s), (r, masks) in zip(tasks, done)]
    return results, runs


def run(args: argparse.Namespace, ctx: ExperimentContext) -> dict[str, Any]:
    """Train every seed with and without dropout; plot curves, gaps, lockstep; return JSON."""
    settings = settings_from(args)
    data_for = data_loader(args.data_dir, settings.train_size, ctx.dtype)
    results, runs = train_all(data_for, settings, ctx)  # one thread a run (parallel_map)
    gaps = gap_table(runs)
    first = {k: results[k] for k in (run_label(d, ctx.seeds[0]) for d in (False, True))}
    paths = dp.curves_figure(runs, list(settings.p), ctx.out, "dropout_curves")
    paths += dp.gaps_figure(gaps, ctx.out, "dropout_gaps")
    gain = gain_band(runs)
    paths += dp.gain_figure(gain, ctx.out, "dropout_gain")
    paths += plot_lockstep(first, ctx.out, "dropout_lockstep",
                           f"Dropout, seed {ctx.seeds[0]}: handmade vs torch, step by step")
    return {"runs": runs, "gaps": gaps, "test_acc_gain": gain,
            "settings": settings_json(settings, args),
            "findings": findings(runs, gaps), "lockstep": combine_lockstep(results),
            "lockstep_curves": lockstep_plot_data(first),
            "files": relative_files(paths, ctx.out), "jobs": args.jobs,
            "workers": ctx.workers(len(runs)), "summary": summary_lines(gaps, runs, ctx)}


def settings_json(settings: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The settings of the run, with the dataset named."""
    return {"data": "digits" if args.data_dir is None else "fashion-mnist",
            "data_dir": args.data_dir, "hidden": list(settings.hidden), "p": list(settings.p),
            "lr": settings.lr, "batch_size": settings.batch_size, "epochs": settings.epochs,
            "train_size": settings.train_size, "eval_every": settings.eval_every,
            "loss": "softmax cross-entropy, mean over the batch", "optimizer": "SGD"}


def summary_lines(gaps: list[dict[str, Any]], runs: list[dict[str, Any]],
                  ctx: ExperimentContext) -> list[str]:
    """Per seed: accuracies and the gap with and without dropout; the means."""
    lines = [f"dropout ({ctx.engine}, seeds {ctx.seeds}): train acc / test acc / gap"]
    for r in runs:
        lines.append(f"  seed {r['seed']} {'with   ' if r['dropout'] else 'without'} dropout: "
                     f"{r['train_acc']:.3f} / {r['test_acc']:.3f} / {r['gap']:.3f}")
    mean = {k: float(np.mean([g[k] for g in gaps])) for k in ("gap_without", "gap_with")}
    lines.append(f"  mean gap: without {mean['gap_without']:.3f}, with {mean['gap_with']:.3f}")
    return lines
