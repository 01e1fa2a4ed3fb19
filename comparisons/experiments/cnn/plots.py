"""Figures of the ``cnn`` experiment (PNG + SVG via ``lockstep.plots.save_figure``).

Both read the JSON the experiment writes (its ``runs`` rows and ``lockstep_curves``), so every
plotted number is in the JSON. Colours: one per network ("conv" C0, "conv-bn" C1); the handmade
engine is drawn wide and pale, torch thin on top (where they agree, torch runs inside handmade).
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
from matplotlib.ticker import MaxNLocator  # noqa: E402

from comparisons.lockstep.plots import EXACT_FLOOR, save_figure  # noqa: E402

STYLE: dict[str, dict[str, Any]] = {"handmade": {"lw": 4.0, "alpha": 0.35},
                                  "torch": {"lw": 1.2, "alpha": 1.0}}
SETS = {"train": TRAIN, "test": HELD_OUT}


def _engine_handles(engines: list[str]) -> list[Line2D]:
    return [Line2D([], [], color="grey", label=e, **STYLE[e]) for e in engines]


def _model_handles(models: list[str]) -> list[Line2D]:
    return [Line2D([], [], color=f"C{i}", lw=2, label=m) for i, m in enumerate(models)]


def curves_figure(runs: list[dict[str, Any]], out: Path, stem: str) -> list[Path]:
    """Loss (log) and accuracy per epoch, train and test (evaluation mode), both engines, for
    the runs of the first seed."""
    seed = runs[0]["seed"]
    mine = [r for r in runs if r["seed"] == seed]
    fig, axes = plt.subplots(1, 2, figsize=plotstyle.figsize(4.8), layout="constrained")
    for i, r in enumerate(mine):
        for engine, curves in r["curves"].items():
            for part, ls in SETS.items():
                for ax, metric in zip(axes, ("loss", "acc")):
                    ax.plot(r["epochs"], curves[f"{part}_{metric}"], color=f"C{i}", ls=ls,
                            label=f"{r['model']}, {engine}: {part}", **STYLE[engine])
    sets = [Line2D([], [], color="k", lw=1.2, ls=ls, label=part) for part, ls in SETS.items()]
    handles = (_model_handles([r["model"] for r in mine]) + sets
               + _engine_handles(list(mine[0]["curves"])))
    loss, acc = axes
    loss.set_yscale("log")
    loss.set_ylabel("softmax cross-entropy, mean (log scale)")
    loss.set_title("Loss per epoch (evaluation mode)")
    acc.set_ylabel("accuracy")
    acc.set_ylim(0, 1.02)
    acc.set_title("Accuracy per epoch (evaluation mode)")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3, which="both")
        ax.legend(handles=handles, ncol=2)
    fig.suptitle(f"CNN on the 8x8 digits, seed {seed}: handmade vs torch (evaluation mode: "
                 "batch norm uses its running statistics)")
    return save_figure(fig, out, stem)


def _tolerance(ax: Any, rtol: float, atol: float, title: str, xlabel: str) -> None:
    """The applied rule as a line: a step fails above rtol (|Δ| > atol + rtol·|ref|)."""
    ax.axhline(rtol, color="red", ls="--", lw=1.5)
    ax.set_yscale("log")
    ax.set_ylim(EXACT_FLOOR / 3, max(rtol * 1e3, min(ax.get_ylim()[1], 1.0)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"|Δ| / (|ref| + atol/rtol)   (exact 0 drawn at {EXACT_FLOOR:g})")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")


def _one_engine(ax: Any) -> None:
    ax.text(0.5, 0.5, "one engine only:\nnothing to compare", ha="center", va="center",
            transform=ax.transAxes)
    ax.set_axis_off()


def lockstep_figure(curves: dict[str, dict[str, Any]], runs: list[dict[str, Any]], out: Path,
                    stem: str) -> list[Path]:
    """Step loss of both engines; the per-step difference (loss, parameters, buffers) and the
    evaluation-mode metrics' difference per epoch, each against the tolerance applied."""
    fig, axes = plt.subplots(1, 3, figsize=plotstyle.figsize(5), layout="constrained")
    models = list(curves)
    for i, c in enumerate(curves.values()):
        for engine, losses in c["step_loss"].items():
            axes[0].plot(np.arange(len(losses)), losses, color=f"C{i}", **STYLE[engine])
    axes[0].set_yscale("log")
    axes[0].set_xlabel("optimiser step")
    axes[0].set_ylabel("training objective of the batch, before the update (log)")
    axes[0].set_title("Training loss, every step")
    engines = list(next(iter(curves.values()))["step_loss"])
    axes[0].legend(handles=_model_handles(models) + _engine_handles(engines))
    axes[0].grid(alpha=0.3, which="both")
    dtype = next(iter(curves.values()))["dtype"]
    fig.suptitle(f"CNN lockstep: handmade vs torch, {dtype}")
    compared = [c for c in curves.values() if c["step_rel_diff"] is not None]
    if not compared:
        _one_engine(axes[1])
        _one_engine(axes[2])
        return save_figure(fig, out, stem)
    rtol, atol = compared[0]["tolerance"]["rtol"], compared[0]["tolerance"]["atol"]
    for i, c in enumerate(curves.values()):
        axes[1].plot(np.maximum(c["step_rel_diff"], EXACT_FLOOR), color=f"C{i}", lw=1.0)
    _tolerance(axes[1], rtol, atol, "Per step: worst of loss, parameters, buffers",
               "optimiser step")
    first = {r["model"]: r for r in runs if r["seed"] == runs[0]["seed"]}
    for i, model in enumerate(models):
        r = first[model]
        for key, marker in (("test_loss", "o"), ("test_acc", "s")):
            axes[2].plot(r["epochs"], np.maximum(r["eval_rel_diff"][key], EXACT_FLOOR),
                         color=f"C{i}", marker=marker, ms=4, lw=1.0)
    _tolerance(axes[2], rtol, atol, "Evaluation mode (running statistics): test metrics",
               "epoch")
    axes[2].xaxis.set_major_locator(MaxNLocator(integer=True))
    tol = Line2D([], [], color="red", ls="--", lw=1.5,
                 label=f"tolerance: fails above rtol = {rtol:g} (|Δ| > {atol:g} + rtol·|ref|)")
    marks = [Line2D([], [], color="grey", marker=m, lw=1, label=k)
             for k, m in (("test loss", "o"), ("test accuracy", "s"))]
    axes[1].legend(handles=[tol, *_model_handles(models)], loc="upper left")
    axes[2].legend(handles=[tol, *_model_handles(models), *marks], loc="upper left")
    return save_figure(fig, out, stem)
