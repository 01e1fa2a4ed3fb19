"""Synthetic regression data of D2L's MLP chapter (sections "underfit-overfit", "weight decay").

Every function draws from the generator it is given (no global seeding), in a documented order,
so the same seed gives bit-identical arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from handmade.checks import check_float_array, check_nonnegative, check_rng

MAX_POLY_DEGREE = 170  # 170! is the largest factorial that float64 can hold


def _check_count(name: str, value: Any, low: int, high: int | None = None) -> int:
    """Check an integer count with ``low <= value (<= high)``; return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name}: expected an integer {bound}, got {value}")
    return int(value)


def _check_float_dtype(dtype: DTypeLike) -> np.dtype:
    """Accept float32 or float64 only."""
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype: expected float32 or float64, got {dt}")
    return dt


@dataclass(frozen=True, eq=False)
class PolynomialData:
    """D2L's polynomial-regression data; rows ``[:n_train]`` are train, the rest test.

    x: (n,) raw inputs, x ~ N(0, 1); features: (n, max_degree) with ``features[:, i] = x^i / i!``;
    labels: (n,) = ``features @ true_w + eps``, eps ~ N(0, noise^2); true_w: (max_degree,), the
    given weights padded with zeros. n = n_train + n_test.
    """

    x: NDArray[np.floating]
    features: NDArray[np.floating]
    labels: NDArray[np.floating]
    true_w: NDArray[np.floating]
    n_train: int

    @property
    def x_train(self) -> NDArray[np.floating]:
        """(n_train,) raw inputs of the training split."""
        return self.x[: self.n_train]

    @property
    def x_test(self) -> NDArray[np.floating]:
        """(n_test,) raw inputs of the test split."""
        return self.x[self.n_train :]

    @property
    def features_train(self) -> NDArray[np.floating]:
        """(n_train, max_degree) scaled powers of the training split."""
        return self.features[: self.n_train]

    @property
    def features_test(self) -> NDArray[np.floating]:
        """(n_test, max_degree) scaled powers of the test split."""
        return self.features[self.n_train :]

    @property
    def labels_train(self) -> NDArray[np.floating]:
        """(n_train,) labels of the training split."""
        return self.labels[: self.n_train]

    @property
    def labels_test(self) -> NDArray[np.floating]:
        """(n_test,) labels of the test split."""
        return self.labels[self.n_train :]


def polynomial_features(x: NDArray[np.floating], max_degree: int) -> NDArray[np.floating]:
    """Scaled powers ``x^i / Gamma(i + 1) = x^i / i!`` for i = 0..max_degree-1.

    x: (n,) float; returns (n, max_degree) in x's dtype. Dividing by i! keeps large powers of
    x ~ N(0, 1) from dominating the gradient (D2L's reason for the rescaling).
    """
    check_float_array("x", x, ndim=1)
    degree = _check_count("max_degree", max_degree, 1, MAX_POLY_DEGREE)
    powers = np.arange(degree)
    factorials = np.array([math.gamma(i + 1) for i in range(degree)], dtype=np.float64)
    out = np.power(x.astype(np.float64)[:, None], powers) / factorials
    return out.astype(x.dtype)


def polynomial_data(
    rng: np.random.Generator,
    n_train: int = 100,
    n_test: int = 100,
    max_degree: int = 20,
    true_w: Sequence[float] = (5, 1.2, -3.4, 5.6),
    noise: float = 0.1,
    *,
    dtype: DTypeLike = np.float64,
) -> PolynomialData:
    """y = sum_i true_w[i] x^i / i! + eps, x ~ N(0, 1), eps ~ N(0, noise^2) (D2L section 2).

    Draws, in order: x (n,), then eps (n,), both in float64 (cast to ``dtype`` at the end).
    ``noise=0`` gives noise-free labels with the same x as any other noise level.
    """
    check_rng("rng", rng)
    n_train = _check_count("n_train", n_train, 1)
    n_test = _check_count("n_test", n_test, 0)
    max_degree = _check_count("max_degree", max_degree, 1, MAX_POLY_DEGREE)
    noise = check_nonnegative("noise", noise)
    dt = _check_float_dtype(dtype)
    w_given = np.asarray(true_w, dtype=np.float64).ravel()
    if w_given.size > max_degree:
        raise ValueError(
            f"true_w: expected at most max_degree={max_degree} weights, got {w_given.size}"
        )
    w = np.zeros(max_degree)
    w[: w_given.size] = w_given
    n = n_train + n_test
    x = rng.normal(size=n)
    eps = rng.normal(scale=noise, size=n)
    features = polynomial_features(x, max_degree)
    labels = features @ w + eps
    return PolynomialData(x.astype(dt), features.astype(dt), labels.astype(dt), w.astype(dt),
                          n_train)


@dataclass(frozen=True, eq=False)
class LinearData:
    """D2L's high-dimensional linear regression data (section 3).

    X_train: (n_train, num_inputs), y_train: (n_train, 1), X_test: (n_test, num_inputs),
    y_test: (n_test, 1), true_w: (num_inputs, 1), true_b: float; y = X @ true_w + true_b + eps.
    """

    X_train: NDArray[np.floating]
    y_train: NDArray[np.floating]
    X_test: NDArray[np.floating]
    y_test: NDArray[np.floating]
    true_w: NDArray[np.floating]
    true_b: float


def _linear_split(
    rng: np.random.Generator, n: int, w: NDArray[np.float64], b: float, noise: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Draw X ~ N(0, 1) (n, d), then eps ~ N(0, noise^2) (n, 1); return X, X @ w + b + eps."""
    X = rng.normal(size=(n, w.shape[0]))
    eps = rng.normal(scale=noise, size=(n, 1))
    return X, X @ w + b + eps


def high_dim_linear_data(
    rng: np.random.Generator,
    n_train: int = 20,
    n_test: int = 100,
    num_inputs: int = 200,
    true_w: float | Sequence[float] = 0.01,
    true_b: float = 0.05,
    noise: float = 0.01,
    *,
    dtype: DTypeLike = np.float64,
) -> LinearData:
    """y = 0.05 + sum_i 0.01 x_i + eps, x ~ N(0, I), eps ~ N(0, noise^2) (D2L section 3).

    ``true_w`` is one value for every input or ``num_inputs`` values. Draws, in order:
    X_train, eps_train, X_test, eps_test (float64, cast to ``dtype`` at the end).
    """
    check_rng("rng", rng)
    n_train = _check_count("n_train", n_train, 1)
    n_test = _check_count("n_test", n_test, 0)
    num_inputs = _check_count("num_inputs", num_inputs, 1)
    noise = check_nonnegative("noise", noise)
    dt = _check_float_dtype(dtype)
    w = np.asarray(true_w, dtype=np.float64).reshape(-1, 1)
    if w.size == 1:
        w = np.full((num_inputs, 1), w.item())
    if w.shape != (num_inputs, 1):
        raise ValueError(f"true_w: expected a scalar or {num_inputs} values, got {w.size}")
    b = float(true_b)
    X_tr, y_tr = _linear_split(rng, n_train, w, b, noise)
    X_te, y_te = _linear_split(rng, n_test, w, b, noise)
    X_tr, y_tr, X_te, y_te, w = (a.astype(dt) for a in (X_tr, y_tr, X_te, y_te, w))
    return LinearData(X_tr, y_tr, X_te, y_te, w, true_b=b)
