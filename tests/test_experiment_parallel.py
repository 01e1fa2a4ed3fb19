"""``--jobs N``: the sweeps over worker processes give the same bits as one process, lockstep is
still run (and reported) on the configurations it should be, bad values exit 2 in one line.

Small sweeps (a synthetic 60-house CSV, few epochs) keep it to seconds plus the workers' start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from test_experiment_house_prices import houses, write_csv
from threadpoolctl import threadpool_info

from comparisons.cli.main import main
from comparisons.core.tolerances import tolerance
from comparisons.experiments.parallel import parallel_map, workers_for

SCHEDULING = ("command", "jobs", "workers", "summary", "json")  # what --jobs may change
SMALL = {
    "overfitting": ["--seeds", "2", "--epochs", "30"],
    "weight-decay": ["--seeds", "1", "--epochs", "5", "--lambdas", "0,1,3"],
    "dropout": ["--seeds", "1", "--epochs", "2", "--train-size", "60", "--hidden", "16,16"],
}


@pytest.fixture(scope="module")
def train_csv(tmp_path_factory) -> Path:
    return write_csv(tmp_path_factory.mktemp("houses") / "train.csv", houses(60))


@pytest.fixture(scope="module")
def sweeps(train_csv, tmp_path_factory) -> dict[int, tuple[int, dict[str, Any], Path]]:
    """The same small house-price sweep with --jobs 1 and --jobs 2 (default engine mode)."""
    out = tmp_path_factory.mktemp("sweeps")
    return {j: (*house_sweep(train_csv, out / str(j), "--jobs", str(j)), out / str(j))
            for j in (1, 2)}


def run_cli(name: str, out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``experiment NAME`` in-process (quiet); the exit code and the JSON (or {})."""
    code = main(["experiment", name, "--quiet", "--out", str(out), *args])
    path = out / f"{name}.json"
    return code, (json.loads(path.read_text()) if path.exists() else {})


