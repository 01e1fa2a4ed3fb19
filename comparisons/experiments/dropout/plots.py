"""Figures of the ``dropout`` experiment (PNG + SVG via ``lockstep_plots.save_figure``).

Each takes the JSON rows the experiment writes, so every plotted number is in the JSON. Colours:
without dropout C0 (blue), with dropout C1 (orange); thin lines are seeds, thick the mean;
train solid, test dashed (:mod:`comparisons.core.plotstyle`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comparisons.core import plotstyle
from comparisons.core.plotstyle import HELD_OUT, TRAIN

plotstyle.use()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from comparisons.lockstep.plots import save_figure  # noqa: E402

COLOR = {False: "C0", True: "C1"}
NAME = {False: "without dropout", True: "with dropout"}


def _lines(ax: Any, runs: list[dict[str, Any]], dropout: bool, values: Any, ls: str,
           part: str) -> None:
    """Thin line per seed, thick mean over seeds, for the runs of one variant; ``part`` (train,
    test, gap) labels the lines."""
    mine = [r for r in runs if r["dropout"] is dropout]
    ys = np.array([values(r) for r in mine])
    for r, y in zip(mine, ys):
        ax.plot(r["epochs"], y, color=COLOR[dropout], lw=0.8, alpha=0.45, ls=ls,
                label=f"{part}, seed {r['seed']}")
    ax.plot(mine[0]["epochs"], ys.mean(axis=0), color=COLOR[dropout], lw=2.2, ls=ls,
            label=f"{part}, mean")


def _legend(ax: Any, styles: list[tuple[str, str]], loc: str) -> None:
    handles = [Line2D([], [], color=COLOR[d], lw=2.2, label=NAME[d]) for d in (False, True)]
    handles += [Line2D([], [], color="k", lw=1.5, ls=ls, label=lab) for ls, lab in styles]
    handles.append(Line2D([], [], color="grey", lw=0.8, alpha=0.6, label="single seeds"))
    ax.legend(handles=handles, loc=loc)


def curves_figure(runs: list[dict[str, Any]], p: list[float], out: Path,
                  stem: str) -> list[Path]:
    """Accuracy, loss (log) and generalisation gap per epoch, with and without dropout."""
    fig, axes = plt.subplots(1, 3, figsize=plotstyle.figsize(5.0), layout="constrained")
    acc, loss, gap = axes
    for d in (False, True):
        _lines(acc, runs, d, lambda r: r["train_acc_curve"], TRAIN, "train")
        _lines(acc, runs, d, lambda r: r["test_acc_curve"], HELD_OUT, "test")
        _lines(loss, runs, d, lambda r: r["train_loss_curve"], TRAIN, "train")
        _lines(loss, runs, d, lambda r: r["test_loss_curve"], HELD_OUT, "test")
        _lines(gap, runs, d, lambda r: np.subtract(r["train_acc_curve"], r["test_acc_curve"]),
               "-", "gap")
    low = min(min(r["test_acc_curve"][-1], r["train_acc_curve"][-1]) for r in runs)
    acc.set_ylim(max(0.0, low - 0.15), 1.005)
    acc.set_ylabel("accuracy (zoomed on the end of training)")
    acc.set_title("Accuracy per epoch (evaluation mode)")
    _legend(acc, [(TRAIN, "train"), (HELD_OUT, "test")], "lower right")
    loss.set_yscale("log")
    loss.set_ylabel("cross-entropy (log scale)")
    loss.set_title("Loss per epoch")
    _legend(loss, [(TRAIN, "train"), (HELD_OUT, "test")], "lower left")
    gap.axhline(0, color="grey", lw=0.8)
    gap.set_ylabel("train accuracy − test accuracy")
    gap.set_title("Generalisation gap per epoch")
    _legend(gap, [], "upper left")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    n = len({r["seed"] for r in runs})
    ps = ", ".join(f"{v:g}" for v in p)
    fig.suptitle(f"Dropout (p = {ps}) vs none: same initial weights and batches, {n} seeds")
    return save_figure(fig, out, stem)


def gaps_figure(gaps: list[dict[str, Any]], out: Path, stem: str) -> list[Path]:
    """Final gap per seed (and the mean) as paired bars without / with dropout."""
    labels = [f"seed {g['seed']}" for g in gaps] + ["mean"]
    without = [g["gap_without"] for g in gaps]
    with_ = [g["gap_with"] for g in gaps]
    without.append(float(np.mean(without)))
    with_.append(float(np.mean(with_)))
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=plotstyle.figsize(4.6), layout="constrained")
    for dx, values, d in ((-0.2, without, False), (0.2, with_, True)):
        bars = ax.bar(x + dx, values, 0.4, color=COLOR[d], label=NAME[d])
        ax.bar_label(bars, fmt="%.3f", fontsize="small", padding=2)
    ax.set_xticks(x, labels)
    ax.axvline(len(gaps) - 0.5, color="grey", lw=0.8, ls=":")
    ax.set_ylabel("final train accuracy − test accuracy")
    ax.set_ylim(min(0.0, 1.2 * min(without + with_)), max(without + with_) * 1.2 + 1e-3)
    ax.set_title("Generalisation gap after training: smaller is better")
    ax.grid(alpha=0.3, axis="y")
    ax.legend()
    return save_figure(fig, out, stem)


def gain_figure(gain: dict[str, Any], out: Path, stem: str) -> list[Path]:
    """The test-accuracy gain from dropout per epoch (``gain`` from
    :func:`comparisons.experiments.dropout.experiment.gain_band`): the seed band min–max (light),
    ±1 sd (darker), thin lines per seed, the mean thick, and 0 (no gain) for reference."""
    x = np.asarray(gain["epochs"])
    mean, sd = np.asarray(gain["mean"]), np.asarray(gain["sd"])
    fig, ax = plt.subplots(figsize=plotstyle.figsize(4.6), layout="constrained")
    ax.fill_between(x, gain["min"], gain["max"], color=COLOR[True], alpha=0.15, lw=0,
                    label="seed band: min – max")
    ax.fill_between(x, mean - sd, mean + sd, color=COLOR[True], alpha=0.3, lw=0,
                    label="mean ± 1 sd over seeds")
    for row in gain["per_seed"]:
        ax.plot(x, row, color=COLOR[True], lw=0.7, alpha=0.4, ls=HELD_OUT)
    ax.plot(x, mean, color=COLOR[True], lw=2.2, ls=HELD_OUT, label="mean gain")
    ax.plot([], [], color=COLOR[True], lw=0.7, alpha=0.6, ls=HELD_OUT, label="single seeds")
    ax.axhline(0, color="grey", lw=1.0, ls=":", label="no gain")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy with − without dropout")
    n, k = len(gain["seeds"]), gain["epochs_every_seed_gains"]
    ax.set_title(f"Test-accuracy gain from dropout, {n} seeds (paired): every seed gains in "
                 f"{k} of {len(x)} evaluated epochs")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside right upper")
    return save_figure(fig, out, stem)
