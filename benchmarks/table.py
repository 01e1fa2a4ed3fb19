"""The benchmark's targets (met / not met) and its printed table."""

from __future__ import annotations

import operator
from typing import Any, TypedDict

CHECK_SECONDS = 15.0
SAME_ERROR_FACTOR = 2.0  # "same or smaller error": at most this factor above gradcheck's


class Target(TypedDict):
    """One row of the JSON's "targets": ``value op threshold`` and whether it is met."""

    name: str
    value: float | None
    op: str
    threshold: float
    met: bool


def _step(results: dict[str, Any], size: str, dtype: str) -> dict[str, Any]:
    """The step row of one size and dtype."""
    return next(r for r in results["steps"] if r["size"] == size and r["dtype"] == dtype)


def _target(name: str, value: float | None, op: str, threshold: float) -> Target:
    """One target: ``value op threshold`` and whether it holds (never met without a value)."""
    compare = {"<=": operator.le, ">=": operator.ge, "<": operator.lt}[op]
    met = value is not None and bool(compare(value, threshold))
    return {"name": name, "value": value, "op": op, "threshold": threshold, "met": met}


def targets(results: dict[str, Any]) -> list[Target]:
    """The issue's targets, each with the measured value and whether it is met."""
    rows = [_target("hand/torch step, 784-256-10 CE float32", _step(
        results, "784-256-10 CE", "float32")["ratio"], "<=", 0.9)]
    for size, limit in (("331-64-1 MSE", 0.5), ("200-1 L2", 0.1)):
        for dtype in ("float32", "float64"):
            rows.append(_target(f"hand/torch step, {size} {dtype}",
                                _step(results, size, dtype)["ratio"], "<=", limit))
    big = _step(results, "784-256-10 CE", "float32")
    rows.append(_target("784-256-10 float32 hand step, fraction of peak GEMM",
                        big["handmade_fraction_of_peak"], ">=", 0.5))
    g = results["gradcheck"]
    rows.append(_target("full FD check speed-up vs gradcheck slow", g["speedup_vs_slow"],
                        ">=", 5.0))
    rows.append(_target("FD max error / gradcheck slow max error (same columns)",
                        g["fd"]["max_abs_err_same_columns"] / g["gradcheck_slow"]["max_abs_err"],
                        "<=", SAME_ERROR_FACTOR))
    check = results["processes"]["check"]["seconds"]
    rows.append(_target("backprop-lab check, whole process (s)", check, "<", CHECK_SECONDS))
    return rows


def _steps_table(results: dict[str, Any]) -> list[str]:
    """Lines of the training-step table."""
    head = (f"{'training step':<28}{'dtype':<9}{'handmade':>11}{'torch':>11}{'hand/torch':>12}"
            f"{'hand/peak':>11}{'torch/peak':>11}")
    lines = [head, "-" * len(head)]
    for r in results["steps"]:
        l2 = " +L2" if r["weight_decay"] else ""
        label = f"{'-'.join(map(str, r['dims']))} {r['loss'].upper()}{l2} b{r['batch']}"
        lines.append(f"{label:<28}{r['dtype']:<9}{r['handmade_seconds'] * 1e3:>9.3f}ms"
                     f"{r['torch_seconds'] * 1e3:>9.3f}ms{r['ratio']:>12.3f}"
                     f"{r['handmade_fraction_of_peak']:>11.1%}{r['torch_fraction_of_peak']:>11.1%}")
    lines.append("  medians of 15 samples each; hand/torch and x/peak: medians of paired ratios, "
                 "the GEMM sampled beside each step")
    return lines


def _slow_label(slow: dict[str, Any], parameters: int) -> list[str]:
    """How the slow-mode figures were obtained, in words."""
    if not slow["extrapolated"]:
        return []
    k1, k2 = slow["columns_timed"]
    return [f"  gradcheck slow: EXTRAPOLATED to {parameters:,} columns from timings on {k1} and "
            f"{k2} random columns ({slow['seconds_timed'][0]:.2f} s, "
            f"{slow['seconds_timed'][1]:.2f} s); its error on those {slow['error_columns']} "
            f"columns (FD on the same columns: see the target below)"]


