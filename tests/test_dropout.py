"""Inverted dropout: gradients with a fixed mask, mask statistics, modes, shared masks, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, fd_vjp, leaf
from hypothesis import given
from hypothesis import strategies as st

import reference
from handmade import Dropout, dropout_backward, dropout_forward, make_dropout_mask

BIG = (400, 500)  # 200k draws: binomial standard error of the kept fraction <= 0.0012
Z = 5.0  # statistical assertions allow Z standard errors


def _check(x: np.ndarray, p: float, mask: np.ndarray, dout: np.ndarray) -> None:
    out, cache = dropout_forward(x, p, mask=mask)
    dx = dropout_backward(dout, cache)
    xt = leaf(x)
    out_t = reference.dropout(xt, p, mask=torch.from_numpy(mask))
    out_t.backward(torch.from_numpy(dout))
    assert_close(out, out_t, tensor="out", against="forward")
    assert_close(dx, xt.grad, tensor="dx", against="autograd")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (2, 7), (3, 2, 4)])
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_matches_autograd_with_a_shared_mask(rng, shape, p, dtype) -> None:
    x, dout = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    _check(x, p, make_dropout_mask(shape, p, rng), dout)


@given(shape=st.tuples(st.integers(1, 6), st.integers(1, 6)), seed=st.integers(0, 2**32 - 1),
       p=st.floats(0.0, 0.99))
def test_random_shapes_and_values_match_autograd(shape, seed, p) -> None:
    g = np.random.default_rng(seed)
    _check(g.standard_normal(shape), p, make_dropout_mask(shape, p, g), g.standard_normal(shape))


def test_matches_finite_differences_and_gradcheck(rng) -> None:
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    mask = make_dropout_mask(x.shape, 0.4, rng)

    def fwd(a):
        return dropout_forward(a, 0.4, mask=mask)

    dx = dropout_backward(dout, fwd(x)[1])
    assert_close(dx, fd_vjp(fwd, (x,), 0, dout), tensor="dx", against="finite_differences")
    assert torch.autograd.gradcheck(as_autograd(fwd, dropout_backward), (leaf(x),))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_kept_fraction_and_mean_are_right(rng, p) -> None:
    n = BIG[0] * BIG[1]
    mask = make_dropout_mask(BIG, p, rng)
    assert mask.dtype == np.bool_
    assert abs(mask.mean() - (1 - p)) <= Z * np.sqrt(p * (1 - p) / n)
    out, _ = dropout_forward(np.ones(BIG), p, rng=rng)
    # each out element is 0 or 1/(1-p): mean 1, variance p/(1-p)
    assert abs(out.mean() - 1.0) <= Z * np.sqrt(p / (1 - p) / n)
    assert set(np.unique(out)) <= {0.0, 1 / (1 - p)}


def test_evaluation_and_p_zero_are_the_identity(rng) -> None:
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for kwargs in ({"p": 0.5, "train": False}, {"p": 0.0}):
        out, cache = dropout_forward(x, rng=rng, **kwargs)
        np.testing.assert_array_equal(out, x)
        np.testing.assert_array_equal(dropout_backward(dout, cache), dout)
        assert cache.mask is None and cache.train == kwargs.get("train", True)


def test_module_uses_its_mask_source_and_remembers_the_mask(rng) -> None:
    layer_rng = np.random.default_rng(7)
    layer = Dropout(0.5, mask_source=lambda shape: layer_rng.random(shape) >= 0.5)
    ref_rng = np.random.default_rng(7)
    twin = reference.Dropout(0.5, mask_source=lambda shape: ref_rng.random(shape) >= 0.5)
    x, dout = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    out = layer(x)
    xt = leaf(x)
    twin(xt).backward(torch.from_numpy(dout))
    np.testing.assert_array_equal(layer.mask, twin.mask.numpy())
    assert_close(out, x * layer.mask / 0.5, tensor="out", against="forward")
    assert_close(layer.backward(dout), xt.grad, tensor="dx", against="autograd")
    layer.eval()
    np.testing.assert_array_equal(layer(x), x)
    assert layer.mask is None


def test_module_with_rng_draws_fresh_masks(rng) -> None:
    layer = Dropout(0.5, rng=rng)
    x = np.ones((20, 20))
    layer(x)
    first = layer.mask
    layer(x)
    assert first is not None and not np.array_equal(first, layer.mask)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_invalid_p_is_rejected(rng, p) -> None:
    with pytest.raises(ValueError, match=r"p: expected a (probability in \[0, 1\]|finite value)"):
        dropout_forward(np.ones(3), p, rng=rng)
    with pytest.raises(ValueError, match=r"p: expected"):
        Dropout(p)
    with pytest.raises(ValueError, match=r"p: expected"):
        reference.dropout(torch.ones(3), p)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_p_one_drops_everything_as_torch_does(rng, dtype) -> None:
    x, dout = rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((4, 3)).astype(dtype)
    torch_out, torch_dx = [], []
    for drop in (torch.nn.Dropout(1.0), lambda t: reference.dropout(t, 1.0),
                 reference.Dropout(1.0)):
        xt = leaf(x)
        out_t = drop(xt)
        out_t.backward(torch.from_numpy(dout))
        torch_out.append(out_t)
        torch_dx.append(xt.grad)
    assert all(bool((t == 0).all()) for t in torch_out + torch_dx)  # torch's convention
    given_mask = make_dropout_mask(x.shape, 0.5, rng)
    for kwargs in ({}, {"rng": rng}, {"mask": given_mask}):
        out, cache = dropout_forward(x, 1.0, **kwargs)
        dx = dropout_backward(dout, cache)
        assert out.dtype == dx.dtype == dtype
        assert_close(out, torch_out[0], tensor="out", against="forward")
        assert_close(dx, torch_dx[0], tensor="dx", against="autograd")
    layer = Dropout(1.0)
    assert_close(layer(x), torch_out[0], tensor="out", against="forward")
    assert_close(layer.backward(dout), torch_dx[0], tensor="dx", against="autograd")
    assert layer.mask is not None and not layer.mask.any()
    assert not make_dropout_mask((50, 50), 1.0, rng).any()
    layer.eval()
    np.testing.assert_array_equal(layer(x), x)  # evaluation is still the identity


@pytest.mark.parametrize("as_number", [lambda m: m.astype(np.float64), lambda m: m.astype(int),
                                       lambda m: m.astype(np.float32)])
def test_a_mask_of_zeros_and_ones_is_a_mask(rng, as_number) -> None:
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    keep = 0.6
    cs231n = (rng.random(x.shape) < keep)  # CS231n: (np.random.rand(*x.shape) < p) / p
    number = as_number(cs231n)
    out, cache = dropout_forward(x, 1 - keep, mask=number)
    dx = dropout_backward(dout, cache)
    assert cache.mask is not None and cache.mask.dtype == np.bool_
    for mask in (number, torch.from_numpy(number), cs231n):
        xt = leaf(x)
        out_t = reference.dropout(xt, 1 - keep, mask=mask)
        out_t.backward(torch.from_numpy(dout))
        assert_close(out, out_t, tensor="out", against="forward")
        assert_close(dx, xt.grad, tensor="dx", against="autograd")
    twin = reference.Dropout(1 - keep, mask_source=lambda shape: number)
    layer = Dropout(1 - keep, mask_source=lambda shape: number)
    xt = leaf(x)
    assert_close(layer(x), twin(xt), tensor="out", against="forward")
    np.testing.assert_array_equal(layer.mask, cs231n)


@pytest.mark.parametrize("value", [0.5, 2.0, float("nan"), -1.0])
def test_a_mask_with_another_value_is_one_line_naming_mask(value) -> None:
    mask = np.array([[1.0, 0.0, value], [0.0, 1.0, 1.0]])
    message = f"mask: expected a bool ndarray or exactly 0s and 1s, got the value {value!r}"
    with pytest.raises(ValueError) as err:
        dropout_forward(np.ones((2, 3)), 0.5, mask=mask)
    assert str(err.value) == message
    with pytest.raises(ValueError) as err:
        reference.dropout(torch.ones(2, 3), 0.5, mask=mask)
    assert str(err.value) == f"mask: expected bool or exactly 0s and 1s, got the value {value!r}"
    with pytest.raises(ValueError, match="^mask: expected bool or exactly 0s and 1s"):
        reference.Dropout(0.5, mask_source=lambda shape: mask)(torch.ones(2, 3))


def test_bad_masks_and_missing_randomness_are_rejected(rng) -> None:
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="mask: expected a bool ndarray or exactly 0s and 1s, "
                                         "got list"):
        dropout_forward(x, 0.5, mask=[[True, False, True]] * 2)
    with pytest.raises(ValueError, match="mask: expected a bool ndarray or exactly 0s and 1s, "
                                         "got complex128"):
        dropout_forward(x, 0.5, mask=np.ones((2, 3), complex))
    with pytest.raises(ValueError, match=r"mask: expected shape \(2, 3\) to match x, got \(3, 2\)"):
        dropout_forward(x, 0.5, mask=np.ones((3, 2), bool))
    with pytest.raises(ValueError, match="mask, rng: expected a mask or an rng while training"):
        dropout_forward(x, 0.5)
    with pytest.raises(ValueError, match="rng: expected a numpy.random.Generator, got int"):
        make_dropout_mask((2, 2), 0.5, 0)
    with pytest.raises(ValueError, match="mask, rng"):
        Dropout(0.5)(x)
