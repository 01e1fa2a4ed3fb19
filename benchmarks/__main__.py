"""``python -m benchmarks [--tiny] [--json PATH]`` (also ``make bench``): measure, print, save.

Runs, in one process and one go: the peak GEMM rate, the training steps (handmade vs torch),
the gradient checks (project FD vs torch gradcheck), the whole-process CLI timings, then the
other benchmarks found in this package (every ``*_speed`` module; full runs only). Prints the table
with each target met / not met, and writes everything as JSON (default out/bench.json).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any, TypedDict

import benchmarks
from benchmarks import gemm, gradcheck_bench, processes, steps, table, timing
from benchmarks.table import format_report
from comparisons.core.io import write_json


class BenchSettings(TypedDict):
    """Sizes and repeats of one run (its JSON "settings", tuples as lists)."""

    repeats: int
    min_sample: float
    gemm_n: int
    gc_dims: tuple[int, int, int]
    gc_batch: int
    fd_batch_size: int
    gc_repeats: int
    process_runs: int
    slow_columns: tuple[int, int] | None
    settle: float


SETTINGS: dict[str, BenchSettings] = {
    "full": {"repeats": 15, "min_sample": 0.05, "gemm_n": 1024, "gc_dims": (331, 64, 1),
             "gc_batch": 64, "fd_batch_size": 256, "gc_repeats": 3, "process_runs": 3,
             "slow_columns": (500, 2000), "settle": 0.3},
    "tiny": {"repeats": 3, "min_sample": 0.002, "gemm_n": 128, "gc_dims": (13, 8, 1),
             "gc_batch": 8, "fd_batch_size": 16, "gc_repeats": 1, "process_runs": 1,
             "slow_columns": (30, 60), "settle": 0.0},
}


def _progress(message: str) -> None:
    """One progress line on stderr (the table goes to stdout)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def measure(tiny: bool, gradcheck_full: bool = False) -> dict[str, Any]:
    """Every measurement of one run, plus the targets evaluated on them."""
    s = SETTINGS["tiny" if tiny else "full"].copy()
    if gradcheck_full:
        s["slow_columns"] = None
    results: dict[str, Any] = {"tiny": tiny, "machine": timing.machine(),
                               "settings": {k: list(v) if isinstance(v, tuple) else v
                                            for k, v in s.items()}}
    _progress(f"peak GEMM {s['gemm_n']}x{s['gemm_n']}")
    results["gemm"] = {"n": s["gemm_n"], **gemm.peak(s["gemm_n"], repeats=s["repeats"],
                                                     min_sample=s["min_sample"])}
    _progress("training steps, handmade vs torch")
    sizes = steps.TINY_SIZES if tiny else steps.FULL_SIZES
    results["steps"] = steps.bench_steps(sizes, repeats=s["repeats"], min_sample=s["min_sample"],
                                         settle=s["settle"], gemm_n=s["gemm_n"])
    _progress("gradient checks (gradcheck slow mode takes the longest)")
    results["gradcheck"] = gradcheck_bench.bench_gradcheck(
        s["gc_dims"], s["gc_batch"], fd_batch_size=s["fd_batch_size"], repeats=s["gc_repeats"],
        slow_columns=s["slow_columns"])
    _progress("whole processes: check, verify")
    results["processes"] = processes.bench_processes(s["process_runs"])
    load_end = list(os.getloadavg())
    results["machine"]["load_average_end"] = load_end
    busy = max(results["machine"]["load_average_start"][0], load_end[0])
    results["busy"] = busy > 0.75 * (results["machine"]["nproc"] or 1)
    results["targets"] = table.targets(results)
    return results


def other_benchmarks() -> dict[str, Any]:
    """Run every ``benchmarks/*_speed.py`` module (``main(argv) -> int``), keeping its output."""
    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if not info.name.endswith("_speed"):
            continue
        _progress(f"benchmarks.{info.name}")
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                code = importlib.import_module(f"benchmarks.{info.name}").main([])
            found[info.name] = {"exit_code": code, "output": buffer.getvalue()}
        except (Exception, SystemExit) as exc:  # another engineer's script: report, go on
            found[info.name] = {"error": f"{type(exc).__name__}: {exc}",
                                "output": buffer.getvalue()}
    return found


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, write the JSON; exit 0 (a missed target is not an error)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="small shapes, few repeats (smoke)")
    parser.add_argument("--gradcheck-full", action="store_true",
                        help="run gradcheck slow mode on every parameter (minutes) instead of "
                             "timing two column subsets and extrapolating")
    parser.add_argument("--skip-others", action="store_true",
                        help="do not run the other benchmarks/*_speed.py modules")
    parser.add_argument("--json", type=Path, default=Path("out/bench.json"),
                        help="where to write the results (default out/bench.json)")
    args = parser.parse_args(argv)


    results = measure(args.tiny, args.gradcheck_full)
    if not (args.tiny or args.skip_others):
        results["other_benchmarks"] = other_benchmarks()
    print(format_report(results))
    for name, other in results.get("other_benchmarks", {}).items():
        print(f"\nbenchmarks.{name}\n" + (other["output"].rstrip() or other.get("error", "")))
    path = write_json(args.json, results)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