def house_sweep(train_csv: Path, out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    return run_cli("house-prices", out, "--train-csv", str(train_csv), "--folds", "3",
                   "--epochs", "3", "--batch-size", "16", "--model", "mlp", "--hidden", "8",
                   "--weight-decay", "0,0.01", "--dropout", "0,0.5", *args)


def results_only(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in SCHEDULING}


def test_house_prices_sweep_is_bit_identical_with_1_and_2_jobs(sweeps):
    assert sweeps[1][0] == sweeps[2][0] == 0
    assert (sweeps[1][1]["workers"], sweeps[2][1]["workers"]) == (1, 2)
    assert results_only(sweeps[1][1]) == results_only(sweeps[2][1])  # floats compared exactly
    csv = [(sweeps[j][2] / "house_prices_predictions.csv").read_bytes() for j in (1, 2)]
    assert csv[0] == csv[1]


@pytest.mark.parametrize("jobs", [1, 2])
def test_default_sweep_runs_the_baseline_and_the_best_in_lockstep(sweeps, jobs):
    code, data, _ = sweeps[jobs]
    best = data["best"]["name"]
    assert code == 0 and data["engine"] == "checked" and best != "baseline"
    assert data["lockstep_checked"] == {"baseline": "in the sweep",
                                        best: "re-run after the sweep"}
    assert data["rerun_reproduced_sweep"] is True
    assert data["findings"]["engines_agree_at_every_step"] is True
    rtol = tolerance("lockstep", np.float64).rtol
    for r in data["results"]:
        lockstep = r["lockstep"]
        if r["config"]["name"] in data["lockstep_checked"]:
            assert lockstep["runs"] == 3 and 0 <= lockstep["max_rel_diff"] <= rtol
            assert all(f["lockstep"]["first_divergent_step"] is None for f in r["folds"])
        else:
            assert lockstep["runs"] == 0 and lockstep["max_rel_diff"] is None
    assert data["lockstep"]["runs"] == 6 and data["workers"] == jobs
    assert f"workers: {jobs} process(es)" in data["summary"][-1] and best in data["summary"][-1]


def test_lockstep_also_adds_a_configuration_to_the_lockstep_runs(train_csv, tmp_path):
    code, data = house_sweep(train_csv, tmp_path / "out", "--lockstep-also",
                             "mlp-log wd=0.01 p=0.5")
    assert code == 0
    assert data["lockstep_checked"]["mlp-log wd=0.01 p=0.5"] == "in the sweep"
    by = {r["config"]["name"]: r for r in data["results"]}
    assert by["mlp-log wd=0.01 p=0.5"]["lockstep"]["runs"] == 3


@pytest.mark.parametrize("args, needle", [
    (["--lockstep-also", "mlp-log wd=9 p=0.5"], "--lockstep-also: expected configuration names"),
    (["--lockstep-also", "baseline", "--engine", "handmade"], "--lockstep-also: expected "
                                                              "--engine checked or both"),
])
def test_bad_lockstep_also_is_one_line_exit_2(train_csv, tmp_path, capsys, args, needle):
    code, _ = house_sweep(train_csv, tmp_path / "out", *args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and needle in err[0], err


@pytest.mark.parametrize("name", sorted(SMALL))
def test_seed_sweeps_are_bit_identical_with_1_and_2_jobs(name, tmp_path):
    runs = {j: run_cli(name, tmp_path / str(j), *SMALL[name], "--jobs", str(j)) for j in (1, 2)}
    assert runs[1][0] == runs[2][0] == 0
    assert (runs[1][1]["workers"], runs[2][1]["workers"]) == (1, 2)
    assert results_only(runs[1][1]) == results_only(runs[2][1])


@pytest.mark.parametrize("name", ["house-prices", *sorted(SMALL)])
@pytest.mark.parametrize("value", ["0", "-1", "abc"])
def test_bad_jobs_is_one_line_exit_2(name, value, tmp_path, capsys):
    code = main(["experiment", name, "--quiet", "--out", str(tmp_path), "--jobs", value])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "--jobs" in err[0] and "expected a positive integer" in err[0] and value in err[0]


def threads_here(_: Any, task: int) -> tuple[int, int, int]:
    """A task that reports the thread counts it ran with (torch's, BLAS's largest)."""
    blas = max((p["num_threads"] for p in threadpool_info()), default=1)
    return task, torch.get_num_threads(), blas


def test_parallel_map_keeps_task_order_and_one_thread_per_worker():
    done = parallel_map(threads_here, list(range(7)), jobs=2)
    assert [t for t, _, _ in done] == list(range(7))
    assert all(torch_threads == 1 and blas == 1 for _, torch_threads, blas in done)


def fails_on_three(_: Any, task: int) -> int:
    if task == 3:
        raise ValueError("task 3: expected anything else, got 3")
    return task


def test_parallel_map_raises_a_tasks_exception_and_checks_jobs():
    with pytest.raises(ValueError, match="task 3"):
        parallel_map(fails_on_three, list(range(5)), jobs=2)
    with pytest.raises(ValueError, match="jobs: expected an integer >= 1, got 0"):
        workers_for(0, 5)
    assert workers_for(8, 3) == 3 and workers_for(1, 3) == 1 and workers_for(4, 0) == 1


def test_sweep_benchmark_runs_and_reports_each_mode(train_csv, tmp_path, capsys):
    # structure only (never a wall time): benchmarks/house_prices_sweep.py cannot rot
    from benchmarks.house_prices_sweep import main as bench_main

    out = tmp_path / "sweep.json"
    assert bench_main(["--train-csv", str(train_csv), "--folds", "2", "--epochs", "2",
                       "--lockstep-epochs", "1", "--jobs", "2", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    runs = r["runs"]
    assert [runs[k]["workers"] for k in ("default", "one_process", "all_in_lockstep")] == [2, 1, 1]
    assert runs["all_in_lockstep"]["scale"] == 2 and runs["all_in_lockstep"]["engine"] == "both"
    assert runs["default"]["best"] == runs["one_process"]["best"]
    assert runs["default"]["best_avg_valid_log_rmse"] == runs["one_process"][
        "best_avg_valid_log_rmse"]
    assert r["speedup_over_one_process"] == pytest.approx(
        runs["one_process"]["wall_seconds"] / runs["default"]["wall_seconds"])
    printed = capsys.readouterr().out
    assert "speed-up over one process:" in printed and "2 worker(s)" in printed
