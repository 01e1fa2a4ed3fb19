"""Minibatch indices shared by both engines, so handmade and torch runs see the same batches.

An epoch is a permutation of ``range(n)`` (drawn from the given generator) cut into consecutive
batches of ``batch_size``; the last batch keeps the remainder (like
``torch.utils.data.DataLoader(drop_last=False)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from handmade.checks import check_rng


def _check_int(name: str, value: Any, low: int) -> int:
    """Check an integer (not bool) ``>= low``; return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name}: expected an integer >= {low}, got {value}")
    return int(value)


def epoch_permutation(n: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """A uniformly random ordering of ``0..n-1``: int64 array of shape (n,).

    Consumes ``rng`` exactly once (``rng.permutation(n)``); the same generator state gives the
    same ordering.
    """
    n = _check_int("n", n, 0)
    check_rng("rng", rng)
    return rng.permutation(n).astype(np.int64, copy=False)


def iterate_minibatches(
    n: int, batch_size: int, rng: np.random.Generator | None, shuffle: bool = True
) -> list[NDArray[np.int64]]:
    """Index arrays of one epoch: ``ceil(n / batch_size)`` int64 arrays covering ``0..n-1`` once.

    Every batch has ``batch_size`` indices except possibly the last, which has
    ``n - batch_size * (ceil(n / batch_size) - 1)``. With ``shuffle=True`` the order is
    ``epoch_permutation(n, rng)``; with ``shuffle=False`` it is ``0..n-1`` and ``rng`` may be
    None (it is not consumed). ``n = 0`` gives no batches.
    """
    n = _check_int("n", n, 0)
    batch_size = _check_int("batch_size", batch_size, 1)
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle: expected a bool, got {type(shuffle).__name__}")
    order = epoch_permutation(n, check_rng("rng", rng)) if shuffle else np.arange(n, dtype=np.int64)
    return [order[start : start + batch_size] for start in range(0, n, batch_size)]
