"""ReLU, sigmoid, tanh pairs and modules vs torch, finite differences, gradcheck, extremes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, fd_vjp, leaf
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import handmade
import reference

PAIRS = {
    "relu": (handmade.relu_forward, handmade.relu_backward, reference.relu),
    "sigmoid": (handmade.sigmoid_forward, handmade.sigmoid_backward, reference.sigmoid),
    "tanh": (handmade.tanh_forward, handmade.tanh_backward, reference.tanh),
}
MODULES = {"relu": handmade.ReLU, "sigmoid": handmade.Sigmoid, "tanh": handmade.Tanh}
SHAPES = [(1, 1), (5, 3), (2, 7), (4,), (3, 2, 5)]
KINK_MARGIN = 1e-4  # ReLU inputs this close to 0 are left out of finite-difference checks


def _check_against_torch(name: str, x: np.ndarray, dout: np.ndarray) -> None:
    fwd, bwd, ref = PAIRS[name]
    out, cache = fwd(x)
    dx = bwd(dout, cache)
    xt = leaf(x)
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    assert_close(out, out_t, tensor=f"{name} out", against="forward")
    assert_close(dx, xt.grad, tensor=f"{name} dx", against="autograd")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(PAIRS))
def test_matches_autograd(rng, name, shape, dtype) -> None:
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    _check_against_torch(name, x, rng.standard_normal(shape).astype(dtype))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(PAIRS))
def test_matches_finite_differences(rng, name, shape) -> None:
    fwd, bwd, _ = PAIRS[name]
    x = 3 * rng.standard_normal(shape)
    dout = rng.standard_normal(shape)
    dx = bwd(dout, fwd(x)[1])
    ignore = np.abs(x) < KINK_MARGIN if name == "relu" else None
    fd = fd_vjp(fwd, (x,), 0, dout)
    assert_close(dx, fd, tensor=f"{name} dx", against="finite_differences", ignore=ignore)


@given(data=st.data(), name=st.sampled_from(list(PAIRS)), dtype=st.sampled_from(["f4", "f8"]))
def test_random_shapes_and_values_match_autograd(data, name, dtype) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
    elements = st.floats(-500, 500, width=32 if dtype == "f4" else 64)
    x = data.draw(hnp.arrays(np.dtype(dtype), shape, elements=elements))
    dout = data.draw(hnp.arrays(np.dtype(dtype), shape, elements=st.floats(-10, 10, width=32)))
    _check_against_torch(name, x, dout)


@pytest.mark.parametrize("name", list(PAIRS))
def test_gradcheck(rng, name) -> None:
    fwd, bwd, _ = PAIRS[name]
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 0.1] += 0.5  # keep ReLU inputs off the kink, where FD is meaningless
    assert torch.autograd.gradcheck(as_autograd(fwd, bwd), (leaf(x),))


def test_relu_derivative_at_exactly_zero_is_zero_like_torch() -> None:
    x = np.array([-1.0, -0.0, 0.0, 1.0])
    dx = handmade.relu_backward(np.ones(4), handmade.relu_forward(x)[1])
    xt = leaf(x)
    reference.relu(xt).sum().backward()
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    assert dx[1] == 0 and dx[2] == 0 and dx[3] == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_at_extremes_has_exact_limits_no_warnings_finite_grads(dtype) -> None:
    x = np.array([-1000.0, -300.0, 300.0, 1000.0], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out, cache = handmade.sigmoid_forward(x)
        dx = handmade.sigmoid_backward(np.ones_like(x), cache)
    assert out[0] == 0.0 and out[2] == 1.0 and out[3] == 1.0
    assert 0.0 <= float(out[1]) < 1e-100
    assert np.all(np.isfinite(dx)) and dx[2] == 0.0
    _check_against_torch("sigmoid", x, np.ones_like(x))


def test_tanh_saturates_without_warnings() -> None:
    x = np.array([-1e4, -30.0, 30.0, 1e4])
    with np.errstate(all="raise"):
        out, cache = handmade.tanh_forward(x)
        dx = handmade.tanh_backward(np.ones(4), cache)
    np.testing.assert_array_equal(out, [-1.0, -1.0, 1.0, 1.0])
    np.testing.assert_array_equal(dx, np.zeros(4))


@pytest.mark.parametrize("name", list(PAIRS))
def test_float32_stays_float32(name) -> None:
    fwd, bwd, _ = PAIRS[name]
    out, cache = fwd(np.linspace(-2, 2, 6, dtype=np.float32))
    assert out.dtype == np.float32
    assert bwd(np.ones(6, np.float32), cache).dtype == np.float32


@pytest.mark.parametrize("name", list(PAIRS))
def test_modules_call_the_pairs(rng, name) -> None:
    fwd, bwd, _ = PAIRS[name]
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    m = MODULES[name]()
    assert m.named_parameters() == []
    np.testing.assert_array_equal(m(x), fwd(x)[0])
    np.testing.assert_array_equal(m.backward(dout), bwd(dout, fwd(x)[1]))


def test_module_backward_before_forward_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="call forward first"):
        handmade.ReLU().backward(np.ones(2))


@pytest.mark.parametrize("name", list(PAIRS))
def test_bad_input_names_the_argument(name) -> None:
    fwd, bwd, _ = PAIRS[name]
    with pytest.raises(ValueError, match="x: expected finite values, got 1 NaN/Inf"):
        fwd(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="x: expected a float32 or float64 ndarray, got list"):
        fwd([1.0, 2.0])
    _, cache = fwd(np.ones(3))
    with pytest.raises(ValueError, match=r"dout: expected shape \(3,\).*got \(4,\)"):
        bwd(np.ones(4), cache)
