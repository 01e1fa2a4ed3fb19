"""Figures of the experiments (PNG + SVG via :func:`comparisons.lockstep.plots.save_figure`).

Each function takes the JSON rows the experiment also writes, so every plotted number is in the
JSON, and returns the paths written. The look is :mod:`comparisons.core.plotstyle`'s: training
curves solid, held-out (test) curves dashed, every figure the same width.
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

NOISE_VARIANCE = 0.01  # the polynomial data's ε ~ N(0, 0.1²): the best achievable test MSE


def _style_legend(fig: Any, seeds: list[int], extra: list[Line2D], lw: float = 2) -> None:
    """One figure legend outside on the right: line styles (what), then colours (which seed)."""
    handles = extra + [Line2D([], [], color=f"C{i}", lw=lw, label=f"seed {s}")
                       for i, s in enumerate(seeds)]
    fig.legend(handles=handles, loc="outside right upper")


def overfitting_curves(fits: list[dict[str, Any]], out: Path, stem: str) -> list[Path]:
    """One panel per fit: train (solid) and test (dashed) MSE per epoch, one colour per seed; each
    panel's title gives its features, training examples and on how many seeds test > train."""
    names = list(dict.fromkeys(f["name"] for f in fits))
    seeds = sorted({f["seed"] for f in fits})
    fig, axes = plt.subplots(1, len(names), figsize=plotstyle.figsize(4.6), sharey=True,
                             layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], names):
        for f in (f for f in fits if f["name"] == name):
            c = f"C{seeds.index(f['seed'])}"
            ax.plot(f["epochs"], f["train_curve"], color=c, lw=1.5, ls=TRAIN, label="train")
            ax.plot(f["epochs"], f["test_curve"], color=c, lw=1.5, ls=HELD_OUT, label="test")
        ax.axhline(NOISE_VARIANCE, color="grey", ls=":", lw=1.2)
        ax.set_yscale("log")
        ax.set_title(fit_title(fits, name))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3, which="both")
    styles = [Line2D([], [], color="k", ls=TRAIN, label="train"),
              Line2D([], [], color="k", ls=HELD_OUT, label="test"),
              Line2D([], [], color="grey", ls=":", label="noise variance\n(best test MSE)")]
    _style_legend(fig, seeds, styles)
    axes[0][0].set_ylabel("mean squared error")
    fig.suptitle("Polynomial regression: training and test loss per epoch")
    return save_figure(fig, out, stem)


def fit_title(fits: list[dict[str, Any]], name: str) -> str:
    """"normal fit (4 features, 100 examples)"; the overfit fit's says on how many seeds its
    last test loss lies above its last training loss ("test > train on k of n seeds")."""
    rows = [f for f in fits if f["name"] == name]
    n = rows[0].get("n_train")
    title = f"{name} fit ({fits_features(fits, name)} features"
    title += f", {n} examples)" if n is not None else ")"
    if name == "overfit":
        above = sum(f["test_curve"][-1] > f["train_curve"][-1] for f in rows)
        title += f"\ntest > train on {above} of {len(rows)} seeds"
    return title


def fits_features(fits: list[dict[str, Any]], name: str) -> int:
    """Number of features of the fit ``name``."""
    return next(f["features"] for f in fits if f["name"] == name)


def overfitting_weights(fits: list[dict[str, Any]], out: Path, stem: str) -> list[Path]:
    """One panel per fit: the true weights (black) beside the fitted ones of every seed."""
    names = list(dict.fromkeys(f["name"] for f in fits))
    seeds = sorted({f["seed"] for f in fits})
    widths = [max(fits_features(fits, n), 3) for n in names]
    fig, axes = plt.subplots(1, len(names), figsize=plotstyle.figsize(4.6),
                             width_ratios=widths, layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], names):
        rows = [f for f in fits if f["name"] == name]
        k = rows[0]["features"]
        width = 0.8 / (len(rows) + 1)
        ax.bar(np.arange(k) - 0.4 + width / 2, rows[0]["true_weights"], width, color="black",
               label="true")
        for j, f in enumerate(rows, start=1):
            ax.bar(np.arange(k) - 0.4 + width * (j + 0.5), f["weights"], width,
                   color=f"C{seeds.index(f['seed'])}", label=f"seed {f['seed']}")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xticks(np.arange(k))
        ax.set_xlabel("coefficient i (feature xⁱ/i!)")
        ax.set_title(f"{name} fit")
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel("weight")
    _style_legend(fig, seeds, [Line2D([], [], color="black", lw=6, label="true")], lw=6)
    fig.suptitle("Fitted weights beside the true ones [5, 1.2, -3.4, 5.6, 0, ...]")
    return save_figure(fig, out, stem)


