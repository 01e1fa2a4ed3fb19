"""The overfitting experiment: the book's findings over several seeds, lockstep agreement, JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import handmade as hm
from comparisons.cli.main import main
from comparisons.core.tolerances import tolerance
from comparisons.data.synthetic import polynomial_data
from comparisons.experiments.overfitting import experiment as of
from comparisons.experiments.runner import run_experiment
from comparisons.lockstep.train import LossObjective, run_lockstep

TRUE_W = np.array([5, 1.2, -3.4, 5.6])


@pytest.fixture(scope="module")
def book_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Normal and underfit fits at the book's settings (400 epochs), seeds 0, 1, 2."""
    out = tmp_path_factory.mktemp("overfitting")
    code, payload = run_experiment("overfitting", [
        "--engine", "handmade", "--seeds", "3", "--fits", "normal,underfit", "--out", str(out),
        "--quiet"])
    assert code == 0
    return payload


def test_cubic_fit_recovers_the_true_weights_on_every_seed(book_run: dict[str, Any]) -> None:
    normal = [f for f in book_run["fits"] if f["name"] == "normal"]
    assert sorted(f["seed"] for f in normal) == [0, 1, 2]
    for f in normal:
        assert len(f["weights"]) == 4 and len(f["epochs"]) == 400
        assert np.max(np.abs(np.array(f["weights"]) - TRUE_W)) <= of.WEIGHT_TOLERANCE, f
    assert book_run["findings"]["cubic_recovers_true_weights"] is True


def test_linear_fit_test_loss_stays_far_above_the_cubic_one(book_run: dict[str, Any]) -> None:
    by = {(f["name"], f["seed"]): f for f in book_run["fits"]}
    for seed in (0, 1, 2):
        u, n = by[("underfit", seed)], by[("normal", seed)]
        half = len(u["test_curve"]) // 2
        ratio = np.array(u["test_curve"][half:]) / np.array(n["test_curve"][half:])
        assert ratio.min() >= of.FAR_ABOVE
        assert u["train_loss"] > of.FAR_ABOVE * n["train_loss"]  # underfitting: train too
    assert book_run["findings"]["linear_test_loss_far_above_cubic"] is True


def test_json_keeps_the_documented_keys_and_the_plots_exist(book_run: dict[str, Any]) -> None:
    data = json.loads(open(book_run["json"]).read())
    for f in data["fits"]:
        assert {"name", "seed", "weights", "train_loss", "test_loss"} <= set(f)
        assert f["name"] in ("normal", "underfit", "overfit")
    assert data["lockstep"]["max_rel_diff"] is None  # one engine: nothing compared
    assert "first_divergent_step" in data["lockstep"]
    out = Path(book_run["json"]).parent
    suffixes = {p.rsplit(".", 1)[1] for p in data["files"]}
    assert suffixes == {"png", "svg"} and all((out / p).stat().st_size for p in data["files"])


@pytest.mark.parametrize("fit", list(of.FITS))
def test_engines_agree_to_the_lockstep_tolerance_at_every_step(fit: str) -> None:
    data = polynomial_data(np.random.default_rng(0))
    r = run_lockstep(of.make_problem(data, of.FITS[fit], epochs=60), seed=(0, 1))
    tol = tolerance("lockstep", np.float64)
    assert r.first_divergent_step is None
    assert r.max_rel_diff <= tol.rtol and np.all(r.step_rel_diff <= tol.rtol)
    assert np.max(r.param_drift) <= tol.rtol
    assert r.metric_max_rel_diff <= tol.rtol


def test_same_seed_same_numbers_and_a_planted_bug_is_caught() -> None:
    data = polynomial_data(np.random.default_rng(1))
    problem = of.make_problem(data, 4, epochs=20)
    a, b = run_lockstep(problem, seed=3), run_lockstep(problem, seed=3)
    assert np.array_equal(a.step_loss["handmade"], b.step_loss["handmade"])
    assert a.metrics == b.metrics

    class SlowerHandmade(LossObjective):  # as if the handmade lr were 0.01 * (1 - 1e-6)
        def backward(self, model: hm.Module) -> None:
            super().backward(model)
            model.weight.grad = model.weight.grad * (1 - 1e-6)

    bug = replace(problem, handmade_objective=lambda: SlowerHandmade(hm.MSELoss()))
    assert run_lockstep(bug, seed=3).first_divergent_step == 0


def test_at_the_demo_settings_the_overfit_fit_tests_above_its_training_loss_on_every_seed(
        tmp_path: Path) -> None:
    code, payload = run_experiment("overfitting", [
        *of.DEMO_ARGS, "--engine", "handmade", "--fits", "overfit", "--out", str(tmp_path),
        "--quiet"])
    assert code == 0
    data = json.loads(open(payload["json"]).read())
    overfit = [f for f in data["fits"] if f["name"] == "overfit"]
    assert sorted(f["seed"] for f in overfit) == [0, 1, 2]
    assert all(f["n_train"] == 20 and f["test_loss"] > f["train_loss"] for f in overfit)
    assert data["findings"]["overfit_on_every_seed"] is True
    assert data["seeds_showing_overfit"] == 3 and data["settings"]["overfit_n_train"] == 20


def test_n_train_trains_the_overfit_fit_on_the_first_examples_only() -> None:
    data = polynomial_data(np.random.default_rng(0))
    few, every = of.make_problem(data, 20, 5, n_train=7), of.make_problem(data, 20, 5)
    assert np.array_equal(few.X, data.features_train[:7]) and len(every.X) == of.N_TRAIN
    assert few.batch_size == 7


def test_seeds_showing_overfit_counts_final_test_above_train() -> None:
    rows = [{"name": "overfit", "train_loss": 0.1, "test_loss": t} for t in (0.2, 0.1, 0.05)]
    rows.append({"name": "normal", "train_loss": 0.1, "test_loss": 9.0})
    assert of.seeds_showing_overfit(rows) == 1


@pytest.mark.parametrize("value", ["0", "101", "abc"])
def test_a_bad_n_train_is_one_line_and_exit_2(value: str, capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    code = main(["experiment", "overfitting", "--n-train", value, "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--n-train" in err[0] and value in err[0]
