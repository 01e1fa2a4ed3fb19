"""``backprop-lab experiment``: registry, common options, exit codes, one-line errors, JSON."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import types
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import handmade as hm
from comparisons.cli.main import main
from comparisons.core.tolerances import tolerance
from comparisons.experiments import argtypes, arguments, common
from comparisons.experiments import runner as exp_cli
from comparisons.experiments.overfitting import experiment as of
from comparisons.lockstep.train import LossObjective


@pytest.fixture
def no_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip drawing (slow) in tests about exit codes and numbers; the plots are tested once."""
    import comparisons.lockstep.plots as lp
    from comparisons.experiments import plots

    for module, name in [(plots, "overfitting_curves"), (plots, "overfitting_weights"),
                         (plots, "weight_decay_curves"), (plots, "weight_decay_sweep"),
                         (lp, "plot_lockstep")]:
        monkeypatch.setattr(module, name, lambda *args, **kwargs: [])


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "comparisons", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args, needle", [
    (["experiment", "nonsense"], "invalid choice"),
    (["experiment", "weight-decay", "--lambdas", "0,-1"], "--lambdas"),
    (["experiment", "overfitting", "--seeds", "0"], "--seeds"),
    (["experiment", "overfitting", "--engine", "jax"], "--engine"),
    (["experiment"], "NAME"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], needle: str) -> None:
    proc = _run(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr


def test_help_lists_the_registered_experiments() -> None:
    proc = _run("experiment", "--help")
    assert proc.returncode == 0
    for name in ("overfitting", "weight-decay"):
        assert name in proc.stdout


@pytest.mark.parametrize("text, ok", [("0", True), ("0.5", True), ("1", False), ("-0.1", False),
                                      ("nan", False), ("x", False)])
def test_probability_type(text: str, ok: bool) -> None:
    if ok:
        assert argtypes.probability(text) == float(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            argtypes.probability(text)


def test_list_and_number_types() -> None:
    assert argtypes.list_of(argtypes.nonnegative_float)("0, 0.1,3") == [0.0, 0.1, 3.0]
    for bad in ("", ",", "1,-2", "inf"):
        with pytest.raises(argparse.ArgumentTypeError):
            argtypes.list_of(argtypes.nonnegative_float)(bad)
    with pytest.raises(argparse.ArgumentTypeError):
        argtypes.choices_list(("a", "b"))("a,c")


def test_a_run_writes_json_plots_and_the_lockstep_entry(tmp_path, capsys) -> None:
    json_path = tmp_path / "custom" / "of.json"
    code = main(["experiment", "overfitting", "--fits", "normal,overfit", "--epochs", "3",
                 "--seeds", "2", "--seed", "4", "--out", str(tmp_path), "--json",
                 str(json_path), "--quiet"])
    assert code == 0
    data = json.loads(json_path.read_text())
    assert data["experiment"] == "overfitting" and data["engine"] == "both"
    assert data["seeds"] == [4, 5] and data["dtype"] == "float64"
    assert isinstance(data["lockstep"]["max_rel_diff"], float)
    assert data["lockstep"]["first_divergent_step"] is None and data["lockstep"]["runs"] == 4
    assert [f["name"] for f in data["fits"]] == ["normal", "overfit"] * 2
    assert all((tmp_path / p).is_file() for p in data["files"])
    assert data["command"].startswith("backprop-lab experiment overfitting")
    assert "--epochs 3" in data["command"] and "--fits normal,overfit" in data["command"]
    assert "overfitting (both" in capsys.readouterr().out


def test_a_divergence_exits_1_and_is_in_the_json(tmp_path, monkeypatch, no_plots) -> None:
    real = of.make_problem

    class Bug(LossObjective):
        def backward(self, model: hm.Module) -> None:
            super().backward(model)
            model.weight.grad = model.weight.grad * 1.001

    def planted(*args: Any, **kwargs: Any) -> Any:
        return replace(real(*args, **kwargs), handmade_objective=lambda: Bug(hm.MSELoss()))

    monkeypatch.setattr(of, "make_problem", planted)
    code = main(["experiment", "overfitting", "--fits", "normal", "--epochs", "2", "--seeds",
                 "1", "--out", str(tmp_path), "--quiet"])
    assert code == 1
    lockstep = json.loads((tmp_path / "overfitting.json").read_text())["lockstep"]
    assert lockstep["first_divergent_step"] == 0 and lockstep["divergent_run"] == "normal seed 0"


def test_json_path_that_is_a_directory_is_exit_2(tmp_path) -> None:
    assert main(["experiment", "overfitting", "--fits", "underfit", "--epochs", "1", "--out",
                 str(tmp_path), "--json", str(tmp_path), "--quiet", "--engine", "handmade"]) == 2


def test_a_new_experiment_registers_with_its_own_options(monkeypatch, tmp_path) -> None:
    toy = types.ModuleType("toy_experiment")
    toy.HELP, toy.DEFAULT_SEEDS = "a toy", 2

    def add_arguments(p: argparse.ArgumentParser) -> None:
        p.add_argument("--p", type=argtypes.probability, default=0.5)

    def run(args: argparse.Namespace, ctx: common.ExperimentContext) -> dict[str, Any]:
        return {"lockstep": {"max_rel_diff": 0.0, "first_divergent_step": None}, "files": [],
                "findings": {"p_seen": args.p == 0.25}, "summary": [f"seeds {ctx.seeds}"]}

    toy.add_arguments, toy.run = add_arguments, run
    monkeypatch.setitem(arguments.OPTIONS, "toy", toy)  # its options, for the parser
    monkeypatch.setitem(exp_cli.EXPERIMENTS, "toy", toy)  # its run
    assert main(["experiment", "toy", "--p", "1.5", "--out", str(tmp_path)]) == 2
    code, payload = exp_cli.run_experiment("toy", ["--p", "0.25", "--out", str(tmp_path)])
    assert code == 0 and payload["findings"] == {"p_seen": True} and payload["seeds"] == [0, 1]
    assert payload["command"] == f"backprop-lab experiment toy --out {tmp_path} --p 0.25"


def test_combine_lockstep_reports_the_worst_run() -> None:
    def fake(rel: float | None, first: int | None) -> Any:
        return types.SimpleNamespace(max_rel_diff=rel, first_divergent_step=first)

    runs = {"a": fake(1e-15, None), "b": fake(3e-3, 7), "c": fake(2e-2, 9), "d": fake(None, None)}
    out = common.combine_lockstep(runs)
    assert out == {"max_rel_diff": 2e-2, "first_divergent_step": 7, "divergent_run": "b",
                   "runs": 3, "max_plain_rel_diff": None}
    assert common.combine_lockstep({"d": fake(None, None)})["max_rel_diff"] is None
    assert common.combine_lockstep({"a": fake(1e-15, None)})["first_divergent_step"] is None
    assert np.isfinite(out["max_rel_diff"])


def test_weight_decay_demo_section_passes_at_its_fast_settings(tmp_path, no_plots) -> None:
    from comparisons.report.experiment_sections import weight_decay_section

    section = weight_decay_section(tmp_path, quiet=True)
    assert section["passed"] is True and section["lockstep_first_divergent_step"] is None
    assert section["lockstep_max_rel_diff"] <= tolerance("lockstep", np.float64).rtol
    assert 10 <= section["scratch_lambda0_w_norm"] <= 17
    assert section["scratch_lambda3_w_norm"] < 0.6
    assert section["algebra_identity_holds"] is True and (tmp_path / section["json"]).is_file()
    assert section["command"].startswith("backprop-lab experiment weight-decay --seeds 1")


def test_overfitting_demo_section_fails_when_a_finding_does_not_hold(tmp_path, monkeypatch,
                                                                     no_plots) -> None:
    from comparisons.report import experiment_sections as demo_sections

    monkeypatch.setattr(demo_sections, "OVERFITTING_ARGS",
                        ["--seeds", "1", "--epochs", "5", "--fits", "normal,underfit"])
    section = demo_sections.overfitting_section(tmp_path, quiet=True)
    assert section["lockstep_first_divergent_step"] is None  # the engines agree ...
    assert section["findings"]["cubic_recovers_true_weights"] is False  # ... 5 epochs is not 400
    assert section["passed"] is False
    assert len(section["normal_weights"]) == 4 and (tmp_path / section["json"]).is_file()


def test_an_unwritable_json_path_is_refused_before_the_experiment_runs(tmp_path, monkeypatch,
                                                                       capsys) -> None:
    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the experiment ran before --json was checked")

    monkeypatch.setattr(of, "run", never)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    code = main(["experiment", "overfitting", "--out", str(tmp_path / "o"),
                 "--json", str(blocker / "x.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--json" in err[0]


@pytest.mark.parametrize("experiment", ["cnn", "dropout", "house-prices"])
@pytest.mark.parametrize("bad, needle", [("0", "expected a number > 0, got 0"),
                                         ("-2", "expected a number > 0, got -2"),
                                         ("nan", "expected a finite number, got 'nan'"),
                                         ("abc", "expected a number, got 'abc'")])
def test_a_learning_rate_must_be_a_positive_number(experiment, bad, needle, capsys) -> None:
    """One argparse type, argtypes.positive_float, for every experiment's --lr."""
    assert main(["experiment", experiment, "--lr", bad]) == 2
    assert f"argument --lr: {needle}" in capsys.readouterr().err
    assert argtypes.positive_float("0.5") == 0.5
