"""``cnn``: issue 14's small network, a CNN on the 8x8 digits, handmade vs torch step by step.

Two networks (:mod:`comparisons.experiments.cnn.model`): "conv" = Conv2d(1, C, 3, padding=1)
-> ReLU -> MaxPool2d(2) -> Flatten -> Linear(16 C, 10) and "conv-bn", which puts
Linear(16 C, H) -> BatchNorm1d(H) -> ReLU before the last Linear(H, 10); softmax cross-entropy
(mean), plain SGD (lr 0.2, batch 32, 10 epochs on 320 training digits: ~100 steps a network,
well under a second each). The handmade network (``handmade``'s Conv2d, MaxPool2d, Flatten,
BatchNorm1d in a Sequential) and its torch.nn twin start from the same state_dict (parameters
and batch norm's buffers, one-to-one) and see the same batches.

After every step the lockstep log compares the loss, every parameter and every buffer
(running mean and variance, the batch count) with ``tolerance("lockstep", dtype)`` (float64:
rtol 1e-10); after every epoch both engines evaluate train and test accuracy and loss in
evaluation mode (batch norm: running statistics), compared with the same rule
(``eval_rel_diff``). Expected findings: every step and every evaluation agree within the
tolerance, and both networks learn (test accuracy >= 0.7; chance is 0.1).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from comparisons.core.errors import UsageError
from comparisons.experiments.cnn import plots
from comparisons.experiments.cnn.model import MODELS, CNNSettings, load_images, make_problem
from comparisons.experiments.common import ExperimentContext, combine_lockstep, relative_files
from comparisons.experiments.threads import single_threaded
from comparisons.lockstep.plots import lockstep_plot_data
from comparisons.lockstep.train import LockstepResult

LEARNED = 0.7
"""Final test accuracy every network should reach (chance: 0.1)."""
METRICS = ("train_acc", "test_acc", "train_loss", "test_loss")


def settings_from(args: argparse.Namespace) -> CNNSettings:
    """CNNSettings from the options; a bad combination is a UsageError naming the option."""
    try:
        return CNNSettings(models=tuple(args.models), epochs=args.epochs, lr=args.lr,
                           batch_size=args.batch_size, train_size=args.train_size,
                           channels=args.channels, hidden=args.hidden)
    except ValueError as err:
        field, _, rest = str(err).partition(":")
        raise UsageError(f"--{field.replace('_', '-')}:{rest}") from None


def eval_rel_diff(result: LockstepResult) -> dict[str, list[float]] | None:
    """Per evaluated epoch and metric, ``|m_h - m_t| / (|m_t| + atol / rtol)`` (<= rtol exactly
    when ``compare``'s rule passes); None unless both engines ran."""
    if len(result.engines) < 2:
        return None
    tol = result.tolerance
    out = {}
    for key in METRICS:
        h, t = np.asarray(result.metrics["handmade"][key]), np.asarray(result.metrics["torch"][key])
        out[key] = [float(v) for v in np.abs(h - t) / (np.abs(t) + tol.atol / tol.rtol)]
    return out


def run_entry(model: str, seed: int, result: LockstepResult) -> dict[str, Any]:
    """The JSON row of one network: final numbers (primary engine), every engine's curves, the
    evaluation-mode differences and the run's lockstep entry."""
    lockstep = {**result.lockstep_json(), "max_plain_rel_diff": result.max_plain_rel_diff,
                "metric_max_rel_diff": result.metric_max_rel_diff}
    return {"model": model, "seed": seed, **{k: result.final(k) for k in METRICS},
            "epochs": result.eval_epochs, "steps": int(sum(result.steps_per_epoch)),
            "curves": result.metrics, "eval_rel_diff": eval_rel_diff(result),
            "lockstep": lockstep}


def findings(runs: list[dict[str, Any]], rtol: float) -> dict[str, bool]:
    """Lockstep at every step and in evaluation mode (both engines only); every network learns."""
    out: dict[str, bool] = {}
    compared = [r for r in runs if r["eval_rel_diff"] is not None]
    if compared:
        out["every_step_within_tolerance"] = all(
            r["lockstep"]["first_divergent_step"] is None for r in compared)
        out["eval_mode_metrics_within_tolerance"] = all(
            max(max(v) for v in r["eval_rel_diff"].values()) <= rtol for r in compared)
    out["every_network_learns"] = all(r["test_acc"] >= LEARNED for r in runs)
    return out


def train_all(settings: CNNSettings, ctx: ExperimentContext) -> tuple[dict[str, Any], list]:
    """For each seed, its data, then each network, seeded ``(seed, index in MODELS)`` (a
    network's run does not depend on which others run)."""
    results: dict[str, Any] = {}
    runs = []
    for seed in ctx.seeds:
        data = load_images(seed, settings.train_size, ctx.dtype)
        for model in settings.models:
            label = f"{model}, seed {seed}"
            ctx.log(f"{label}: {len(data.y_train)} training digits, {settings.epochs} epochs")
            r = ctx.run(make_problem(model, data, settings), seed=(seed, MODELS.index(model)),
                      desc=label)
            results[label] = r
            runs.append(run_entry(model, seed, r))
    return results, runs


def run(args: argparse.Namespace, ctx: ExperimentContext) -> dict[str, Any]:
    """Train every network for every seed; plot curves and lockstep; return the JSON."""
    settings = settings_from(args)
    with single_threaded():
        results, runs = train_all(settings, ctx)
    seed = ctx.seeds[0]
    first = {m: results[f"{m}, seed {seed}"] for m in settings.models}
    curves = lockstep_plot_data(first)
    rtol = next(iter(first.values())).tolerance.rtol
    paths = plots.curves_figure(runs, ctx.out, "cnn_curves")
    paths += plots.lockstep_figure(curves, runs, ctx.out, "cnn_lockstep")
    return {"runs": runs, "settings": settings_json(settings),
            "findings": findings(runs, rtol), "lockstep": combine_lockstep(results),
            "lockstep_curves": curves, "files": relative_files(paths, ctx.out),
            "summary": summary_lines(runs, ctx)}


def settings_json(settings: CNNSettings) -> dict[str, Any]:
    """The settings of the run, with the data and networks named."""
    return {"data": "digits (8x8 images, 450 test digits)", "models": list(settings.models),
            "epochs": settings.epochs, "lr": settings.lr, "batch_size": settings.batch_size,
            "train_size": settings.train_size, "channels": settings.channels,
            "hidden": settings.hidden, "loss": "softmax cross-entropy, mean over the batch",
            "optimizer": "SGD", "eval": "every epoch, evaluation mode"}


def summary_lines(runs: list[dict[str, Any]], ctx: ExperimentContext) -> list[str]:
    """Per network and seed: final accuracies and the largest lockstep differences."""
    lines = [f"cnn ({ctx.engine}, seeds {ctx.seeds}): train acc / test acc, lockstep"]
    for r in runs:
        ls = r["lockstep"]
        agree = ("" if ls["max_rel_diff"] is None else
                 f", max step diff {ls['max_rel_diff']:.2g}, eval diff "
                 f"{ls['metric_max_rel_diff']:.2g}")
        lines.append(f"  {r['model']:<8} seed {r['seed']}: {r['train_acc']:.3f} / "
                     f"{r['test_acc']:.3f} after {r['steps']} steps{agree}")
    return lines
