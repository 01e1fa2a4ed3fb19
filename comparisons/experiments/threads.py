"""Run small-matrix training single-threaded (NumPy's BLAS and torch's intra-op pool).

The experiments multiply matrices of a few hundred rows at most. On a machine whose cores are
already busy, a multi-threaded BLAS spends far longer waking and synchronising its threads than
computing (measured here: a 20x256 @ 256x256 product 40 ms instead of 0.1 ms), so the
experiments run with one thread. Results do not depend on it: each output element is computed
by one thread in the same order either way, and runs are reproducible for a fixed setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from threadpoolctl import threadpool_limits


@contextmanager
def single_threaded() -> Iterator[None]:
    """Limit BLAS/OpenMP pools (threadpoolctl) and torch to one thread; restore on exit."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)
