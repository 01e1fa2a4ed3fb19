"""Synthetic D2L data: shapes, the x^i/i! scaling, noise-free labels, statistics, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from comparisons.core.compare import compare
from comparisons.data.synthetic import high_dim_linear_data, polynomial_data, polynomial_features

Z = 4.0  # statistical checks allow Z standard errors (fixed seeds: deterministic outcomes)


def _assert_normal_sample(sample: np.ndarray, mean: float, std: float) -> None:
    """Mean, variance and P(|x - mean| < std) within Z standard errors of N(mean, std^2)'s.

    The last check tells a normal from, e.g., a uniform of the same mean and variance.
    """
    n = sample.size
    assert abs(sample.mean() - mean) <= Z * std / math.sqrt(n)
    assert abs(sample.var(ddof=1) - std**2) <= Z * std**2 * math.sqrt(2 / (n - 1))
    p_within = math.erf(1 / math.sqrt(2))  # P(|z| < 1) for a standard normal
    within = np.mean(np.abs(sample - mean) < std)
    assert abs(within - p_within) <= Z * math.sqrt(p_within * (1 - p_within) / n)


def _assert_close(actual: np.ndarray, expected: np.ndarray, name: str) -> None:
    check = compare(actual, expected, name="synthetic", tensor=name, against="forward")
    assert check.passed, check.message


def test_polynomial_shapes_and_split(rng: np.random.Generator) -> None:
    d = polynomial_data(rng, n_train=30, n_test=12, max_degree=7)
    assert d.x.shape == (42,) and d.features.shape == (42, 7) and d.labels.shape == (42,)
    assert d.features_train.shape == (30, 7) and d.features_test.shape == (12, 7)
    assert d.labels_train.shape == (30,) and d.labels_test.shape == (12,)
    np.testing.assert_array_equal(np.concatenate([d.x_train, d.x_test]), d.x)
    np.testing.assert_array_equal(d.features_train[:, 1], d.x_train)


def test_defaults_follow_the_book(rng: np.random.Generator) -> None:
    d = polynomial_data(rng)
    assert d.features_train.shape == (100, 20) and d.features_test.shape == (100, 20)
    np.testing.assert_array_equal(d.true_w[:4], [5, 1.2, -3.4, 5.6])
    assert not np.any(d.true_w[4:]) and d.true_w.shape == (20,)


def test_features_are_powers_over_factorials(rng: np.random.Generator) -> None:
    d = polynomial_data(rng, n_train=50, n_test=0, max_degree=12)
    for i in range(12):
        expected = np.array([xv**i / math.factorial(i) for xv in d.x.tolist()])
        _assert_close(d.features[:, i], expected, f"column {i}")


def test_noise_free_labels_are_the_cubic(rng: np.random.Generator) -> None:
    d = polynomial_data(rng, n_train=40, n_test=40, noise=0.0)
    x = d.x
    _assert_close(d.labels, 5 + 1.2 * x - 3.4 * x**2 / 2 + 5.6 * x**3 / 6, "labels")


def test_polynomial_statistics() -> None:
    n, sigma = 20_000, 0.1
    noisy = polynomial_data(np.random.default_rng(5), n_train=n, n_test=0, noise=sigma)
    clean = polynomial_data(np.random.default_rng(5), n_train=n, n_test=0, noise=0.0)
    np.testing.assert_array_equal(noisy.x, clean.x)  # noise level does not change x
    _assert_normal_sample(noisy.x, 0.0, 1.0)
    _assert_normal_sample(noisy.labels - clean.labels, 0.0, sigma)


def test_polynomial_is_reproducible() -> None:
    a, b = (polynomial_data(np.random.default_rng(11)) for _ in range(2))
    for field in ("x", "features", "labels", "true_w"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    c = polynomial_data(np.random.default_rng(12))
    assert not np.array_equal(a.x, c.x)


def test_float32_output(rng: np.random.Generator) -> None:
    d = polynomial_data(rng, dtype=np.float32)
    assert {d.x.dtype, d.features.dtype, d.labels.dtype, d.true_w.dtype} == {np.dtype("float32")}
    h = high_dim_linear_data(rng, dtype=np.float32)
    assert h.X_train.dtype == h.y_test.dtype == h.true_w.dtype == np.float32


def test_linear_shapes_follow_the_book(rng: np.random.Generator) -> None:
    d = high_dim_linear_data(rng)
    assert d.X_train.shape == (20, 200) and d.y_train.shape == (20, 1)
    assert d.X_test.shape == (100, 200) and d.y_test.shape == (100, 1)
    assert d.true_w.shape == (200, 1) and np.all(d.true_w == 0.01) and d.true_b == 0.05


def test_noise_free_linear_labels(rng: np.random.Generator) -> None:
    d = high_dim_linear_data(rng, n_train=15, n_test=9, num_inputs=30, noise=0.0)
    for X, y in ((d.X_train, d.y_train), (d.X_test, d.y_test)):
        _assert_close(y[:, 0], 0.05 + 0.01 * X.sum(axis=1), "y")


def test_linear_weights_given_per_input(rng: np.random.Generator) -> None:
    w = np.arange(5.0)
    d = high_dim_linear_data(rng, n_train=8, num_inputs=5, true_w=w, true_b=-1.0, noise=0.0)
    _assert_close(d.y_train[:, 0], -1.0 + d.X_train @ w, "y")


def test_linear_statistics() -> None:
    sigma = 0.01
    noisy = high_dim_linear_data(np.random.default_rng(9), n_train=4000, n_test=4000, noise=sigma)
    clean = high_dim_linear_data(np.random.default_rng(9), n_train=4000, n_test=4000, noise=0.0)
    _assert_normal_sample(noisy.X_train, 0.0, 1.0)
    _assert_normal_sample(noisy.X_test, 0.0, 1.0)
    _assert_normal_sample(noisy.y_train - clean.y_train, 0.0, sigma)
    assert not np.array_equal(noisy.X_train, noisy.X_test)  # test set is a fresh draw


def test_linear_is_reproducible() -> None:
    a, b = (high_dim_linear_data(np.random.default_rng(3)) for _ in range(2))
    for field in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


@pytest.mark.parametrize(
    "kwargs,arg",
    [
        (dict(max_degree=0), "max_degree"),
        (dict(max_degree=3), "true_w"),
        (dict(noise=-0.1), "noise"),
        (dict(n_train=0), "n_train"),
        (dict(n_test=True), "n_test"),
        (dict(dtype=np.int64), "dtype"),
    ],
)
def test_polynomial_bad_input(rng: np.random.Generator, kwargs: dict, arg: str) -> None:
    with pytest.raises(ValueError, match=f"^{arg}: expected"):
        polynomial_data(rng, **kwargs)


@pytest.mark.parametrize(
    "kwargs,arg",
    [
        (dict(num_inputs=0), "num_inputs"),
        (dict(true_w=[0.1, 0.2]), "true_w"),
        (dict(noise=-1.0), "noise"),
        (dict(n_train=2.5), "n_train"),
    ],
)
def test_linear_bad_input(rng: np.random.Generator, kwargs: dict, arg: str) -> None:
    with pytest.raises(ValueError, match=f"^{arg}: expected"):
        high_dim_linear_data(rng, **kwargs)


def test_rng_must_be_a_generator() -> None:
    with pytest.raises(ValueError, match="^rng: expected"):
        polynomial_data(0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^rng: expected"):
        high_dim_linear_data(np.random.RandomState(0))  # type: ignore[arg-type]


def test_polynomial_features_rejects_bad_x() -> None:
    with pytest.raises(ValueError, match="^x: expected"):
        polynomial_features(np.ones((2, 2)), 3)