def weight_decay_curves(runs: list[dict[str, Any]], seed: int, out: Path,
                        stem: str) -> list[Path]:
    """One panel per convention: train (solid) and test (dashed) MSE per epoch, λ = 0 and 3."""
    convs = list(dict.fromkeys(r["convention"] for r in runs))
    fig, axes = plt.subplots(1, len(convs), figsize=plotstyle.figsize(4.8), sharey=True,
                             layout="constrained", squeeze=False)
    for ax, conv in zip(axes[0], convs):
        for i, lam in enumerate((0.0, 3.0)):
            r = next(r for r in runs if (r["convention"], r["lambda"], r["seed"])
                     == (conv, lam, seed))
            ax.plot(r["epochs"], r["train_curve"], color=f"C{i}", lw=1.8, ls=TRAIN,
                    label=f"λ = {lam:g}: train")
            ax.plot(r["epochs"], r["test_curve"], color=f"C{i}", lw=1.8, ls=HELD_OUT,
                    label=f"λ = {lam:g}: test (‖w‖₂ = {r['w_norm']:.2f})")
        ax.set_yscale("log")
        ax.set_title(f"{conv} convention")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    axes[0][0].set_ylabel("mean squared error")
    fig.suptitle(f"Weight decay: 20 examples, 200 inputs (seed {seed})")
    return save_figure(fig, out, stem)


SPLIT_STYLES = (("w_norm_curve", "-", 5.0, 0.3, "‖w‖₂ (wide, light)"),
                ("w_data_norm_curve", "-.", 1.8, 1.0, "‖P_row w‖₂: spanned by the\ntraining rows"),
                ("w_null_norm_curve", ":", 2.2, 1.0, "‖P_null w‖₂: null space\nof X_train"))


def weight_decay_split(runs: list[dict[str, Any]], seed: int, out: Path, stem: str,
                       init: str = "normal") -> list[Path]:
    """One panel per convention, λ = 0 and 3 at ``seed``: ‖w‖₂ beside its data-spanned and
    null-space parts per epoch, and the null part's prediction (1 − ηλ)^steps · ‖P_null w₀‖
    (grey crosses, the rows' ``w_null_predicted_curve``). From ``init="zero"`` the null part is
    rounding (~1e-16): the axis then starts at 1e-3."""
    convs = list(dict.fromkeys(r["convention"] for r in runs))
    fig, axes = plt.subplots(1, len(convs), figsize=plotstyle.figsize(4.8), sharey=True,
                             layout="constrained", squeeze=False)
    for ax, conv in zip(axes[0], convs):
        at = {r["lambda"]: r for r in runs if (r["convention"], r["seed"]) == (conv, seed)}
        for i, lam in enumerate((0.0, 3.0)):
            for key, ls, lw, alpha, _ in SPLIT_STYLES:
                ax.plot(at[lam]["epochs"], at[lam][key], color=f"C{i}", ls=ls, lw=lw,
                        alpha=alpha)
        ax.plot(at[3.0]["epochs"][4::10], at[3.0]["w_null_predicted_curve"][4::10], "x",
                color="grey", ms=7, mew=1.5)
        ax.set_yscale("log")
        if init == "zero":
            ax.set_ylim(bottom=1e-3)
        ax.set_title(f"{conv} convention")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3, which="both")
    handles = [Line2D([], [], color="k", ls=ls, lw=lw, alpha=alpha, label=label)
               for _, ls, lw, alpha, label in SPLIT_STYLES]
    handles += [Line2D([], [], color="grey", ls="", marker="x",
                       label="(1 − ηλ)^steps · ‖P_null w₀‖\n(λ = 3)")]
    handles += [Line2D([], [], color=f"C{i}", lw=2, label=f"λ = {lam:g}")
                for i, lam in enumerate((0.0, 3.0))]
    fig.legend(handles=handles, loc="outside right upper")
    axes[0][0].set_ylabel("norm")
    start = ("w₀ = 0: the null-space part stays at rounding, below the axis" if init == "zero"
             else "w₀ ~ N(0, 1)")
    fig.suptitle(f"Where ‖w‖ lives: the training rows' span vs the null space the data never "
                 f"touches\n({start}, seed {seed})")
    return save_figure(fig, out, stem)


SWEEP_PANELS = (("train_loss", "final train MSE"), ("test_loss", "final test MSE"),
                ("w_norm", "‖w‖₂"))


def weight_decay_sweep(runs: list[dict[str, Any]], out: Path, stem: str) -> list[Path]:
    """Final train loss, test loss and ‖w‖₂ against λ (symlog axis, so λ = 0 shows).

    Lines: the mean over seeds per convention; dots: the individual seeds.
    """
    convs = list(dict.fromkeys(r["convention"] for r in runs))
    lams = sorted({r["lambda"] for r in runs})
    positive = [x for x in lams if x > 0]
    fig, axes = plt.subplots(1, 3, figsize=plotstyle.figsize(4.6), layout="constrained")
    for ax, (key, label) in zip(axes, SWEEP_PANELS):
        for i, conv in enumerate(convs):
            rows = [r for r in runs if r["convention"] == conv]
            ax.scatter([r["lambda"] for r in rows], [r[key] for r in rows], s=12,
                       color=f"C{i}", alpha=0.4)
            means = [np.mean([r[key] for r in rows if r["lambda"] == lam]) for lam in lams]
            ax.plot(lams, means, color=f"C{i}", lw=2, marker="os"[i % 2], label=conv)
        ax.set_xscale("symlog", linthresh=min(positive, default=1.0))
        ax.set_yscale("log")
        ax.set_xlabel("λ (weight decay; symlog axis, 0 at the left)")
        ax.set_ylabel(label)
        ax.set_title(f"{label} after training")
        ax.grid(alpha=0.3, which="both")
        ax.legend(title="convention (line: mean, dots: seeds)")
    fig.suptitle("Weight-decay sweep: final losses and weight norm against λ")
    return save_figure(fig, out, stem)
