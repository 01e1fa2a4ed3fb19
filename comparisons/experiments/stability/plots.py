"""Figures of the ``stability`` experiment (PNG + SVG via ``lockstep_plots.save_figure``).

Each function takes the JSON sections the experiment writes, so every plotted number is in the
JSON. Where two engines ran, handmade is drawn as a wide pale line and torch as a thin dashed
line on top (they coincide when the engines agree).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypedDict

from comparisons.core import plotstyle

plotstyle.use()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from comparisons.experiments.stability.grads import INIT_LABELS  # noqa: E402
from comparisons.lockstep.plots import save_figure  # noqa: E402


class LineStyle(TypedDict):
    """How one engine's lines are drawn (matplotlib's ``lw``, ``alpha``, ``ls``)."""

    lw: float
    alpha: float
    ls: Literal["-", "--"]


STYLE: dict[str, LineStyle] = {"handmade": {"lw": 4.0, "alpha": 0.35, "ls": "-"},
                               "torch": {"lw": 1.2, "alpha": 1.0, "ls": "--"}}
BOOK_RANGE = (23.0, 26.0)  # log10 of the entries the book reports after 100 products


def _engine_legend(engines: list[str]) -> list[Line2D]:
    return [Line2D([], [], color="grey", label=f"{e} engine", **STYLE[e]) for e in engines]


def sigmoid_figure(sig: dict[str, Any], out: Path, stem: str) -> list[Path]:
    """Left: sigma and sigma' on [-8, 8) (the book's plot); right: sigma' on a log axis."""
    x = np.asarray(sig["x"])
    fig, (ax, lg) = plt.subplots(1, 2, figsize=plotstyle.figsize(4.4), layout="constrained")
    for engine, vals in sig["by_engine"].items():
        ax.plot(x, vals["sigmoid"], color="C0", **STYLE[engine])
        ax.plot(x, vals["grad"], color="C1", **STYLE[engine])
        lg.plot(x, vals["grad"], color="C1", **STYLE[engine])
    ax.set_title("Sigmoid and its gradient")
    ax.set_ylabel("value")
    handles = [Line2D([], [], color="C0", lw=2, label="σ(x) = 1 / (1 + e⁻ˣ)"),
               Line2D([], [], color="C1", lw=2, label="σ'(x) = σ(x)(1 − σ(x))")]
    ax.legend(handles=handles + _engine_legend(list(sig["by_engine"])),
              loc="center left")
    lg.set_yscale("log")
    lg.axhline(sig["grad_at_edges"], color="grey", ls=":", lw=1)
    lg.set_title(f"σ'(x) vanishes for large |x|: max {sig['grad_max']:.2f}, "
                 f"{sig['grad_at_edges']:.1e} at |x| = 8")
    lg.set_ylabel("σ'(x) (log scale)")
    lg.legend(handles=_engine_legend(list(sig["by_engine"])), loc="lower center")
    for a in (ax, lg):
        a.set_xlabel("x")
        a.grid(alpha=0.3)
    fig.suptitle("Vanishing gradients: a saturated sigmoid passes almost nothing back")
    return save_figure(fig, out, stem)


def matrix_product_figure(mp: dict[str, Any], out: Path, stem: str) -> list[Path]:
    """log10 max|M_k| against the number of factors k, one line per seed; the book's range."""
    fig, ax = plt.subplots(figsize=plotstyle.figsize(4.6), layout="constrained")
    ax.axhspan(*BOOK_RANGE, color="gold", alpha=0.3, label="book: entries 1e23 – 1e26")
    for i, run in enumerate(mp["runs"]):
        logs = run["log10_max_abs"]
        ax.plot(np.arange(len(logs)), logs, color=f"C{i}", lw=1.5,
                label=f"seed {run['seed']}: 10^{logs[-1]:.1f} after {len(logs) - 1}")
    ax.set_xlabel("number of random factors multiplied in (k)")
    ax.set_ylabel("log₁₀ max |entry| of the product")
    n = mp["size"]
    ax.set_title(f"Exploding products: M₀ · A₁ ⋯ A_k, all {n}×{n} with N(0, 1) entries")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return save_figure(fig, out, stem)


