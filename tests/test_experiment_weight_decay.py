"""The weight-decay experiment: the book's norms, the λ sweep, the two conventions' algebra."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from comparisons.cli.main import main
from comparisons.core.compare import compare
from comparisons.core.tolerances import tolerance
from comparisons.data.synthetic import high_dim_linear_data
from comparisons.experiments.runner import run_experiment
from comparisons.experiments.weight_decay import experiment as wd
from comparisons.experiments.weight_decay import model as wdm
from comparisons.lockstep.train import run_lockstep

SEED = 0


@pytest.fixture(scope="module")
def data() -> Any:
    return high_dim_linear_data(np.random.default_rng(SEED))


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The default sweep, one seed, handmade engine only (lockstep is tested below)."""
    out = tmp_path_factory.mktemp("weight-decay")
    code, payload = run_experiment("weight-decay", [
        "--engine", "handmade", "--seeds", "1", "--seed", str(SEED), "--out", str(out),
        "--quiet"])
    assert code == 0
    return payload


def _run(payload: dict[str, Any], conv: str, lam: float) -> dict[str, Any]:
    return next(r for r in payload["runs"] if (r["convention"], r["lambda"]) == (conv, lam))


def test_scratch_norms_and_test_losses_match_the_book(sweep: dict[str, Any]) -> None:
    s0, s3 = _run(sweep, "scratch", 0.0), _run(sweep, "scratch", 3.0)
    assert len(s0["epochs"]) == wdm.EPOCHS == 100
    assert 10 <= s0["w_norm"] <= 17  # book: 13.52
    assert s3["w_norm"] < 0.6  # book: 0.35
    assert s3["test_loss"] < s0["test_loss"]
    assert np.isclose(s0["w_norm"], s0["w_norm_curve"][-1])


def test_sweep_test_loss_falls_then_rises_or_flattens(sweep: dict[str, Any]) -> None:
    for conv in wdm.CONVENTIONS:
        rows = sorted((r for r in sweep["runs"] if r["convention"] == conv),
                      key=lambda r: r["lambda"])
        lams = [r["lambda"] for r in rows]
        assert lams[0] == 0 and len([x for x in lams if x > 0]) >= 8
        assert np.allclose(np.diff(np.log10(lams[1:])), np.log10(lams[2] / lams[1]), atol=0.3)
        test = np.array([r["test_loss"] for r in rows])
        low = int(np.argmin(test))
        assert test[low] < 0.5 * test[0]  # falls
        assert test[-1] > 1.1 * test[low] or abs(test[-1] - test[-2]) < 0.1 * test[-2]
        norms = np.array([r["w_norm"] for r in rows])
        assert norms[-1] < norms[0]
    assert all(sweep["findings"].values()), sweep["findings"]


def test_json_says_which_convention_is_which(sweep: dict[str, Any]) -> None:
    data = json.loads(open(sweep["json"]).read())
    for r in data["runs"]:
        assert {"lambda", "convention", "w_norm", "train_loss", "test_loss"} <= set(r)
        assert r["convention"] in ("scratch", "concise")
    assert "½" in data["conventions"]["scratch"] and "MSELoss" in data["conventions"]["concise"]
    out = Path(sweep["json"]).parent
    assert {p.rsplit(".", 1)[1] for p in data["files"]} == {"png", "svg"}
    assert all((out / p).stat().st_size for p in data["files"])
    assert data["lockstep"] == {"max_rel_diff": None, "first_divergent_step": None,
                                "divergent_run": None, "runs": 0, "max_plain_rel_diff": None}


@pytest.mark.parametrize("lam", [0.0, 0.5, 3.0])
def test_concise_update_is_scratch_update_with_the_data_gradient_doubled(data, lam) -> None:
    s, c = (wdm.one_step(data, conv, lam, seed=1) for conv in wdm.CONVENTIONS)
    w0, b0 = s["w0"]["weight"], s["w0"]["bias"]
    assert np.array_equal(w0, c["w0"]["weight"]) and np.array_equal(b0, c["w0"]["bias"])
    X, y = data.X_train[: wdm.BATCH], data.y_train[: wdm.BATCH]
    r = X @ w0.T + b0 - y
    data_grad = (r.T @ X) / wdm.BATCH  # (1/|B|) Σ (ŷ - y) x
    tol = tolerance("autograd", np.float64)
    checks = [
        compare(s["grad"]["weight"], data_grad + lam * w0, name="scratch", tensor="grad",
                against="autograd", tol=tol),
        compare(c["grad"]["weight"], 2 * data_grad, name="concise", tensor="grad",
                against="autograd", tol=tol),
        compare(c["delta"]["weight"], 2 * s["delta"]["weight"] + wdm.LR * lam * w0,
                name="identity", tensor="weight", against="autograd", tol=tol),
        compare(c["delta"]["bias"], 2 * s["delta"]["bias"], name="identity", tensor="bias",
                against="autograd", tol=tol),
    ]
    assert all(ch.passed for ch in checks), [ch.message for ch in checks]
    assert wdm.one_step_identity(data, lam, seed=1)["passed"] is True


