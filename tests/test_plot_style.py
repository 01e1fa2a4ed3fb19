"""Every experiment figure: train solid, held-out dashed, one width and no hard-coded font sizes;
the lockstep panels draw the tolerance the divergence rule applied, step by step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.font_manager import font_scalings
from matplotlib.text import Text

from comparisons.core import plotstyle
from comparisons.core.compare import compare
from comparisons.core.tolerances import tolerance
from comparisons.experiments import plots as experiment_plots
from comparisons.experiments.cnn import plots as cnn_plots
from comparisons.experiments.dropout import plots as dropout_plots
from comparisons.experiments.house_prices import outputs as house_outputs
from comparisons.lockstep import plots as lockstep_plots
from comparisons.lockstep.log import StepLog, plain_limit
from comparisons.lockstep.train import LockstepResult

TOL = tolerance("lockstep", "float64")
EPOCHS = [1, 2, 3, 4]


def _capture(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[Figure]:
    """Make ``module.save_figure`` keep the figure instead of writing it."""
    figures: list[Figure] = []

    def keep(fig: Figure, out: Path, stem: str) -> list[Path]:
        figures.append(fig)
        return []

    monkeypatch.setattr(module, "save_figure", keep)
    return figures


def _curve(start: float) -> list[float]:
    return [start / k for k in EPOCHS]


def _styles(fig: Figure) -> dict[str, set[str]]:
    """Line styles of the labelled data lines (and error-bar lines), by kind of data."""
    found: dict[str, set[str]] = {"train": set(), "held-out": set()}
    for ax in fig.axes:
        labelled = [(ln.get_label(), ln.get_linestyle()) for ln in ax.lines]
        labelled += [(c.get_label(), c.lines[0].get_linestyle()) for c in ax.containers
                     if hasattr(c, "has_xerr") and c.lines[0] is not None]
        for text, style in labelled:
            if text.startswith("_"):
                continue
            if "train" in text:
                found["train"].add(style)
            if "test" in text or "validation" in text:
                found["held-out"].add(style)
    return found


def _overfitting(out: Path) -> None:
    fits = [{"name": n, "seed": 0, "features": k, "epochs": EPOCHS, "train_curve": _curve(1),
             "test_curve": _curve(2)} for n, k in (("normal", 4), ("overfit", 20))]
    experiment_plots.overfitting_curves(fits, out, "x")


def _weight_decay(out: Path) -> None:
    runs = [{"convention": c, "lambda": lam, "seed": 0, "epochs": EPOCHS, "w_norm": 1.0,
             "train_curve": _curve(1), "test_curve": _curve(2)}
            for c in ("scratch", "concise") for lam in (0.0, 3.0)]
    experiment_plots.weight_decay_curves(runs, 0, out, "x")


def _dropout(out: Path) -> None:
    runs = [{"dropout": d, "seed": s, "epochs": EPOCHS, "train_acc_curve": [0.9] * 4,
             "test_acc_curve": [0.8] * 4, "train_loss_curve": _curve(1),
             "test_loss_curve": _curve(2)} for d in (False, True) for s in (0, 1)]
    dropout_plots.curves_figure(runs, [0.2, 0.5], out, "x")


def _config(name: str, lam: float, valid: float) -> dict[str, Any]:
    return {"config": {"name": name, "model": "mlp", "dropout": 0.2, "weight_decay": lam},
            "avg_valid_log_rmse": valid, "std_valid_log_rmse": 0.01,
            "avg_train_log_rmse": valid / 2,
            "folds": [{"fold": i, "epochs": EPOCHS, "train_curve": _curve(1),
                       "valid_curve": _curve(2)} for i in (1, 2)]}


def _house_curves(out: Path) -> None:
    house_outputs.plot_fold_curves(_config("mlp", 0.0, 0.2), out, "x")


def _house_sweep(out: Path) -> None:
    rows = [_config(f"mlp wd={lam:g}", lam, 0.2 + lam) for lam in (0.0, 0.003, 0.03)]
    house_outputs.plot_weight_decay(rows, "mlp wd=0", out, "x")


def _cnn(out: Path) -> None:
    curves = {e: {f"{p}_{m}": _curve(1) for p in ("train", "test") for m in ("loss", "acc")}
              for e in ("handmade", "torch")}
    cnn_plots.curves_figure([{"seed": 0, "model": "conv", "epochs": EPOCHS, "curves": curves}],
                            Path("unused"), "x")


FIGURES = [(experiment_plots, _overfitting), (experiment_plots, _weight_decay),
           (dropout_plots, _dropout), (house_outputs, _house_curves),
           (house_outputs, _house_sweep), (cnn_plots, _cnn)]


@pytest.mark.parametrize(("module", "draw"), FIGURES, ids=lambda v: getattr(v, "__name__", ""))
def test_plot_train_is_solid_and_held_out_dashed(module, draw, monkeypatch, tmp_path) -> None:
    figures = _capture(monkeypatch, module)
    draw(tmp_path)
    assert len(figures) == 1
    styles = _styles(figures[0])
    assert styles == {"train": {"-"}, "held-out": {"--"}}
    assert tuple(figures[0].get_size_inches()) == pytest.approx(
        (plotstyle.WIDTH, figures[0].get_size_inches()[1]))
    plt.close(figures[0])


@pytest.mark.parametrize(("module", "draw"), FIGURES, ids=lambda v: getattr(v, "__name__", ""))
def test_plot_every_text_takes_the_shared_font_sizes(module, draw, monkeypatch, tmp_path) -> None:
    figures = _capture(monkeypatch, module)
    draw(tmp_path)
    fig = figures[0]
    base = plotstyle.RC["font.size"]
    labels = {t.get_fontsize() for ax in fig.axes for t in (ax.title, ax.xaxis.label)
              if t.get_text()}
    legends = {t.get_fontsize() for ax in fig.axes if ax.get_legend()
               for t in ax.get_legend().get_texts()}
    legends |= {t.get_fontsize() for lg in fig.legends for t in lg.get_texts()}
    assert labels == {base} and legends == {base * font_scalings["small"]}
    if fig.get_suptitle():
        suptitle = next(t for t in fig.findobj(Text) if t.get_text() == fig.get_suptitle())
        assert suptitle.get_fontsize() == base * font_scalings["large"]
    plt.close(fig)


def test_plot_a_single_weight_decay_is_no_sweep(monkeypatch, tmp_path) -> None:
    figures = _capture(monkeypatch, house_outputs)
    house_outputs.plot_weight_decay([_config("baseline", 0.0, 0.3), _config("mlp", 0.003, 0.13)],
                                    "mlp", tmp_path, "x")
    ax = figures[0].axes[0]
    assert "no sweep" in ax.get_title()
    assert [t.get_text().split("\n")[0] for t in ax.get_yticklabels()] == ["book's baseline",
                                                                          "mlp"]
    assert ax.get_xscale() == "linear" and ax.get_xlim()[0] == 0
    plt.close(figures[0])


def _result(loss: np.ndarray, drift: np.ndarray, drift_limit: np.ndarray) -> LockstepResult:
    n = len(loss)
    return LockstepResult(("handmade", "torch"), "float64", TOL, [n],
                          {"handmade": loss * (1 + 1e-11), "torch": loss}, np.full(n, 1e-11),
                          drift, np.full(n, 1e-11), [], {}, {}, None, 1e-11,
                          param_drift_limit=drift_limit)


def _dashed(ax: Any, colour: str) -> list[np.ndarray]:
    return [np.asarray(ln.get_ydata(), float) for ln in ax.lines
            if ln.get_color() == colour and ln.get_linestyle() == "--"]


def test_plot_lockstep_draws_the_limit_the_rule_applies(monkeypatch, tmp_path) -> None:
    loss = np.geomspace(1.0, 1e-12, 30)  # the loss falls until atol dominates
    drift_limit = np.linspace(TOL.rtol, 5 * TOL.rtol, 30)
    figures = _capture(monkeypatch, lockstep_plots)
    runs = {"a": _result(loss, np.full(30, 1e-12), drift_limit),
            "b": _result(np.full(30, 3.0), np.full(30, 1e-12), np.full(30, TOL.rtol))}
    lockstep_plots.plot_lockstep(runs, tmp_path, "x", "t")
    _, loss_ax, drift_ax = figures[0].axes
    (other,) = _dashed(loss_ax, "C1")  # each run's limit in its own colour
    np.testing.assert_allclose(other, TOL.rtol + TOL.atol / 3.0, rtol=1e-12)
    (drawn,) = _dashed(loss_ax, "C0")
    np.testing.assert_allclose(drawn, TOL.rtol + TOL.atol / loss, rtol=1e-12)
    assert drawn[-1] > 100 * TOL.rtol  # far above rtol where the loss is 1e-12
    for k in (0, 29):  # the drawn value is compare's pass/fail boundary at that step
        ref = np.array([loss[k]])
        assert compare(ref * (1 + 0.99 * drawn[k]), ref, name="s", tensor="loss",
                       against="lockstep", tol=TOL).passed
        assert not compare(ref * (1 + 1.01 * drawn[k]), ref, name="s", tensor="loss",
                           against="lockstep", tol=TOL).passed
    (drift_drawn,) = _dashed(drift_ax, "C0")
    np.testing.assert_array_equal(drift_drawn, drift_limit)
    plt.close(figures[0])


class _Engine:
    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.params = params

    def state_dict(self, copy: bool = True) -> dict[str, np.ndarray]:
        return self.params


def test_steplog_keeps_the_limit_of_the_parameter_that_drifted_most() -> None:
    small, large = np.full(3, 1e-6), np.full(3, 2.0)
    torch_side = _Engine({"b": small, "W": large})
    hand_side = _Engine({"b": small * (1 + 1e-9), "W": large * (1 + 1e-12)})
    log = StepLog(("handmade", "torch"), TOL)
    log.record({"handmade": np.float64(1.0), "torch": np.float64(1.0)}, [hand_side, torch_side])
    assert log.drift == [pytest.approx(1e-9)]
    assert log.drift_limit == [pytest.approx(plain_limit(1e-6, TOL))]
    assert log.drift[0] <= log.drift_limit[0] and log.drift[0] > TOL.rtol and log.first is None
