"""Timing helpers and a description of the machine the numbers were measured on.

Timings are medians of several samples after a warm-up; two competitors are measured
interleaved (A then B, B then A, ...) so that a change in the machine's load during the run
affects both alike, with a pause before each sample so that neither runs beside the other's
still-spinning thread pool. Only ratios and fractions are reported as results.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch


def seconds(fn: Callable[[], Any], number: int = 1) -> float:
    """Wall seconds per call of ``number`` back-to-back calls of ``fn``."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calibrate(fn: Callable[[], Any], min_sample: float) -> int:
    """How many calls make one sample last at least ``min_sample`` seconds (≥ 1)."""
    number = 1
    while True:
        took = seconds(fn, number) * number
        if took >= min_sample or number >= 1 << 16:
            return number
        number *= 2 if took <= 0 else max(2, min(8, int(min_sample / took) + 1))


def best_seconds(fn: Callable[[], Any], *, repeats: int, min_sample: float) -> float:
    """Fastest seconds per call over ``repeats`` samples, after a warm-up sample: for a peak
    rate (on a shared machine a median understates the peak, which would overstate every
    fraction measured against it)."""
    number = calibrate(fn, min_sample)
    seconds(fn, number)
    return min(seconds(fn, number) for _ in range(repeats))


def interleaved(
    fns: Sequence[Callable[[], Any]], *, repeats: int, min_sample: float, settle: float = 0.0
) -> list[list[float]]:
    """``repeats`` samples (seconds per call) of each function, taken in turn, forwards then
    backwards (a, b, c, c, b, a, ...) so that a load drifting during the run hits all alike;
    sample i of every function is taken at about the same moment, for paired ratios.

    ``settle``: seconds of sleep before every sample. NumPy's OpenBLAS and torch's OpenMP pool
    each keep their worker threads spinning for a while after a product (OpenBLAS ~0.1 s); a
    sample taken right after the other library's sample then shares the 2 cores with those
    spinning threads. Measured here: a 784-256-10 torch step 6.1 ms right after a NumPy
    sample, 4.5 ms after a pause; so full runs pause (0.3 s) and each one is timed alone.
    """
    numbers = [calibrate(fn, min_sample) for fn in fns]
    for fn, number in zip(fns, numbers):
        seconds(fn, number)  # warm-up
    samples: list[list[float]] = [[] for _ in fns]
    for i in range(repeats):
        order = range(len(fns)) if i % 2 == 0 else reversed(range(len(fns)))
        for j in order:
            if settle > 0:
                time.sleep(settle)
            samples[j].append(seconds(fns[j], numbers[j]))
    return samples


def paired_median(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Median of the paired ratios ``numerators[i] / denominators[i]``."""
    return statistics.median(x / y for x, y in zip(numerators, denominators))


def _cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or the platform's processor string."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas() -> list[dict[str, Any]]:
    """NumPy's and torch's thread pools (BLAS, OpenMP) as threadpoolctl sees them."""
    try:
        from threadpoolctl import threadpool_info  # not a declared dependency (scikit-learn's)
    except ImportError:
        return [{"note": "threadpoolctl not installed"}]
    keys = ("user_api", "internal_api", "num_threads", "version", "architecture", "filepath")
    return [{k: info.get(k) for k in keys} for info in threadpool_info()]


def machine() -> dict[str, Any]:
    """nproc, CPU model, load, Python/NumPy/torch versions, thread pools, BLAS core type."""
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "thread_pools": _blas(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "load_average_start": list(os.getloadavg()),
    }
