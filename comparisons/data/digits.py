"""scikit-learn's bundled 8x8 handwritten digits: the offline stand-in for Fashion-MNIST.

1797 grey-scale images with integer intensities 0..16, ten classes (0..9), shipped inside
scikit-learn (no download).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from handmade.checks import check_rng

NUM_CLASSES = 10
MAX_INTENSITY = 16.0


@dataclass(frozen=True, eq=False)
class DigitsSplit:
    """Train/test split: X_* (n, 64) in [0, 1] (pixel / 16, row-major 8x8), y_* (n,) int64."""

    X_train: NDArray[np.floating]
    y_train: NDArray[np.int64]
    X_test: NDArray[np.floating]
    y_test: NDArray[np.int64]


def _check_test_fraction(test_fraction: Any, n: int) -> float:
    """A fraction whose test and train parts each hold at least one example per class."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (float, int)):
        raise ValueError(f"test_fraction: expected a float in (0, 1), got {test_fraction!r}")
    n_test = math.ceil(test_fraction * n) if 0 < test_fraction < 1 else 0
    if not NUM_CLASSES <= n_test <= n - NUM_CLASSES:
        raise ValueError(
            f"test_fraction: expected a value giving {NUM_CLASSES}..{n - NUM_CLASSES} test "
            f"examples of {n} (one per class each side), got {test_fraction}"
        )
    return float(test_fraction)


def load_digits_split(
    rng: np.random.Generator, test_fraction: float = 0.25, dtype: DTypeLike = np.float64
) -> DigitsSplit:
    """Stratified, shuffled split of the 1797 digits; ``ceil(test_fraction * 1797)`` test rows.

    X = pixel / 16 (so values lie in [0, 1]), shape (n, 64), in ``dtype`` (float32/float64);
    y int64 in 0..9. Class proportions are preserved in both parts. Consumes ``rng`` once (one
    integer seed for scikit-learn's splitter), so the same generator state gives the same split.
    """
    check_rng("rng", rng)
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype: expected float32 or float64, got {dt}")
    digits = load_digits()
    X = (digits.data / MAX_INTENSITY).astype(dt)
    y = digits.target.astype(np.int64)
    fraction = _check_test_fraction(test_fraction, len(y))
    seed = int(rng.integers(2**31 - 1))
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=fraction, stratify=y, random_state=seed, shuffle=True
    )
    return DigitsSplit(X_tr, y_tr, X_te, y_te)