def test_a_wrong_convention_breaks_the_identity(data) -> None:
    """The identity is sharp: no doubling, or doubling the decay too, must fail."""
    s, c = (wdm.one_step(data, conv, 3.0, seed=1) for conv in wdm.CONVENTIONS)
    ds, w0 = s["delta"]["weight"], s["w0"]["weight"]
    for wrong in (ds, ds + wdm.LR * 3.0 * w0, 2 * ds):
        check = compare(c["delta"]["weight"], wrong, name="identity", tensor="weight",
                        against="autograd")
        assert not check.passed


@pytest.mark.parametrize("conv", wdm.CONVENTIONS)
@pytest.mark.parametrize("lam", [0.0, 3.0])
def test_engines_agree_to_the_lockstep_tolerance_at_every_step(data, conv, lam) -> None:
    r = run_lockstep(wdm.make_problem(data, conv, lam), seed=SEED)
    tol = tolerance("lockstep", np.float64)
    assert r.first_divergent_step is None
    assert r.max_rel_diff <= tol.rtol and np.all(r.step_rel_diff <= tol.rtol)
    assert np.max(r.param_drift) <= tol.rtol
    assert len(r.step_loss["torch"]) == 100 * 4


def test_same_seed_same_curves_and_a_planted_bug_is_caught(data) -> None:
    problem = wdm.make_problem(data, "scratch", 3.0, epochs=5)
    a, b = run_lockstep(problem, seed=2), run_lockstep(problem, seed=2)
    assert np.array_equal(a.step_loss["torch"], b.step_loss["torch"])
    assert a.metrics == b.metrics

    class OffByHalf(wdm.ScratchObjective):  # the penalty counted once per batch, from step 3
        calls = 0

        def backward(self, model: Any) -> None:
            super().backward(model)
            if OffByHalf.calls >= 3:
                model.weight.grad = model.weight.grad - 0.5 * self.lam * model.weight.data
            OffByHalf.calls += 1

    bug = replace(problem, handmade_objective=lambda: OffByHalf(3.0))
    assert run_lockstep(bug, seed=2).first_divergent_step == 3


def test_sweep_shape_names_the_curve() -> None:
    lams = [0, 0.1, 1, 10]
    assert wd.sweep_shape(lams, [100, 10, 1, 5]) == "falls then rises"
    assert wd.sweep_shape(lams, [100, 10, 1.0, 1.02]) == "falls then flattens"
    assert wd.sweep_shape(lams, [100, 10, 5, 1]) == "keeps falling"
    assert wd.sweep_shape(lams, [1, 2, 3, 4]) == "does not fall"


def test_the_split_parts_squares_sum_to_the_norm_squared_and_the_panel_exists(
        sweep: dict[str, Any]) -> None:
    tol = tolerance("forward", np.float64)
    for r in sweep["runs"]:
        total = np.square(r["w_norm_curve"])
        parts = np.square(r["w_data_norm_curve"]) + np.square(r["w_null_norm_curve"])
        assert tol.allows(float(np.max(np.abs(parts - total))), float(np.max(total)))
    assert "weight-decay_split.png" in sweep["files"]
    assert (Path(sweep["json"]).parent / "weight-decay_split.png").stat().st_size
    assert sweep["findings"]["null_space_part_decays_as_(1-ηλ)^steps"] is True
    s3 = _run(sweep, "scratch", 3.0)
    assert s3["w_null_norm"] > 5 * s3["w_data_norm"]  # λ = 3's ‖w‖ is mostly the start's rest


def test_split_norms_project_onto_the_row_space(data: Any) -> None:
    basis = wdm.row_space_basis(data.X_train)
    assert basis.shape == (wdm.NUM_INPUTS, wdm.N_TRAIN)
    w_row = data.X_train.T @ np.random.default_rng(0).normal(size=wdm.N_TRAIN)
    w_null = np.linalg.svd(data.X_train)[2][wdm.N_TRAIN:].T @ np.ones(wdm.NUM_INPUTS - wdm.N_TRAIN)
    tol = tolerance("forward", np.float64)
    d, n = wdm.split_norms(w_row + w_null, basis)
    assert tol.allows(abs(d - np.linalg.norm(w_row)), float(np.linalg.norm(w_row)))
    assert tol.allows(abs(n - np.linalg.norm(w_null)), float(np.linalg.norm(w_null)))


def test_a_zero_start_has_no_null_space_part_and_the_null_decay_is_predicted(data: Any) -> None:
    zero = run_lockstep(wdm.make_problem(data, "scratch", 3.0, epochs=3, init="zero"),
                        seed=SEED, engine="handmade")
    tol = tolerance("lockstep", np.float64)
    assert tol.allows(max(zero.curve("w_null_norm")), 0.0)
    assert zero.curve("w_data_norm")[-1] > 0
    runs = [wd.run_entry("scratch", lam, SEED, run_lockstep(
        wdm.make_problem(data, "scratch", lam, epochs=3), seed=SEED, engine="handmade"))
        for lam in (0.0, 3.0)]
    wd.add_null_predictions(runs)
    assert wd.null_part_decays_as_predicted(runs, SEED, np.float64)
    runs[1]["w_null_norm_curve"] = [v * (1 + 1e-6) for v in runs[1]["w_null_norm_curve"]]
    assert not wd.null_part_decays_as_predicted(runs, SEED, np.float64)


@pytest.mark.parametrize("value", ["abc", "Zero"])
def test_a_bad_init_is_one_line_and_exit_2(value: str, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    code = main(["experiment", "weight-decay", "--init", value, "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--init" in err[0] and value in err[0]
