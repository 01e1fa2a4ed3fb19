"""L2 penalty pair vs torch autograd, finite differences, gradcheck; lambda validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, fd_vjp, leaf
from hypothesis import given
from hypothesis import strategies as st

import reference
from handmade import l2_penalty_backward, l2_penalty_forward

SHAPES = [(1, 1), (3, 5), (6, 2), (4,), (2, 3, 2)]


def _check(W: np.ndarray, lam: float, ds: float) -> None:
    s, cache = l2_penalty_forward(W, lam)
    dW = l2_penalty_backward(ds, cache)
    Wt = leaf(W)
    s_t = reference.l2_penalty(Wt, lam)
    (ds * s_t).backward()
    assert s.shape == () and s.dtype == W.dtype and dW.dtype == W.dtype
    assert_close(s, s_t, tensor="s", against="forward")
    assert_close(dW, Wt.grad, tensor="dW", against="autograd")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_autograd(rng, shape, dtype) -> None:
    _check(rng.standard_normal(shape).astype(dtype), 0.3, 1.5)


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_finite_differences(rng, shape) -> None:
    W = rng.standard_normal(shape)
    dW = l2_penalty_backward(2.0, l2_penalty_forward(W, 0.7)[1])
    fd = fd_vjp(l2_penalty_forward, (W, 0.7), 0, np.asarray(2.0))
    assert_close(dW, fd, tensor="dW", against="finite_differences")


@given(shape=st.tuples(st.integers(1, 6), st.integers(1, 6)), seed=st.integers(0, 2**32 - 1),
       lam=st.floats(0, 10), ds=st.floats(-5, 5))
def test_random_shapes_and_values_match_autograd(shape, seed, lam, ds) -> None:
    _check(np.random.default_rng(seed).standard_normal(shape), lam, ds)


def test_gradcheck(rng) -> None:
    f = as_autograd(lambda W: l2_penalty_forward(W, 0.4), l2_penalty_backward)
    assert torch.autograd.gradcheck(f, (leaf(rng.standard_normal((3, 2))),))


def test_zero_lambda_gives_zero_penalty_and_gradient(rng) -> None:
    W = rng.standard_normal((3, 3))
    s, cache = l2_penalty_forward(W, 0.0)
    assert s == 0
    np.testing.assert_array_equal(l2_penalty_backward(1.0, cache), np.zeros_like(W))


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="lam: expected a value >= 0, got -0.1"):
        l2_penalty_forward(np.ones(2), -0.1)
    with pytest.raises(ValueError, match="lam: expected a real scalar, got str"):
        l2_penalty_forward(np.ones(2), "0.1")
    with pytest.raises(ValueError, match="W: expected a float32 or float64 ndarray, got ndarray"):
        l2_penalty_forward(np.ones(2, dtype=np.int32), 0.1)
    with pytest.raises(ValueError, match="ds: expected a finite value, got inf"):
        l2_penalty_backward(np.inf, l2_penalty_forward(np.ones(2), 0.1)[1])
