"""Central finite differences, full, batched and directional."""

from __future__ import annotations

import numpy as np

from comparisons.compare import compare
from comparisons.finite_diff import (
    directional_derivatives,
    numerical_gradient,
    project,
    random_directions,
)


def _f(x: np.ndarray) -> float:
    return float(np.sum(np.sin(x) * x**2))


def _grad(x: np.ndarray) -> np.ndarray:
    return np.cos(x) * x**2 + 2 * x * np.sin(x)


def test_full_gradient_matches_the_analytic_one(rng: np.random.Generator) -> None:
    x = rng.standard_normal((3, 4))
    c = compare(_grad(x), numerical_gradient(_f, x), name="fd", tensor="x",
                against="finite_differences")
    assert c.passed, c.message


def test_batched_mode_equals_the_loop(rng: np.random.Generator) -> None:
    x = rng.standard_normal((5, 3))

    def batched(stack: np.ndarray) -> np.ndarray:
        return np.sum(np.sin(stack) * stack**2, axis=(1, 2))

    loop = numerical_gradient(_f, x)
    fast = numerical_gradient(_f, x, f_batched=batched, batch_size=4)
    np.testing.assert_array_equal(loop, fast)


def test_input_is_not_modified(rng: np.random.Generator) -> None:
    x = rng.standard_normal(6)
    before = x.copy()
    numerical_gradient(_f, x)
    np.testing.assert_array_equal(x, before)


def test_directional_derivatives_match_projections(rng: np.random.Generator) -> None:
    x = rng.standard_normal((20, 30))
    v = random_directions(x.shape, 5, rng)
    assert np.allclose(np.linalg.norm(v.reshape(5, -1), axis=1), 1.0)
    c = compare(project(_grad(x), v), directional_derivatives(_f, x, v), name="fd",
                tensor="x", against="finite_differences")
    assert c.passed, c.message


def test_a_wrong_gradient_is_caught(rng: np.random.Generator) -> None:
    x = rng.standard_normal((3, 3))
    wrong = _grad(x).T
    c = compare(wrong, numerical_gradient(_f, x), name="fd", tensor="x",
                against="finite_differences")
    assert not c.passed
