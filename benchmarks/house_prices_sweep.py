"""Wall time of the default house-price lab over every core, beside one process and beside the
old everything-in-lockstep run, in one go.

    python -m benchmarks.house_prices_sweep [--jobs N] [--folds 5] [--epochs 100]
        [--lockstep-epochs 20] [--train-csv PATH] [--json PATH]

Each run is ``backprop-lab experiment house-prices`` as a user types it (in this process: data
loading, preprocessing, training, plots and JSON included), into a temporary folder:

* ``default``: the defaults (``--engine checked``: the sweep on the handmade engine, the
  baseline and the best configuration on both engines in lockstep) with ``--jobs N`` (default
  this machine's cores);
* ``one process``: the same with ``--jobs 1``;
* ``all in lockstep``: the old default, ``--engine both --jobs 1``, every configuration on both
  engines in one process. It is the slowest, so it runs ``--lockstep-epochs`` epochs (default
  20; 0 skips it) and its wall time is scaled by ``epochs / lockstep-epochs`` to the full run
  (training time is linear in the epochs; the fixed costs, loading and plots, are scaled too, so
  the estimate errs high by a few seconds). Its best configuration is the one of its shorter run.

Reported: wall seconds of each, the speed-ups, the worker count, the best configuration and
its average validation log RMSE of each, and the targets (default <= 5 minutes; the same best
configuration as one process, its score within 0.002). Not part of the test suite, and not run
by ``python -m benchmarks`` (minutes: it trains the whole sweep twice).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from comparisons.core.io import positive_int, write_json
from comparisons.experiments.argtypes import cpu_count
from comparisons.experiments.runner import run_experiment

TARGET_SECONDS, SCORE_TOLERANCE = 300.0, 0.002


def timed_run(label: str, argv: list[str], scale: float = 1.0) -> dict[str, Any]:
    """One ``experiment house-prices`` run: wall seconds (times ``scale``), best, workers."""
    print(f"[house-prices sweep] {label}: {' '.join(argv)}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        code, payload = run_experiment("house-prices", [*argv, "--quiet", "--out", out])
        wall = time.perf_counter() - start
    avg = {r["config"]["name"]: r["avg_valid_log_rmse"] for r in payload["results"]}
    best = payload["best"]["name"]
    return {"label": label, "argv": argv, "exit_code": code, "measured_seconds": wall,
            "scale": scale, "wall_seconds": wall * scale, "workers": payload["workers"],
            "engine": payload["engine"], "best": best, "best_avg_valid_log_rmse": avg[best],
            "lockstep_checked": payload["lockstep_checked"],
            "lockstep_runs": payload["lockstep"]["runs"],
            "lockstep_max_rel_diff": payload["lockstep"]["max_rel_diff"]}


def measure(jobs: int, folds: int, epochs: int, lockstep_epochs: int,
            train_csv: Path | None) -> dict[str, Any]:
    """The default run with ``jobs`` workers, with one, and (scaled) all in lockstep."""
    data = [] if train_csv is None else ["--train-csv", str(train_csv)]
    common = [*data, "--folds", str(folds), "--epochs", str(epochs)]
    one = timed_run("--jobs 1", [*common, "--jobs", "1"])  # first: it pays the warm-up
    runs = {"default": timed_run(f"--jobs {jobs}", [*common, "--jobs", str(jobs)]),
            "one_process": one}
    if lockstep_epochs:
        short = min(lockstep_epochs, epochs)
        runs["all_in_lockstep"] = timed_run(
            f"--engine both --jobs 1, {short} epochs", [*data, "--folds", str(folds),
                                                        "--epochs", str(short), "--engine",
                                                        "both", "--jobs", "1"],
            scale=epochs / short)
    fast, one = runs["default"], runs["one_process"]
    return {
        "folds": folds, "epochs": epochs, "jobs": jobs, "cores": cpu_count(),
        "load_average": list(os.getloadavg()), "runs": runs,
        "speedup_over_one_process": one["wall_seconds"] / fast["wall_seconds"],
        "speedup_over_all_in_lockstep": (runs["all_in_lockstep"]["wall_seconds"]
                                         / fast["wall_seconds"] if lockstep_epochs else None),
        "targets": {
            f"default_at_most_{TARGET_SECONDS:g}_s": fast["wall_seconds"] <= TARGET_SECONDS,
            "same_best_configuration": fast["best"] == one["best"],
            f"best_score_within_{SCORE_TOLERANCE:g}": abs(
                fast["best_avg_valid_log_rmse"] - one["best_avg_valid_log_rmse"])
            <= SCORE_TOLERANCE,
        },
    }


def report(r: dict[str, Any]) -> list[str]:
    """The lines printed for the reader."""
    lines = [f"house-prices, {r['folds']} folds x {r['epochs']} epochs, {r['cores']} cores, "
             f"load average {', '.join(f'{v:.2f}' for v in r['load_average'])}"]
    for run in r["runs"].values():
        epochs = run["argv"][run["argv"].index("--epochs") + 1]
        how = ("" if run["scale"] == 1 else f" (measured {run['measured_seconds']:.1f} s at "
               f"{epochs} epochs, scaled x{run['scale']:g})")
        lines.append(f"  {run['label']:<34} {run['wall_seconds']:7.1f} s wall{how}; "
                     f"{run['workers']} worker(s); best {run['best']} "
                     f"{run['best_avg_valid_log_rmse']:.4f}; {run['lockstep_runs']} lockstep "
                     f"runs, max rel diff {run['lockstep_max_rel_diff']:.1e}")
    lines.append(f"  speed-up over one process: {r['speedup_over_one_process']:.2f}x")
    if r["speedup_over_all_in_lockstep"] is not None:
        lines.append(f"  speed-up over all in lockstep (estimated): "
                     f"{r['speedup_over_all_in_lockstep']:.2f}x")
    lines += [f"  target {name}: {'met' if met else 'NOT met'}"
              for name, met in r["targets"].items()]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Measure, print, optionally write JSON; exit 0 (a missed target is reported, not fatal)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.house_prices_sweep",
                                description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=positive_int, default=cpu_count(),
                   help="workers of the default run (default: the cores here)")
    p.add_argument("--folds", type=positive_int, default=5)
    p.add_argument("--epochs", type=positive_int, default=100)
    p.add_argument("--lockstep-epochs", type=int, default=20,
                   help="epochs of the all-in-lockstep run, scaled to --epochs (0: skip it)")
    p.add_argument("--train-csv", type=Path, help="Kaggle-format train.csv instead of Ames")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    args = p.parse_args(argv)
    results = measure(args.jobs, args.folds, args.epochs, max(0, args.lockstep_epochs),
                      args.train_csv)
    print("\n".join(report(results)))
    if args.json:
        print(f"results: {write_json(args.json, results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