def _norm_panel(ax: Any, rows: list[dict[str, Any]], key: str, inits: list[str]) -> None:
    """One quantity per layer, log axis: every seed and engine, one colour per init."""
    for r in rows:
        c = f"C{inits.index(r['init'])}"
        for engine, vals in r["by_engine"].items():
            y = vals[key]
            ax.plot(np.arange(1, len(y) + 1), y, color=c, marker="o", ms=3, **STYLE[engine])
    ax.set_yscale("log")
    ax.grid(alpha=0.3)


def _ratio_text(rows: list[dict[str, Any]], key: str, inits: list[str]) -> str:
    """"layer 1 / layer L: <init> <geometric mean over seeds>, ..." for a panel title."""
    parts = []
    for init in inits:
        ratios = [r[key][0] / r[key][-1] for r in rows if r["init"] == init]
        parts.append(f"{INIT_LABELS[init]} {np.exp(np.mean(np.log(ratios))):.1e}")
    return "layer 1 / layer L: " + ", ".join(parts)


def gradient_norm_figure(gn: dict[str, Any], out: Path, stem: str) -> list[Path]:
    """Rows: activations; columns: ||dL/dW_l|| and ||dL/dh_{l-1}|| against layer l."""
    rows, acts = gn["runs"], gn["activations"]
    inits = list(dict.fromkeys(r["init"] for r in rows))
    engines = list(rows[0]["by_engine"])
    fig, axes = plt.subplots(len(acts), 2, figsize=plotstyle.figsize(4.2 * len(acts)),
                             squeeze=False, layout="constrained", sharex=True)
    cols = (("weight_grad_norms", "‖∂L/∂W_l‖ (Frobenius)"),
            ("input_grad_norms", "‖∂L/∂h_(l−1)‖, signal entering layer l"))
    for i, act in enumerate(acts):
        for j, (key, label) in enumerate(cols):
            ax = axes[i][j]
            mine = [r for r in rows if r["activation"] == act]
            _norm_panel(ax, mine, key, inits)
            ax.set_title(f"{act}: {label}\n{_ratio_text(mine, key, inits)}")
            ax.set_ylabel("norm (log scale)")
    for ax in axes[-1]:
        ax.set_xlabel("layer l (1 = next to the input)")
        ax.set_xticks(range(1, gn["depth"] + 1))
    handles = [Line2D([], [], color=f"C{k}", lw=2, marker="o", label=INIT_LABELS[n])
               for k, n in enumerate(inits)]
    axes[0][0].legend(handles=handles + _engine_legend(engines),
                      title=f"{len(gn['seeds'])} seeds each")
    fig.suptitle(f"Gradient norms at initialisation, {gn['depth']} Linear layers of width "
                 f"{gn['width']}, a batch of {gn['batch']} digits")
    return save_figure(fig, out, stem)


def agreement_figure(checks: list[dict[str, Any]], rtol: float, out: Path,
                     stem: str) -> list[Path]:
    """Relative difference handmade vs torch of every compared tensor, log axis, tolerance."""
    fig, ax = plt.subplots(figsize=plotstyle.figsize(4.2), layout="constrained")
    names = list(dict.fromkeys(c["name"] for c in checks))
    for k, name in enumerate(names):
        rel = [max(c["max_rel_err"] or 0.0, 1e-17) for c in checks if c["name"] == name]
        ax.scatter(np.full(len(rel), k) + np.linspace(-0.3, 0.3, len(rel)), rel, s=8,
                   color=f"C{k % 10}")
    ax.axhline(rtol, color="red", ls="--", label=f"tolerance rtol = {rtol:g}")
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel("max|handmade − torch| / max|torch|\n(exact 0 drawn at 1e-17)")
    ax.set_title("Handmade backward vs torch autograd, every gradient tensor (one step)")
    ax.grid(alpha=0.3, which="both", axis="y")
    ax.legend()
    return save_figure(fig, out, stem)
