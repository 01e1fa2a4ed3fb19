"""Softmax cross-entropy, MSE and log-RMSE pairs and modules vs torch, FD, gradcheck, extremes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, fd_vjp, leaf
from hypothesis import given
from hypothesis import strategies as st

import handmade as hm
import reference as ref

SHAPES = [(1, 1), (1, 4), (5, 3), (7, 2), (2, 9)]
CLAMP_MARGIN = 1e-4  # log-RMSE predictions this close to 1 are left out of FD checks


def _regression(rng, shape, dtype=np.float64):
    pred = rng.uniform(0.3, 5.0, shape).astype(dtype)  # straddles the clamp at 1
    target = rng.uniform(0.5, 5.0, shape).astype(dtype)
    return pred, target


def _check(fwd, bwd, ref_fn, pred, target, dloss=1.7) -> None:
    loss, cache = fwd(pred, target)
    dpred = bwd(dloss, cache)
    pt = leaf(pred)
    loss_t = ref_fn(pt, torch.from_numpy(target))
    (dloss * loss_t).backward()
    assert loss.shape == () and loss.dtype == pred.dtype
    assert_close(loss, loss_t, tensor="loss", against="forward")
    assert_close(dpred, pt.grad, tensor="dpred", against="autograd")


REGRESSION = {
    "mse": (hm.mse_forward, hm.mse_backward, ref.mse),
    "log_rmse": (hm.log_rmse_forward, hm.log_rmse_backward, ref.log_rmse),
}
CE = (hm.softmax_cross_entropy_forward, hm.softmax_cross_entropy_backward,
      ref.softmax_cross_entropy)


def _classification(rng, n, c, dtype=np.float64, scale=3.0):
    return (scale * rng.standard_normal((n, c))).astype(dtype), rng.integers(0, c, n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_matches_autograd(rng, shape, dtype) -> None:
    _check(*CE, *_classification(rng, *shape, dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(REGRESSION))
def test_regression_losses_match_autograd(rng, name, shape, dtype) -> None:
    _check(*REGRESSION[name], *_regression(rng, shape, dtype))


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_finite_differences(rng, shape) -> None:
    logits, y = _classification(rng, *shape)
    d = hm.softmax_cross_entropy_backward(1.0, hm.softmax_cross_entropy_forward(logits, y)[1])
    fd = fd_vjp(CE[0], (logits, y), 0, np.ones(()))
    assert_close(d, fd, tensor="dlogits", against="finite_differences")
    pred, target = _regression(rng, shape)
    for name, (fwd, bwd, _) in REGRESSION.items():
        ignore = np.abs(pred - 1) < CLAMP_MARGIN
        fd = fd_vjp(fwd, (pred, target), 0, np.ones(()))
        assert_close(bwd(1.0, fwd(pred, target)[1]), fd, tensor=name, against="finite_differences",
                     ignore=ignore)


@given(n=st.integers(1, 6), c=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       scale=st.floats(1e-3, 300.0), dloss=st.floats(-5, 5))
def test_random_cross_entropy_matches_autograd(n, c, seed, scale, dloss) -> None:
    _check(*CE, *_classification(np.random.default_rng(seed), n, c, scale=scale), dloss=dloss)


@given(shape=st.tuples(st.integers(1, 5), st.integers(1, 5)), seed=st.integers(0, 2**32 - 1),
       name=st.sampled_from(list(REGRESSION)), dloss=st.floats(-5, 5))
def test_random_regression_matches_autograd(shape, seed, name, dloss) -> None:
    _check(*REGRESSION[name], *_regression(np.random.default_rng(seed), shape), dloss=dloss)


def test_gradcheck(rng) -> None:
    logits, y = _classification(rng, 4, 3)
    assert torch.autograd.gradcheck(as_autograd(*CE[:2]), (leaf(logits), torch.from_numpy(y)))
    pred, target = _regression(rng, (3, 2))
    pred[np.abs(pred - 1) < 0.1] += 0.3  # off the clamp kink
    for fwd, bwd, _ in REGRESSION.values():
        assert torch.autograd.gradcheck(as_autograd(fwd, bwd), (leaf(pred), leaf(target, False)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_with_logits_near_1e3_is_stable(dtype) -> None:
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -999.0, -1001.0]], dtype=dtype)
    y = np.array([1, 0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, cache = hm.softmax_cross_entropy_forward(logits, y)
        d = hm.softmax_cross_entropy_backward(1.0, cache)
    assert np.isfinite(loss) and np.all(np.isfinite(d))
    _check(*CE, logits, y)


@pytest.mark.parametrize("offset", [-1e-9, 0.0, 1e-9])
def test_log_rmse_near_the_clamp_matches_torch(offset) -> None:
    pred = np.array([1.0 + offset, 3.0, 0.5])
    target = np.array([2.0, 2.5, 1.5])
    _check(*REGRESSION["log_rmse"], pred, target)
    d = hm.log_rmse_backward(1.0, hm.log_rmse_forward(pred, target)[1])
    assert (d[0] == 0) == (offset < 0)  # clamped below 1, passed at and above (torch.clamp)
    assert d[2] == 0


def test_log_rmse_gradient_at_zero_loss_is_zero_not_nan() -> None:
    pred = np.array([2.0, 0.5, 3.0])
    target = np.array([2.0, 1.0, 3.0])  # perfect after the clamp: loss exactly 0
    loss, cache = hm.log_rmse_forward(pred, target)
    assert loss == 0
    np.testing.assert_array_equal(hm.log_rmse_backward(1.0, cache), np.zeros(3))


@pytest.mark.parametrize("name", ["mse", "cross_entropy", "log_rmse"])
def test_modules_match_torch(rng, name) -> None:
    if name == "cross_entropy":
        a, b = _classification(rng, 4, 3)
        mods = hm.CrossEntropyLoss(), ref.CrossEntropyLoss()
    else:
        a, b = _regression(rng, (4, 3))
        mods = (hm.MSELoss(), ref.MSELoss()) if name == "mse" else (hm.LogRMSELoss(),
                                                                    ref.LogRMSELoss())
    loss = mods[0](a, b)
    at = leaf(a)
    loss_t = mods[1](at, torch.from_numpy(b))
    loss_t.backward()
    assert_close(loss, loss_t, tensor="loss", against="forward")
    assert_close(mods[0].backward(), at.grad, tensor="dpred", against="autograd")


def test_float32_stays_float32_even_with_a_float64_seed(rng) -> None:
    pred, target = _regression(rng, (3, 2), np.float32)
    for fwd, bwd, _ in REGRESSION.values():
        loss, cache = fwd(pred, target)
        assert loss.dtype == np.float32
        assert bwd(np.float64(2.0), cache).dtype == np.float32


def test_bad_input_names_the_argument() -> None:
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"y: expected labels in \[0, 4\), got values in \[0, 4\]"):
        hm.softmax_cross_entropy_forward(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match="y: expected an integer ndarray of labels, got ndarray"):
        hm.softmax_cross_entropy_forward(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"y: expected shape \(N,\) with N=3.*got \(2,\)"):
        hm.softmax_cross_entropy_forward(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match="target: expected dtype float64 to match pred, got f"):
        hm.mse_forward(np.ones(3), np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"target: expected shape \(3,\) to match pred, got"):
        hm.mse_forward(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="target: expected all values > 0, got min 0.0"):
        hm.log_rmse_forward(np.ones(3), np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ValueError, match="pred: expected finite values, got 1 NaN/Inf"):
        hm.log_rmse_forward(np.array([1.0, np.nan, 2.0]), np.ones(3))
    _, cache = hm.mse_forward(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="dloss: expected a finite value, got nan"):
        hm.mse_backward(float("nan"), cache)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (64, 1), (5, 3), (333, 1), (1000, 7)])
def test_mse_is_np_mean_bit_for_bit(rng, shape, dtype) -> None:
    # mse_forward computes sum / M instead of np.mean for speed; the values must not move
    # (several draws: a different accumulation order or precision differs in some of them)
    for _ in range(10):
        pred, target = (rng.normal(scale=1e3, size=shape).astype(dtype) for _ in range(2))
        loss, _ = hm.mse_forward(pred, target)
        expected = np.mean((pred - target) ** 2)
        assert loss.dtype == expected.dtype == dtype
        assert loss.tobytes() == np.asarray(expected).tobytes()
