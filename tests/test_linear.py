"""linear_forward/linear_backward and Linear vs torch autograd, finite differences, gradcheck;
Linear's sizes and every handmade backward's cache check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, fd_vjp, leaf
from hypothesis import given
from hypothesis import strategies as st

import handmade as hm
import reference
from handmade import Linear, linear_backward, linear_forward

SHAPES = [(1, 3, 2), (5, 4, 4), (7, 2, 6), (3, 1, 1), (2, 6, 3)]  # (N, D_in, D_out)


def _inputs(rng: np.random.Generator, n: int, d_in: int, d_out: int, dtype=np.float64):
    x = rng.standard_normal((n, d_in)).astype(dtype)
    W = rng.standard_normal((d_out, d_in)).astype(dtype)
    b = rng.standard_normal(d_out).astype(dtype)
    dout = rng.standard_normal((n, d_out)).astype(dtype)
    return x, W, b, dout


def _check_against_torch(x, W, b, dout) -> None:
    out, cache = linear_forward(x, W, b)
    dx, dW, db = linear_backward(dout, cache)
    xt, Wt = leaf(x), leaf(W)
    bt = None if b is None else leaf(b)
    out_t = reference.linear(xt, Wt, bt)
    out_t.backward(torch.from_numpy(dout))
    assert_close(out, out_t, tensor="out", against="forward")
    assert_close(dx, xt.grad, tensor="dx", against="autograd")
    assert_close(dW, Wt.grad, tensor="dW", against="autograd")
    if b is None:
        assert db is None
    else:
        assert_close(db, bt.grad, tensor="db", against="autograd")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_autograd(rng, shape, bias, dtype) -> None:
    x, W, b, dout = _inputs(rng, *shape, dtype=dtype)
    _check_against_torch(x, W, b if bias else None, dout)


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_finite_differences(rng, shape) -> None:
    x, W, b, dout = _inputs(rng, *shape)
    _, cache = linear_forward(x, W, b)
    grads = linear_backward(dout, cache)
    for i, name in enumerate(["dx", "dW", "db"]):
        fd = fd_vjp(linear_forward, (x, W, b), i, dout)
        assert_close(grads[i], fd, tensor=name, against="finite_differences")


@given(n=st.integers(1, 6), d_in=st.integers(1, 6), d_out=st.integers(1, 6),
       seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-3, 10.0), bias=st.booleans())
def test_random_shapes_and_values_match_autograd(n, d_in, d_out, seed, scale, bias) -> None:
    x, W, b, dout = _inputs(np.random.default_rng(seed), n, d_in, d_out)
    _check_against_torch(x * scale, W, b if bias else None, dout)


def test_gradcheck(rng) -> None:
    x, W, b, _ = _inputs(rng, 3, 4, 2)
    f = as_autograd(linear_forward, linear_backward)
    assert torch.autograd.gradcheck(f, (leaf(x), leaf(W), leaf(b)))


def test_float32_stays_float32(rng) -> None:
    x, W, b, dout = _inputs(rng, 2, 3, 4, dtype=np.float32)
    out, cache = linear_forward(x, W, b)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in linear_backward(dout, cache))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.ones((2, 3)), np.ones((4, 5))),
         r"W: expected shape \(D_out, D_in\) with D_in=3 to match x, got \(4, 5\)"),
        ((np.ones((2, 3)), np.ones((4, 3)), np.ones(5)), r"b: expected shape \(D_out,\).*\(5,\)"),
        ((np.ones(3), np.ones((4, 3))), r"x: expected 2-D array, got 1-D"),
        ((np.ones((2, 3), np.float32), np.ones((4, 3))), r"W: expected dtype float32 .* float64"),
        ((np.ones((2, 3), int), np.ones((4, 3))), r"x: expected a float32 or float64 .*int64"),
        ((np.full((2, 3), np.nan), np.ones((4, 3))), r"x: expected finite values, got 6 NaN"),
    ],
)
def test_bad_input_names_the_argument(args, match) -> None:
    with pytest.raises(ValueError, match=match):
        linear_forward(*args)


def test_bad_dout_names_it(rng) -> None:
    _, cache = linear_forward(np.ones((2, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"dout: expected shape \(2, 4\).*got \(4, 2\)"):
        linear_backward(np.ones((4, 2)), cache)
    with pytest.raises(ValueError, match=r"dout: expected dtype float64.*float32"):
        linear_backward(np.ones((2, 4), np.float32), cache)


def test_module_matches_torch_linear_and_overwrites_grads(rng) -> None:
    layer = Linear(3, 2, rng=rng)
    ref = reference.Linear(3, 2, dtype=torch.float64)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x, _, _, dout = _inputs(rng, 4, 3, 2)
    xt = leaf(x)
    ref(xt).backward(torch.from_numpy(dout))
    for _ in range(2):  # a second backward must overwrite, not accumulate
        layer(x)
        dx = layer.backward(dout)
    assert [n for n, _ in layer.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert_close(dx, xt.grad, tensor="dx", against="autograd")
    assert_close(layer.weight.grad, ref.weight.grad, tensor="weight", against="autograd")
    assert_close(layer.bias.grad, ref.bias.grad, tensor="bias", against="autograd")


@pytest.mark.parametrize("init", ["torch", "xavier_uniform", "xavier_normal", "normal"])
def test_module_init_options_and_dtype(init) -> None:
    layer = Linear(5, 3, rng=np.random.default_rng(1), init=init, dtype=np.float32)
    assert layer.weight.shape == (3, 5) and layer.weight.dtype == np.float32
    assert layer.bias.shape == (3,)
    assert np.all(layer.weight.data != 0)


def test_module_without_bias_and_bad_init(rng) -> None:
    layer = Linear(2, 3, bias=False, rng=rng)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(ValueError, match="init: expected one of"):
        Linear(2, 3, rng=rng, init="kaiming")


@pytest.mark.parametrize("bias", [True, False])
def test_backward_without_input_grad_skips_only_dx(rng, bias) -> None:
    x, W = rng.standard_normal((1, 5)), rng.standard_normal((3, 5))
    b = rng.standard_normal(3) if bias else None
    dout = rng.standard_normal((1, 3))
    _, cache = linear_forward(x, W, b)
    full = linear_backward(dout, cache)
    dx, dW, db = linear_backward(dout, cache, input_grad=False)
    assert dx is None
    np.testing.assert_array_equal(dW, full[1])
    assert (db is None) == (not bias) and (db is None or np.array_equal(db, full[2]))
    layer = Linear(5, 3, bias=bias, rng=rng)
    layer(x)
    assert layer.backward(dout, input_grad=False) is None and layer.weight.grad.shape == (3, 5)
    with pytest.raises(ValueError, match="dout"):
        layer.backward(dout[:, :2], input_grad=False)


@pytest.mark.parametrize("kwargs, name, given", [
    ({"in_features": 2.5, "out_features": 3}, "in_features", "2.5"),
    ({"in_features": 2, "out_features": 3.0}, "out_features", "3.0"),
    ({"in_features": True, "out_features": 3}, "in_features", "True"),
    ({"in_features": 2, "out_features": 0}, "out_features", "0"),
    ({"in_features": -4, "out_features": 3}, "in_features", "-4"),
    ({"in_features": "2", "out_features": 3}, "in_features", "'2'"),
])
def test_module_sizes_must_be_positive_integers(rng, kwargs, name, given) -> None:
    with pytest.raises(ValueError) as err:
        Linear(**kwargs, rng=rng)
    assert str(err.value) == f"{name}: expected a positive integer, got {given}"


def test_module_sizes_may_be_numpy_integers(rng) -> None:
    layer = Linear(np.int64(4), np.int32(3), rng=rng)
    assert (layer.in_features, layer.out_features) == (4, 3)
    assert layer.weight.shape == (3, 4)


def _backward_pairs(rng):
    """Every handmade backward with an upstream gradient it accepts, and its cache's names."""
    x = rng.standard_normal((3, 2))
    return [
        (hm.linear_backward, x, "LinearCache", "linear_forward"),
        (hm.relu_backward, x, "ReluCache", "relu_forward"),
        (hm.sigmoid_backward, x, "SigmoidCache", "sigmoid_forward"),
        (hm.tanh_backward, x, "TanhCache", "tanh_forward"),
        (hm.dropout_backward, x, "DropoutCache", "dropout_forward"),
        (hm.mse_backward, 1.0, "MSECache", "mse_forward"),
        (hm.log_rmse_backward, 1.0, "LogRMSECache", "log_rmse_forward"),
        (hm.softmax_cross_entropy_backward, 1.0, "CrossEntropyCache",
         "softmax_cross_entropy_forward"),
        (hm.l2_penalty_backward, 1.0, "L2Cache", "l2_penalty_forward"),
        (hm.two_layer_backward, 1.0, "TwoLayerCache", "two_layer_forward"),
    ]


@pytest.mark.parametrize("cache, kind", [(None, "NoneType"), ((1, 2, 3), "tuple"),
                                         ("cache", "str")])
def test_every_backward_names_a_wrong_cache(rng, cache, kind) -> None:
    for backward, upstream, cls, forward in _backward_pairs(rng):
        with pytest.raises(ValueError) as err:
            backward(upstream, cache)
        assert str(err.value) == f"cache: expected the {cls} returned by {forward}, got {kind}"
