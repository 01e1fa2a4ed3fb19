"""The machine's peak as NumPy sees it: GFLOP/s of one large square matrix product.

``C = A @ B`` with A, B (n, n) costs 2 n^3 floating-point operations; the fastest of several
samples of products (written into a preallocated C) gives the rate (the fastest, not the
median: a peak is the best the machine does, and a median taken while the shared machine is
slowed would understate it and so overstate every fraction measured against it). This is the
peak printed at the top of the report; each training step's fraction of peak is measured
against the same product sampled beside the step's own samples (``benchmarks.steps``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks.timing import best_seconds


def gemm(n: int, dtype: type[np.floating] | np.dtype) -> tuple[Callable[[], None], float]:
    """An (n, n) @ (n, n) product in ``dtype`` into a preallocated C, and its FLOPs 2 n^3."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    c = np.empty((n, n), dtype=dtype)

    def product() -> None:
        np.matmul(a, b, out=c)

    return product, 2.0 * n**3


def gemm_gflops(n: int, dtype: type[np.floating], *, repeats: int, min_sample: float) -> float:
    """GFLOP/s of an (n, n) @ (n, n) product in ``dtype`` (fastest of ``repeats`` samples)."""
    product, flops = gemm(n, dtype)
    return flops / best_seconds(product, repeats=repeats, min_sample=min_sample) / 1e9


def peak(n: int, *, repeats: int, min_sample: float) -> dict[str, float]:
    """Peak GEMM GFLOP/s for float32 and float64 at size ``n``."""
    return {name: gemm_gflops(n, dtype, repeats=repeats, min_sample=min_sample)
            for name, dtype in (("float32", np.float32), ("float64", np.float64))}
