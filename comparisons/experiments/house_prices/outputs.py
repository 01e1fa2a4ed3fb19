"""What the house-price experiment writes: the fold table, the predictions CSV and two figures.

Every function takes the JSON rows of :meth:`CVResult.to_json` (so every plotted or tabulated
number is also in the JSON). Figures go through ``save_figure`` (PNG 150 dpi + SVG), in the
look of :mod:`comparisons.core.plotstyle` (train solid, validation dashed).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from comparisons.core import plotstyle
from comparisons.core.plotstyle import HELD_OUT, TRAIN

plotstyle.use()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from comparisons.lockstep.plots import save_figure  # noqa: E402

STATS_TEXT = {"train": "training folds only (leak-free)",
              "all": "all rows, the test file's too if given (the book's way)"}


def check_not_input(path: Path, inputs: list[Path]) -> Path:
    """``path``, unless it is one of the user's input files (never overwrite an input)."""
    for given in inputs:
        if path.resolve() == given.resolve():
            raise ValueError(f"output {path}: expected a path other than the input file "
                             f"{given}, got the same file (choose another --out or --json)")
    return path


def write_predictions(path: Path, ids: NDArray, prices: NDArray) -> Path:
    """``Id,SalePrice`` rows (Kaggle's submission format), ids ascending, prices in dollars."""
    ids = np.asarray(ids, dtype=np.int64)
    prices = np.asarray(prices, dtype=np.float64)
    if ids.shape != prices.shape:
        raise ValueError(f"prices: expected shape {ids.shape} to match ids, got {prices.shape}")
    order = np.argsort(ids, kind="stable")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Id", "SalePrice"])
        writer.writerows([int(ids[i]), f"{prices[i]:.2f}"] for i in order)
    return path


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def table_lines(results: list[dict[str, Any]], best: str, stats: str) -> list[str]:
    """A plain-text table: one row per configuration, valid log RMSE per fold, averages."""
    k = max(len(r["folds"]) for r in results)
    width = max(10, *(len(r["config"]["name"]) for r in results)) + 2
    head = "".join(f"{'fold ' + str(i + 1):>9}" for i in range(k))
    how = STATS_TEXT.get(stats, stats)
    lines = [f"final validation log RMSE per fold; standardisation statistics: {how}",
             f"{'config':<{width}}{head}{'avg train':>11}{'avg valid':>11}{'max rel diff':>14}"]
    for r in results:
        folds = "".join(f"{_fmt(f['valid_log_rmse']):>9}" for f in r["folds"])
        rel = r["lockstep"]["max_rel_diff"]
        mark = "  <- best" if r["config"]["name"] == best else ""
        lines.append(f"{r['config']['name']:<{width}}{folds:<{9 * k}}"
                     f"{_fmt(r['avg_train_log_rmse']):>11}{_fmt(r['avg_valid_log_rmse']):>11}"
                     f"{'-' if rel is None else f'{rel:.1e}':>14}{mark}")
    return lines