def _gradcheck_table(g: dict[str, Any]) -> list[str]:
    """Lines of the gradient-check table, with the speed-ups and the harness share."""
    title = (f"gradient check of {'-'.join(map(str, g['dims']))} ({g['parameters']:,} parameters, "
             f"float64, eps {g['eps']:g}); errors vs autograd, max |grad| {g['max_abs_grad']:.3g}")
    head = f"{'checker':<48}{'seconds':>10}{'max abs err':>14}{'passed':>8}"
    slow_name = "torch gradcheck slow" + (" (extrapolated)" if g["gradcheck_slow"][
        "extrapolated"] else "")
    rows = [("fd", f"project FD, indexed update form ({g['fd_batch_size']} per call)",
             "max_abs_err"),
            ("fd_stack", "project FD, stacks + update form", "max_abs_err"),
            ("fd_dense", "project FD, dense batched product", "max_abs_err"),
            ("gradcheck_slow", slow_name, "max_abs_err"),
            ("gradcheck_fast", "torch gradcheck fast (1 projection)", "projection_err")]
    lines = [title, head, "-" * len(head)]
    for key, label, err in rows:
        r = g[key]
        lines.append(f"{label:<48}{r['seconds']:>10.3f}{r[err]:>14.2e}{str(r['passed']):>8}")
    return lines + _slow_label(g["gradcheck_slow"], g["parameters"]) + [
        f"FD speed-up vs gradcheck slow: {g['speedup_vs_slow']:.1f}x (stacks "
        f"{g['stack_speedup_vs_slow']:.1f}x, dense {g['dense_speedup_vs_slow']:.1f}x); "
        f"vs fast mode {g['speedup_vs_fast']:.3g}x",
        f"share of the FD time spent in numerical_gradient itself (outside f_indexed / "
        f"f_batched): {g['fd']['harness_fraction']:.0%} (stacks "
        f"{g['fd_stack']['harness_fraction']:.0%}, dense {g['fd_dense']['harness_fraction']:.0%})"]


def _process_lines(p: dict[str, Any]) -> list[str]:
    """Lines of the whole-process timings (or why one was skipped)."""
    lines = ["whole processes (wall seconds, median)"]
    for key in ("import_torch", "check", "verify"):
        r = p[key]
        if "skipped" in r:
            lines.append(f"  {key:<12} skipped: {r['skipped']}")
        else:
            lines.append(f"  {r['seconds']:>7.2f} s  {r['command']}  (exit {r['exit_code']})")
    return lines


def format_report(results: dict[str, Any]) -> str:
    """The whole printed report: machine, peak, steps, gradient checks, processes, targets."""
    m, peak = results["machine"], results["gemm"]
    blas = [f"{t.get('internal_api')} {t.get('version') or ''} {t.get('num_threads')} threads"
            for t in m["thread_pools"] if t.get("internal_api")]
    lines = [f"machine: {m['cpu_model']}, {m['nproc']} CPUs, torch {m['torch']} "
             f"({m['torch_threads']} threads), numpy {m['numpy']} [{'; '.join(blas)}]",
             f"load average at start {m['load_average_start'][0]:.2f}, "
             f"at end {m['load_average_end'][0]:.2f}"
             + ("  (WARNING: busy machine, timings are noisy)" if results.get("busy") else ""),
             f"peak GEMM ({peak['n']}x{peak['n']}): float32 {peak['float32']:.1f} GFLOP/s, "
             f"float64 {peak['float64']:.1f} GFLOP/s", ""]
    lines += _steps_table(results) + [""] + _gradcheck_table(results["gradcheck"]) + [""]
    lines += _process_lines(results["processes"]) + ["", "targets"]
    for t in results["targets"]:
        value = "n/a" if t["value"] is None else f"{t['value']:.4g}"
        lines.append(f"  {t['name']:<56} {value:>9} {t['op']} {t['threshold']:<5g} "
                     f"{'met' if t['met'] else 'NOT met'}")
    if results["tiny"]:
        lines.append("  (tiny sizes: a smoke run; the targets apply to the full sizes only)")
    return "\n".join(lines)
