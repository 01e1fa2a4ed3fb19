"""The machine's peak as NumPy sees it: GFLOP/s of one large square matrix product.

``C = A @ B`` with A, B (n, n) costs 2 n^3 floating-point operations; the fastest of several
samples of products (written into a preallocated C) gives the rate (the fastest, not the
median: a peak is the best the machine does, and a median taken while the shared machine is
slowed would understate it and so overstate every fraction measured against it). This is the
ceiling that a training step, whose work is matrix products, is measured against.
"""

from __future__ import annotations

import numpy as np

from benchmarks.timing import best_seconds


def gemm_gflops(n: int, dtype: type[np.floating], *, repeats: int, min_sample: float) -> float:
    """GFLOP/s of an (n, n) @ (n, n) product in ``dtype`` (fastest of ``repeats`` samples)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    c = np.empty((n, n), dtype=dtype)

    def product() -> None:
        np.matmul(a, b, out=c)

    t = best_seconds(product, repeats=repeats, min_sample=min_sample)
    return 2.0 * n**3 / t / 1e9


def peak(n: int, *, repeats: int, min_sample: float) -> dict[str, float]:
    """Peak GEMM GFLOP/s for float32 and float64 at size ``n``."""
    return {name: gemm_gflops(n, dtype, repeats=repeats, min_sample=min_sample)
            for name, dtype in (("float32", np.float32), ("float64", np.float64))}
