"""The cnn experiment and the CNN rows of ``check``: both networks (with and without batch norm)
agree step for step with their torch.nn twins, batch norm's buffers and evaluation mode included;
its JSON, plots, exit codes and reproducibility."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import handmade as hm
from comparisons.check import cnn_checks as cc
from comparisons.cli.main import main
from comparisons.core.tolerances import tolerance
from comparisons.experiments.cnn import experiment as cx
from comparisons.experiments.cnn import model as cm
from comparisons.experiments.cnn import options as co
from comparisons.experiments.common import ExperimentContext, combine_lockstep
from comparisons.experiments.threads import single_threaded
from comparisons.lockstep.train import LockstepResult, run_lockstep

TOL = tolerance("lockstep", np.float64)
SMALL = ["--epochs", "2", "--train-size", "64", "--batch-size", "16", "--quiet"]
BN_BUFFERS = {"5.running_mean", "5.running_var", "5.num_batches_tracked"}


@pytest.fixture(autouse=True)
def _one_thread() -> Any:
    """Small matrices: one BLAS/torch thread, as the experiment itself runs."""
    with single_threaded():
        yield


def _run(model: str, epochs: int = 3, seed: int = 0) -> LockstepResult:
    settings = cm.CNNSettings(epochs=epochs, train_size=64, batch_size=16)
    data = cm.load_images(seed, settings.train_size)
    return run_lockstep(cm.make_problem(model, data, settings), seed=seed)


@pytest.mark.parametrize("model", cc.MODELS)
def test_both_networks_agree_at_every_step_and_in_evaluation_mode(model: str) -> None:
    r = _run(model)
    assert r.first_divergent_step is None and r.max_rel_diff <= TOL.rtol
    assert np.all(r.step_rel_diff <= TOL.rtol) and len(r.step_rel_diff) == 12
    assert r.metric_max_rel_diff is not None and r.metric_max_rel_diff <= TOL.rtol
    h, t = r.final_state["handmade"], r.final_state["torch"]
    assert set(h) == set(t) and (BN_BUFFERS <= set(h)) == (model == "conv-bn")
    for key in t:
        scale = float(np.max(np.abs(t[key])))
        assert np.max(np.abs(h[key].astype(float) - t[key])) <= TOL.atol + TOL.rtol * scale, key
    if model == "conv-bn":  # the buffers moved, so comparing them says something
        assert int(h["5.num_batches_tracked"]) == 12
        assert np.max(np.abs(h["5.running_mean"])) > 0.01
        assert np.max(np.abs(h["5.running_var"] - 1)) > 0.01


def test_a_running_variance_off_by_1e_8_diverges_at_the_first_step(
        monkeypatch: pytest.MonkeyPatch) -> None:
    forward = hm.BatchNorm1d.forward

    def slightly_off(self: Any, x: Any) -> Any:
        out = forward(self, x)
        if self.training:
            self.running_var = self.running_var * (1 + 1e-8)
        return out

    monkeypatch.setattr(hm.BatchNorm1d, "forward", slightly_off)
    assert _run("conv-bn", epochs=1).first_divergent_step == 0


def test_evaluation_with_batch_statistics_is_caught_by_the_eval_metrics(
        monkeypatch: pytest.MonkeyPatch) -> None:
    forward = hm.BatchNorm1d.forward

    def batch_stats_in_eval(self: Any, x: Any) -> Any:
        if self.training:
            return forward(self, x)
        return hm.batchnorm_forward(x, self.weight.data, self.bias.data, eps=self.eps)[0]

    monkeypatch.setattr(hm.BatchNorm1d, "forward", batch_stats_in_eval)
    r = _run("conv-bn", epochs=2)
    assert r.first_divergent_step is None  # training mode is untouched
    assert r.metric_max_rel_diff > TOL.rtol
    row = cx.run_entry("conv-bn", 0, r)
    assert cx.findings([row], TOL.rtol)["eval_mode_metrics_within_tolerance"] is False
    assert max(row["eval_rel_diff"]["test_loss"]) > TOL.rtol


def test_both_networks_learn_at_the_default_settings(tmp_path: Path) -> None:
    ctx = ExperimentContext("cnn", "both", [0], tmp_path, quiet=True)
    _, runs = cx.train_all(cm.CNNSettings(), ctx)
    assert [r["model"] for r in runs] == list(cc.MODELS) and all(r["steps"] == 100 for r in runs)
    assert min(r["test_acc"] for r in runs) >= cx.LEARNED
    assert all(cx.findings(runs, TOL.rtol).values())


def _cli(tmp: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["experiment", "cnn", "--out", str(tmp), *SMALL, *extra])
    return code, json.loads((tmp / "cnn.json").read_text())


def test_json_has_the_lockstep_keys_and_the_plots_exist(tmp_path: Path) -> None:
    code, payload = _cli(tmp_path)
    lockstep_findings = ("every_step_within_tolerance", "eval_mode_metrics_within_tolerance")
    assert code == 0 and all(payload["findings"][k] for k in lockstep_findings)
    assert set(payload["findings"]) == {"every_step_within_tolerance",
                                        "eval_mode_metrics_within_tolerance",
                                        "every_network_learns"}
    assert set(payload["lockstep"]) == set(combine_lockstep({}))
    assert payload["lockstep"]["runs"] == 2 and payload["lockstep"]["max_rel_diff"] <= TOL.rtol
    assert set(payload["lockstep_curves"]) == set(cc.MODELS)
    r = _run("conv", epochs=1)
    for curves in payload["lockstep_curves"].values():
        assert set(curves) == set(r.to_json())
        assert len(curves["step_rel_diff"]) == 8 and max(curves["step_rel_diff"]) <= TOL.rtol
    for row in payload["runs"]:
        assert set(row["lockstep"]) >= set(r.lockstep_json()) and row["steps"] == 8
        assert set(row["curves"]) == {"handmade", "torch"}
    stems = {"cnn_curves", "cnn_lockstep"}
    assert sorted(payload["files"]) == sorted(f"{s}.{e}" for s in stems for e in ("png", "svg"))
    for name in payload["files"]:
        assert (tmp_path / name).stat().st_size > 5000, name


def test_same_seed_gives_bit_identical_json(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("curves_figure", "lockstep_figure"):  # the plots are tested elsewhere
        monkeypatch.setattr(cx.plots, name, lambda *args: [])
    _cli(tmp_path, "--seed", "3")
    text = (tmp_path / "cnn.json").read_bytes()
    _cli(tmp_path, "--seed", "3")
    assert (tmp_path / "cnn.json").read_bytes() == text
    _cli(tmp_path, "--seed", "4")
    assert (tmp_path / "cnn.json").read_bytes() != text


def test_one_engine_compares_nothing_and_equals_its_half_of_both(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("curves_figure", "lockstep_figure"):
        monkeypatch.setattr(cx.plots, name, lambda *args: [])
    _, both = _cli(tmp_path / "both", "--models", "conv-bn")
    monkeypatch.undo()  # the one-engine plots are drawn
    code, one = _cli(tmp_path / "one", "--engine", "handmade", "--models", "conv-bn")
    assert code == 0 and one["lockstep"]["max_rel_diff"] is None
    assert set(one["findings"]) == {"every_network_learns"}
    row = one["runs"][0]
    assert row["eval_rel_diff"] is None and list(row["curves"]) == ["handmade"]
    assert row["curves"]["handmade"] == both["runs"][0]["curves"]["handmade"]
    assert all((tmp_path / "one" / f).stat().st_size > 5000 for f in one["files"])


@pytest.mark.parametrize("args, needle", [
    (["--train-size", "5"], "--train-size"), (["--train-size", "2000"], "--train-size"),
    (["--train-size", "63", "--batch-size", "31"], "--batch-size"),
    (["--models", "conv,resnet"], "--models"), (["--lr", "-1"], "--lr"),
    (["--lr", "nan"], "--lr"), (["--epochs", "0"], "--epochs"), (["--channels", "0"], "--channels"),
    (["--seeds", "0"], "--seeds"), (["--dtype", "float16"], "--dtype"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], needle: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["experiment", "cnn", "--out", str(tmp_path), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and not list(tmp_path.glob("*.png"))


def test_an_unwritable_json_path_is_refused_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cx, "train_all", lambda *a: pytest.fail("trained before checking"))
    code = main(["experiment", "cnn", "--out", str(tmp_path), "--json", str(tmp_path), *SMALL])
    err = capsys.readouterr().err
    assert code == 2 and "--json" in err and len(err.strip().splitlines()) == 1


def test_the_options_name_the_networks_check_builds() -> None:
    assert co.MODELS == cc.MODELS and cm.CNNSettings().models == cc.MODELS


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_check_rows_pass_and_cover_every_tensor_and_buffer(dtype: str) -> None:
    rows = cc.cnn_checks(dtype, np.random.default_rng(5))
    assert rows and all(c.passed for c in rows), [c for c in rows if not c.passed]
    tensors = {(c.name, c.tensor) for c in rows}
    for model in cc.MODELS:
        name = f"CNN[{model}] lockstep"
        assert {(name, t) for t in ("steps", "loss", "0.weight", "4.bias", "eval test_loss",
                                    "eval test_acc")} <= tensors
    assert {("CNN[conv-bn] lockstep", b) for b in BN_BUFFERS} <= tensors


def test_the_check_fails_a_pooling_backward_that_spreads_over_the_window(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def spread(self: Any, dout: Any) -> Any:  # dout / 4 to every element of each 2x2 window
        return np.repeat(np.repeat(dout, 2, axis=2), 2, axis=3) / 4

    monkeypatch.setattr(hm.MaxPool2d, "backward", spread)
    rows = cc.cnn_checks("float64", np.random.default_rng(5))
    failed = {(c.name, c.tensor) for c in rows if not c.passed}
    for model in cc.MODELS:
        assert {(f"CNN[{model}] lockstep", t) for t in ("steps", "0.weight")} <= failed
