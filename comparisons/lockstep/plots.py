"""Plots of lockstep runs: both engines' loss curves overlaid, and their relative difference.

Figures are written as PNG and SVG (matplotlib's Agg backend, no display needed), in the
shared look of :mod:`comparisons.core.plotstyle`. The difference panels draw, per run and step,
the limit the divergence rule applied (dashed, in the run's colour): ``rtol + atol / |ref|``,
which rises above ``rtol`` where the reference value is small enough for the absolute tolerance
to dominate.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from comparisons.core import plotstyle

plotstyle.use()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from comparisons.core.tolerances import Tolerance  # noqa: E402
from comparisons.lockstep.log import plain_limit  # noqa: E402
from comparisons.lockstep.train import LockstepResult  # noqa: E402

EXACT_FLOOR = 1e-17
"""Where a difference of exactly 0 (bit-identical) is drawn on the log-scale difference plot."""

TOLERANCE_STYLE: dict[str, Any] = {"ls": "--", "lw": 1.3}
"""How the tolerance applied to a run is drawn: dashed, in the run's colour, step by step."""


def save_figure(fig: Figure, out: Path, stem: str) -> list[Path]:
    """Write ``out/stem.png`` (150 dpi) and ``out/stem.svg`` (``plotstyle.save``), close the
    figure, return paths."""
    paths = plotstyle.save(fig, out, stem)
    plt.close(fig)
    return paths


def _overlay(ax: Any, runs: Mapping[str, LockstepResult]) -> None:
    """Per-epoch mean objective: handmade wide and pale, torch thin and dashed on top."""
    for i, r in enumerate(runs.values()):
        for engine in r.engines:
            losses = r.epoch_loss(engine)
            wide = engine == "handmade"
            ax.plot(np.arange(1, len(losses) + 1), losses, color=f"C{i}",
                    lw=4.0 if wide else 1.2, alpha=0.35 if wide else 1.0,
                    ls="-" if wide else "--")
        if all(np.all(v > 0) for v in r.step_loss.values()):
            ax.set_yscale("log")
    runs_legend = [Line2D([], [], color=f"C{i}", lw=2, label=label)
                   for i, label in enumerate(runs)]
    styles = [Line2D([], [], color="grey", lw=4, alpha=0.35, label="handmade"),
              Line2D([], [], color="grey", lw=1, ls="--", label="torch")]
    ax.legend(handles=styles + runs_legend)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training objective, mean over the epoch's batches")
    ax.set_title("Training loss: both engines overlaid")


def _no_comparison(ax: Any) -> None:
    ax.text(0.5, 0.5, "one engine only:\nnothing to compare", ha="center", va="center",
            transform=ax.transAxes)
    ax.set_axis_off()


def _finish(ax: Any, tol: Tolerance, title: str, limit: str) -> None:
    """Log axis with exact zeros at the floor, labels, and the legend of the tolerance drawn."""
    ax.set_yscale("log")
    top = ax.dataLim.intervaly[1]  # headroom above the highest line for the legend
    ax.set_ylim(EXACT_FLOOR / 3, max(tol.rtol * 1e3, min(top * 1e3, 1.0)))
    ax.set_xlabel("optimiser step")
    ax.set_ylabel(f"relative difference (exact 0 drawn at {EXACT_FLOOR:g})")
    ax.set_title(f"{title}\n(a step fails above its run's dashed line)")
    solid = Line2D([], [], color="grey", lw=1.0, label="difference")
    line = Line2D([], [], color="grey", **TOLERANCE_STYLE,
                  label=f"tolerance applied: {limit}\n(rtol = {tol.rtol:g}, atol = {tol.atol:g})")
    ax.legend(handles=[solid, line], loc="upper left")


def _differences(ax: Any, runs: Mapping[str, LockstepResult], which: str) -> Tolerance | None:
    """Each run's plain relative difference (``which``: "loss" or "drift") in its colour, and
    the limit the rule applied to it at each step dashed in the same colour; the tolerance,
    None when no run compared two engines."""
    tol = None
    for i, r in enumerate(runs.values()):
        values, limit = difference_and_limit(r, which)
        if values is None or limit is None:
            continue
        tol = r.tolerance
        steps = np.arange(len(values))
        ax.plot(steps, np.maximum(values, EXACT_FLOOR), color=f"C{i}", lw=1.0)
        ax.plot(steps, limit, color=f"C{i}", **TOLERANCE_STYLE)
    return tol


def difference_and_limit(r: LockstepResult, which: str) -> tuple[Any, Any]:
    """``(plain relative differences, the largest each step allowed)`` per step for the loss
    (``which="loss"``: ``|Δloss| / |loss_t|`` against ``rtol + atol / |loss_t|``) or the
    parameters (``"drift"``: ``param_drift`` against ``param_drift_limit``); ``(None, None)``
    for a one-engine run."""
    if which == "loss":
        if r.loss_rel_diff is None:
            return None, None
        return r.loss_rel_diff, plain_limit(np.abs(r.step_loss["torch"]), r.tolerance)
    if which != "drift":
        raise ValueError(f"which: expected 'loss' or 'drift', got {which!r}")
    if r.param_drift is None:
        return None, None
    limit = r.param_drift_limit
    return r.param_drift, np.full(len(r.param_drift), r.tolerance.rtol) if limit is None else limit


def _loss_differences(ax: Any, runs: Mapping[str, LockstepResult]) -> None:
    """|Δloss| / |loss| per run against ``rtol + atol/|loss|``, which rises above rtol where
    the loss is so small that the absolute tolerance dominates."""
    tol = _differences(ax, runs, "loss")
    if tol is None:
        return _no_comparison(ax)
    _finish(ax, tol, "|Δloss| / |loss| per step", "rtol + atol / |loss|")


def _param_drift(ax: Any, runs: Mapping[str, LockstepResult]) -> None:
    """max over parameters of max|θ_h - θ_t| / max|θ_t| after each step, per run."""
    tol = _differences(ax, runs, "drift")
    if tol is None:
        return _no_comparison(ax)
    _finish(ax, tol, "Parameter drift: max|Δθ| / max|θ| per step", "rtol + atol / max|θ|")


def plot_lockstep(runs: Mapping[str, LockstepResult], out: Path, stem: str,
                  title: str) -> list[Path]:
    """Overlay, loss-difference and drift panels for labelled runs (``stem``.png/.svg)."""
    fig, axes = plt.subplots(1, 3, figsize=plotstyle.figsize(5.0), layout="constrained")
    _overlay(axes[0], runs)
    _loss_differences(axes[1], runs)
    _param_drift(axes[2], runs)
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
    fig.suptitle(title)
    return save_figure(fig, out, stem)


def lockstep_plot_data(runs: Mapping[str, LockstepResult]) -> dict[str, Any]:
    """Every number :func:`plot_lockstep` draws, by run label (for the experiment's JSON)."""
    return {label: r.to_json() for label, r in runs.items()}
