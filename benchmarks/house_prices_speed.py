"""How much faster the handmade engine trains the book's house-price baseline than torch.

    python -m benchmarks.house_prices_speed [--folds 5] [--epochs 100] [--repeats 5]
        [--train-csv PATH] [--json PATH]

The work timed is exactly what ``backprop-lab experiment house-prices --engine E`` does for the
baseline (linear model, MSE on raw prices, Adam lr 5, batch 64): K folds of training, each with
its per-epoch train/validation log RMSE, on Ames (or ``--train-csv``). Loading and preprocessing
are done once, outside the timing. Both engines first run one short warm-up fold (torch pays its
lazy imports there), then the full K folds alternately (handmade, torch, torch, handmade, ...)
so that a change in the machine's load hits both alike. Like the experiment, both run with one
BLAS/torch thread (``comparisons.experiments.threads.single_threaded``). Reported: median wall
seconds and CPU seconds of each engine, and the median of the paired ratios torch / handmade
(target: at least 3), with their spread. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from comparisons.core.io import write_json
from comparisons.data.house_prices import load_house_data, shuffle_rows
from comparisons.experiments.common import ExperimentContext
from comparisons.experiments.house_prices.config import book_baseline
from comparisons.experiments.house_prices.cv import cross_validate, make_folds
from comparisons.experiments.threads import single_threaded

TARGET_RATIO = 3.0


def _timed(fn: Any) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(folds: int, epochs: int, repeats: int, train_csv: Path | None) -> dict[str, Any]:
    """Wall and CPU seconds of the baseline's K folds on each engine, and their ratios."""
    data = shuffle_rows(load_house_data(train_csv), np.random.default_rng(0))
    arrays = make_folds(data, folds, "train")
    config = book_baseline(epochs)
    ctx = {e: ExperimentContext("bench", e, [0], Path("."), quiet=True)
           for e in ("handmade", "torch")}

    def run(engine: str, fold_list: list[Any], cfg: Any = config) -> Any:
        return lambda: cross_validate(cfg, fold_list, ctx[engine], 0)

    for engine in ctx:  # warm-up: lazy imports, first-call costs
        run(engine, arrays[:1], book_baseline(2))()
    times: dict[str, list[tuple[float, float]]] = {"handmade": [], "torch": []}
    for i in range(repeats):
        order = ("handmade", "torch") if i % 2 == 0 else ("torch", "handmade")
        for engine in order:
            _progress(f"repeat {i + 1}/{repeats}: {engine}, {folds} folds x {epochs} epochs")
            times[engine].append(_timed(run(engine, arrays)))
    ratios = [t[0] / h[0] for h, t in zip(times["handmade"], times["torch"])]
    return {
        "data": data.source, "rows": len(data.prices), "features": arrays[0].X_train.shape[1],
        "folds": folds, "epochs": epochs, "repeats": repeats,
        "steps_per_engine": sum(-(-len(f.y_train) // config.batch_size) for f in arrays) * epochs,
        "wall_seconds": {e: statistics.median(t[0] for t in v) for e, v in times.items()},
        "cpu_seconds": {e: statistics.median(t[1] for t in v) for e, v in times.items()},
        "ratio_torch_over_handmade": statistics.median(ratios), "paired_ratios": ratios,
        "target_ratio": TARGET_RATIO, "load_average": list(os.getloadavg()),
        "nproc": os.cpu_count(), "torch_threads": _torch_threads(),
    }


def _torch_threads() -> int:
    return torch.get_num_threads()


def _progress(message: str) -> None:
    print(f"[house-prices speed] {message}", file=sys.stderr, flush=True)


def report(r: dict[str, Any]) -> list[str]:
    """The lines printed for the reader."""
    wall, cpu = r["wall_seconds"], r["cpu_seconds"]
    ratio = r["ratio_torch_over_handmade"]
    met = "met" if ratio >= r["target_ratio"] else "NOT met"
    return [
        f"house-prices baseline, {r['data']}: {r['rows']} rows, {r['features']} features, "
        f"{r['folds']} folds x {r['epochs']} epochs ({r['steps_per_engine']} Adam steps "
        f"per engine), median of {r['repeats']}",
        f"  handmade: {wall['handmade']:.2f} s wall, {cpu['handmade']:.2f} s CPU",
        f"  torch:    {wall['torch']:.2f} s wall, {cpu['torch']:.2f} s CPU "
        f"({r['torch_threads']} intra-op thread(s))",
        f"  torch / handmade (wall, median of paired ratios): {ratio:.2f}x "
        f"(target >= {r['target_ratio']:g}x: {met}); CPU ratio "
        f"{cpu['torch'] / cpu['handmade']:.2f}x",
        f"  paired ratios: {min(r['paired_ratios']):.2f}x .. {max(r['paired_ratios']):.2f}x, "
        f"{sum(x >= r['target_ratio'] for x in r['paired_ratios'])} of "
        f"{len(r['paired_ratios'])} at or above the target",
        f"  load average {', '.join(f'{v:.2f}' for v in r['load_average'])} "
        f"on {r['nproc']} CPUs",
    ]


def main(argv: list[str] | None = None) -> int:
    """Measure, print, optionally write JSON; exit 0 (a missed target is reported, not fatal)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.house_prices_speed",
                                description=__doc__.splitlines()[0])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--train-csv", type=Path, help="Kaggle-format train.csv instead of Ames")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    args = p.parse_args(argv)

    with single_threaded():
        results = measure(args.folds, args.epochs, args.repeats, args.train_csv)
    print("\n".join(report(results)))
    if args.json:
        print(f"results: {write_json(args.json, results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
