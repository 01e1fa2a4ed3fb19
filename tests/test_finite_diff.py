"""Central finite differences, full, batched and directional."""

from __future__ import annotations

import numpy as np
import pytest

from comparisons.core.compare import compare
from comparisons.core.finite_diff import (
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


def _matrix_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A non-square x (4, 7) and the A of f(x) = sum(sin(x) @ A) + sum(x**3) / 3."""
    return rng.standard_normal((4, 7)), rng.standard_normal((7, 3))


def _matrix_f(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f at each x of a (..., 4, 7) stack: (...,)."""
    return np.sum(np.sin(x) @ a, axis=(-2, -1)) + np.sum(x**3, axis=(-2, -1)) / 3


def _indexed(a: np.ndarray, calls: list | None = None):
    """f_indexed for _matrix_f, recording (x64 copy, idx, offsets) of each call."""

    def f_indexed(x64: np.ndarray, idx: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        if calls is not None:
            calls.append((x64.copy(), idx.copy(), offsets.copy()))
        stack = np.repeat(x64[None], idx.size, axis=0)
        stack.reshape(idx.size, -1)[np.arange(idx.size), idx] += offsets
        return _matrix_f(stack, a)

    return f_indexed


def test_indexed_mode_equals_the_loop_and_the_batched_mode(rng: np.random.Generator) -> None:
    x, a = _matrix_case(rng)
    loop = numerical_gradient(lambda v: float(_matrix_f(v, a)), x)
    batched = numerical_gradient(lambda v: 0.0, x, f_batched=lambda s: _matrix_f(s, a),
                                 batch_size=5)
    indexed = numerical_gradient(lambda v: 0.0, x, f_indexed=_indexed(a), batch_size=5)
    np.testing.assert_allclose(indexed, loop, rtol=0, atol=1e-9)
    np.testing.assert_allclose(indexed, batched, rtol=0, atol=1e-9)
    analytic = (np.cos(x) * a.sum(axis=1)) + x**2
    c = compare(analytic, indexed, name="fd", tensor="x", against="finite_differences")
    assert c.passed, c.message


def test_indexed_mode_gets_the_documented_calls(rng: np.random.Generator) -> None:
    x, a = _matrix_case(rng)
    before = x.copy()
    calls: list = []
    numerical_gradient(lambda v: 0.0, x, f_indexed=_indexed(a, calls), h=1e-5, batch_size=12)
    assert [idx.size for _, idx, _ in calls] == [24, 24, 8]  # 28 elements: 12, 12, then 4
    seen = np.concatenate([idx[: idx.size // 2] for _, idx, _ in calls])
    np.testing.assert_array_equal(seen, np.arange(x.size))
    for x64, idx, offsets in calls:
        k = idx.size // 2
        assert idx.dtype == np.int64 and offsets.dtype == np.float64
        np.testing.assert_array_equal(idx[:k], idx[k:])
        np.testing.assert_array_equal(offsets, np.r_[np.full(k, 1e-5), np.full(k, -1e-5)])
        np.testing.assert_array_equal(x64, before)
    np.testing.assert_array_equal(x, before)


def test_indexed_mode_cannot_change_the_base_point(rng: np.random.Generator) -> None:
    x, a = _matrix_case(rng)

    def clobbering(x64: np.ndarray, idx: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        x64.flat[idx[0]] += offsets[0]
        return np.zeros(idx.size)

    with pytest.raises(ValueError, match="read-only"):
        numerical_gradient(lambda v: 0.0, x, f_indexed=clobbering)


def test_both_vectorised_forms_at_once_are_refused(rng: np.random.Generator) -> None:
    x, a = _matrix_case(rng)
    with pytest.raises(ValueError, match="f_batched and f_indexed"):
        numerical_gradient(lambda v: 0.0, x, f_batched=lambda s: _matrix_f(s, a),
                           f_indexed=_indexed(a))


@pytest.mark.parametrize("form", ["f_batched", "f_indexed"])
def test_a_wrong_shape_of_values_is_named(rng: np.random.Generator, form: str) -> None:
    x, a = _matrix_case(rng)
    column = {"f_batched": lambda s: _matrix_f(s, a)[:, None],
              "f_indexed": lambda x64, idx, off: _indexed(a)(x64, idx, off)[:, None]}
    message = rf"^{form}: expected values of shape \(56,\), got \(56, 1\)$"
    with pytest.raises(ValueError, match=message):
        numerical_gradient(lambda v: 0.0, x, batch_size=28, **{form: column[form]})


@pytest.mark.parametrize("batch_size", [0, -3])
def test_a_batch_size_below_one_is_refused(rng: np.random.Generator, batch_size: int) -> None:
    x, a = _matrix_case(rng)  # a negative one used to return np.empty's garbage as the gradient
    message = f"^batch_size: expected a positive integer, got {batch_size}$"
    with pytest.raises(ValueError, match=message):
        numerical_gradient(lambda v: 0.0, x, f_indexed=_indexed(a), batch_size=batch_size)