def plot_fold_curves(result: dict[str, Any], out: Path, stem: str) -> list[Path]:
    """Train (solid) and validation (dashed) log RMSE per epoch, one colour per fold."""
    fig, ax = plt.subplots(figsize=plotstyle.figsize(5.2), layout="constrained")
    for i, f in enumerate(result["folds"]):
        ax.plot(f["epochs"], f["train_curve"], color=f"C{i}", lw=1.5, ls=TRAIN,
                label=f"train, fold {f['fold']}")
        ax.plot(f["epochs"], f["valid_curve"], color=f"C{i}", lw=1.5, ls=HELD_OUT,
                label=f"validation, fold {f['fold']}")
    _log_axis(ax)
    ax.set_xlabel("epoch")
    ax.set_ylabel("log RMSE" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.grid(alpha=0.3, which="both")
    name = result["config"]["name"]
    ax.set_title(f"{name}: log RMSE per epoch on each fold\n"
                 f"average over folds at the end: train {result['avg_train_log_rmse']:.4f}, "
                 f"validation {result['avg_valid_log_rmse']:.4f}")
    handles = [Line2D([], [], color="k", lw=1.5, ls=TRAIN, label="train"),
               Line2D([], [], color="k", lw=1.5, ls=HELD_OUT, label="validation")]
    handles += [Line2D([], [], color=f"C{i}", lw=2, label=f"fold {f['fold']}")
                for i, f in enumerate(result["folds"])]
    ax.legend(handles=handles, loc="upper right", ncols=2)
    return save_figure(fig, out, stem)


def _log_axis(ax: Any) -> None:
    """Whole-number epochs on x; on y a log scale with plain numbers (0.15, not 1.5×10⁻¹) when
    the curves span more than a factor 4 (the baseline falls from ~12), else a linear one."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    lo, hi = ax.dataLim.intervaly
    if not (lo > 0 and hi / lo > 4):
        return
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if _sparse(ax, v) else ""))


def _sparse(ax: Any, value: float) -> bool:
    """Which minor ticks get a label (so they do not crowd): all of them when the axis spans
    under a factor 2.5, those with leading digit 2, 3 or 5 up to two decades, else none."""
    lo, hi = ax.get_ylim()
    lead = round(value / 10 ** np.floor(np.log10(value)))
    return hi / lo < 2.5 or (hi / lo < 100 and lead in (2, 3, 5))


def _series(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Swept configurations grouped by everything but λ (one line each), λ ascending."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        c = r["config"]
        if c["name"] == "baseline":
            continue
        label = f"{c['model']} on log prices" + (f", dropout p={c['dropout']:g}"
                                                  if c["model"] == "mlp" else "")
        groups.setdefault(label, []).append(r)
    return {k: sorted(v, key=lambda r: r["config"]["weight_decay"]) for k, v in groups.items()}


def plot_weight_decay(results: list[dict[str, Any]], best: str, out: Path,
                      stem: str) -> list[Path]:
    """Average validation log RMSE (± std over folds) against λ, one line per model/dropout;
    with a single λ (no sweep) the configurations side by side instead (:func:`plot_configs`)."""
    lams = [r["config"]["weight_decay"] for r in results if r["config"]["name"] != "baseline"]
    if len(set(lams)) < 2:
        return plot_configs(results, best, out, stem)
    fig, ax = plt.subplots(figsize=plotstyle.figsize(5.2), layout="constrained")
    for i, (label, rows) in enumerate(_series(results).items()):
        x = [r["config"]["weight_decay"] for r in rows]
        ax.plot(x, [r["avg_train_log_rmse"] for r in rows], color=f"C{i}", ls=TRAIN, lw=1.5,
                marker=".", label=f"{label}: train")
        ax.errorbar(x, [r["avg_valid_log_rmse"] for r in rows], capsize=3, lw=1.5,
                    yerr=[r["std_valid_log_rmse"] for r in rows], color=f"C{i}", marker="o",
                    ls=HELD_OUT, label=f"{label}: validation")
    top = ax.get_ylim()[1] * 3  # a baseline this far above the sweep would flatten it
    for r in results:
        if r["config"]["name"] == "baseline":
            value = r["avg_valid_log_rmse"]
            label = f"book's baseline (linear, raw prices): {value:.4f}"
            if lams and value > top:  # far above the sweep: say so rather than squash it
                ax.plot([], [], color="grey", ls="--", label=f"{label} (above the plot)")
            else:
                ax.axhline(value, color="grey", ls="--", lw=1.2, label=label)
        if r["config"]["name"] == best and r["config"]["name"] != "baseline":
            ax.plot(r["config"]["weight_decay"], r["avg_valid_log_rmse"], marker="*", ms=16,
                    color="gold", mec="k", ls="none", zorder=5,
                    label=f"best: {best} ({r['avg_valid_log_rmse']:.4f})")
    positive = [v for v in lams if v > 0]
    ax.set_xscale("symlog", linthresh=min(positive) if positive else 1.0)
    ax.set_xticks(sorted(set(lams)), [f"{v:g}" for v in sorted(set(lams))])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("weight decay λ (symmetric log axis; 0 = none)")
    ax.set_ylabel("log RMSE (average over folds)")
    ax.set_title("Cross-validated log RMSE against weight decay\n"
                 "solid: train, dashed: validation (bars: ± std over folds)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="best")
    return save_figure(fig, out, stem)


def plot_configs(results: list[dict[str, Any]], best: str, out: Path, stem: str) -> list[Path]:
    """One row per configuration: its average train (square) and validation (dot, ± std over
    folds) log RMSE (a log axis when they span over a factor 10); drawn when every
    configuration has the same λ (no sweep)."""
    fig, ax = plt.subplots(figsize=plotstyle.figsize(0.9 * len(results) + 2.2),
                           layout="constrained")
    for y, r in enumerate(results):
        name = r["config"]["name"]
        colour = "gold" if name == best else "C0"
        ax.errorbar(r["avg_valid_log_rmse"], y, xerr=r["std_valid_log_rmse"], color="k",
                    marker="o", mfc=colour, ms=9, capsize=4, ls="none")
        ax.plot(r["avg_train_log_rmse"], y, marker="s", mfc="none", mec="k", ms=8, ls="none")
        ax.annotate(f"validation {r['avg_valid_log_rmse']:.4f}", (r["avg_valid_log_rmse"], y),
                    xytext=(0, 9), textcoords="offset points", ha="center")
    ax.set_yticks(range(len(results)), [_config_label(r, best) for r in results])
    ax.set_ylim(-0.7, len(results) - 0.3)
    values = [v for r in results for v in (r["avg_valid_log_rmse"], r["avg_train_log_rmse"])]
    wide = min(values) > 0 and max(values) / min(values) > 10  # e.g. a baseline far above
    if wide:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    else:
        ax.set_xlim(0, max(values) * 1.15)
    ax.set_xlabel("log RMSE, average over folds" + (" (log axis)" if wide else ""))
    lams = sorted({r["config"]["weight_decay"] for r in results
                   if r["config"]["name"] != "baseline"})
    ax.set_title(f"Cross-validated log RMSE of each configuration: one λ "
                 f"({', '.join(f'{v:g}' for v in lams) or 'none'}), so no sweep to draw\n"
                 "(give --weight-decay several values, e.g. 0,0.003,0.03, for a curve against λ)")
    ax.grid(alpha=0.3, axis="x", which="both")
    ax.legend(handles=[Line2D([], [], color="k", marker="o", ls="none", label="validation ± std"),
                       Line2D([], [], color="k", marker="s", mfc="none", ls="none",
                              label="train")], loc="lower right")
    return save_figure(fig, out, stem)


def _config_label(r: dict[str, Any], best: str) -> str:
    """A configuration's row label: its name, the book's baseline or the best marked."""
    name = r["config"]["name"]
    if name == "baseline":
        return "book's baseline\n(linear, raw prices)"
    return f"{name}\n(best)" if name == best else name
