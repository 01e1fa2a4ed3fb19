"""Initialisers: moments within a few standard errors of the formulas, bounds, dtypes, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from handmade import init

SHAPE = (300, 200)  # (fan_out, fan_in): 60k draws
Z = 5.0  # allowed standard errors


def _assert_moments(w: np.ndarray, variance: float) -> None:
    """Mean 0 and E[w^2] = variance, each within Z standard errors estimated from the sample."""
    n = w.size
    x = w.astype(np.float64).ravel()
    assert abs(x.mean()) <= Z * x.std() / math.sqrt(n)
    sq = x * x
    assert abs(sq.mean() - variance) <= Z * sq.std() / math.sqrt(n)


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier_uniform(rng, gain) -> None:
    w = init.xavier_uniform(SHAPE, rng, gain=gain)
    a = gain * math.sqrt(6 / (SHAPE[0] + SHAPE[1]))
    assert w.shape == SHAPE and np.all(np.abs(w) <= a)
    assert np.abs(w).max() > 0.99 * a  # reaches out to the bound, not a narrower spread
    _assert_moments(w, gain**2 * 2 / (SHAPE[0] + SHAPE[1]))


@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_xavier_normal(rng, gain) -> None:
    w = init.xavier_normal(SHAPE, rng, gain=gain)
    _assert_moments(w, gain**2 * 2 / (SHAPE[0] + SHAPE[1]))


@pytest.mark.parametrize("sigma", [0.01, 1.0])
def test_normal(rng, sigma) -> None:
    _assert_moments(init.normal(SHAPE, sigma, rng), sigma**2)


def test_torch_linear_default_bound(rng) -> None:
    w = init.torch_linear_default(SHAPE, SHAPE[1], rng)
    bound = 1 / math.sqrt(SHAPE[1])
    assert np.all(np.abs(w) <= bound)
    _assert_moments(w, bound**2 / 3)


def test_fans_use_torch_layout() -> None:
    assert init.fans((7, 3)) == (3, 7)
    with pytest.raises(ValueError, match=r"shape: expected a 2-D weight shape .* got \(3,\)"):
        init.fans((3,))


@pytest.mark.parametrize("name", init.INITS)
def test_init_weight_dtypes_and_explicit_generators(name) -> None:
    a = init.init_weight(name, (4, 5), np.random.default_rng(3), np.float32)
    b = init.init_weight(name, (4, 5), np.random.default_rng(3), np.float64)
    assert a.dtype == np.float32 and b.dtype == np.float64
    np.testing.assert_array_equal(a, b.astype(np.float32))  # same generator state, same draw
    c = init.init_weight(name, (4, 5), np.random.default_rng(4), np.float64)
    assert not np.array_equal(b, c)


def test_bad_arguments_name_themselves(rng) -> None:
    with pytest.raises(ValueError, match="init: expected one of"):
        init.init_weight("he", (2, 2), rng)
    with pytest.raises(ValueError, match="sigma: expected a value >= 0, got -1.0"):
        init.normal((2, 2), -1.0, rng)
    with pytest.raises(ValueError, match="dtype: expected float32 or float64, got float16"):
        init.normal((2, 2), 1.0, rng, np.float16)
    with pytest.raises(ValueError, match="rng: expected a numpy.random.Generator, got int"):
        init.xavier_uniform((2, 2), 0)
    with pytest.raises(ValueError, match=r"shape: expected positive sizes, got \(0, 2\)"):
        init.normal((0, 2), 1.0, rng)
