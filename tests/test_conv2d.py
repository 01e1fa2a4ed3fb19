"""conv2d: handmade vs torch (F.conv2d, nn.Conv2d), finite differences on awkward shapes,
gradcheck, hypothesis over shapes/stride/padding, bad input, a conv net in Sequential, and its
verify gallery (``PLANTED`` / ``CORRECT`` from tests/gallery_conv.py, run by the gallery tests).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, fd_vjp, leaf
from gallery_conv import CONV_CORRECT, CONV_PLANTED
from hypothesis import given, settings
from hypothesis import strategies as st

import comparisons
import handmade
import reference

PLANTED, CORRECT = CONV_PLANTED, CONV_CORRECT
# (N, C, H, W, F, KH, KW, stride, padding)
SHAPES = [(1, 1, 5, 5, 1, 3, 3, 1, 0), (3, 5, 11, 13, 7, 3, 2, 2, 1), (2, 3, 7, 5, 4, 7, 3, 1, 1),
          (3, 2, 7, 11, 5, 2, 3, 3, 2), (1, 3, 4, 6, 2, 1, 1, 1, 0), (2, 1, 6, 6, 3, 4, 4, 2, 0)]


def _draw(rng, shape, dtype=np.float64):
    n, c, h, w, f, kh, kw, _, _ = shape
    return tuple(rng.standard_normal(s).astype(dtype)
                 for s in ((n, c, h, w), (f, c, kh, kw), (f,)))


def _check_against_torch(x, W, b, stride, padding, rng) -> None:
    out, cache = handmade.conv2d_forward(x, W, b, stride=stride, padding=padding)
    dout = rng.standard_normal(out.shape).astype(x.dtype)
    dx, dW, db = handmade.conv2d_backward(dout, cache)
    xt, Wt, bt = leaf(x), leaf(W), leaf(b)
    reference.conv2d(xt, Wt, bt, stride, padding).backward(torch.from_numpy(dout))
    assert out.dtype == dx.dtype == dW.dtype == db.dtype == x.dtype
    expected = reference.conv2d(leaf(x, False), leaf(W, False), leaf(b, False), stride, padding)
    assert_close(out, expected, tensor="out", against="forward")
    for mine, theirs, name in ((dx, xt, "dx"), (dW, Wt, "dW"), (db, bt, "db")):
        assert_close(mine, theirs.grad, tensor=name, against="autograd")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_autograd(rng, shape, dtype) -> None:
    _check_against_torch(*_draw(rng, shape, dtype), shape[7], shape[8], rng)


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_finite_differences(rng, shape) -> None:
    x, W, b = _draw(rng, shape)
    fwd = partial(handmade.conv2d_forward, stride=shape[7], padding=shape[8])
    out, cache = fwd(x, W, b)
    dout = rng.standard_normal(out.shape)
    for i, grad in enumerate(handmade.conv2d_backward(dout, cache)):
        assert_close(grad, fd_vjp(fwd, (x, W, b), i, dout), tensor=f"grad {i}",
                     against="finite_differences")


def test_without_bias_db_is_none(rng) -> None:
    x, W, _ = _draw(rng, SHAPES[1])
    out, cache = handmade.conv2d_forward(x, W, stride=2, padding=1)
    assert handmade.conv2d_backward(np.ones_like(out), cache)[2] is None
    assert_close(out, reference.conv2d(leaf(x, False), leaf(W, False), None, 2, 1),
                 tensor="out", against="forward")


@pytest.mark.parametrize("shape", SHAPES[1:4])
def test_gradcheck(rng, shape) -> None:
    x, W, b = _draw(rng, shape)
    fn = as_autograd(partial(handmade.conv2d_forward, stride=shape[7], padding=shape[8]),
                     handmade.conv2d_backward)
    assert torch.autograd.gradcheck(fn, (leaf(x), leaf(W), leaf(b)))


@settings(max_examples=40, deadline=None)
@given(dims=st.tuples(*[st.integers(1, 4)] * 3), hw=st.tuples(st.integers(1, 9), st.integers(1, 9)),
       k=st.tuples(st.integers(1, 4), st.integers(1, 4)), stride=st.integers(1, 3),
       padding=st.integers(0, 2), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**31))
def test_random_shapes_strides_and_paddings_match_autograd(dims, hw, k, stride, padding, dtype,
                                                           seed) -> None:
    n, c, f = dims
    if k[0] > hw[0] + 2 * padding or k[1] > hw[1] + 2 * padding:
        return
    rng = np.random.default_rng(seed)
    shape = (n, c, *hw, f, *k, stride, padding)
    _check_against_torch(*_draw(rng, shape, dtype), stride, padding, rng)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"x": np.ones((2, 3, 4))}, "^x: expected 4-D"),
    ({"W": np.ones((2, 2, 3, 3))}, "^W: expected shape"),
    ({"b": np.ones(3)}, "^b: expected shape"),
    ({"stride": 0}, "^stride: expected a positive integer"),
    ({"stride": 1.5}, "^stride: expected a positive integer"),
    ({"padding": -1}, "^padding: expected an integer >= 0"),
    ({"padding": True}, "^padding: expected an integer >= 0"),
    ({"W": np.ones((2, 3, 8, 3))}, r"^W \(KH\): expected a kernel size <= the padded input"),
    ({"W": np.ones((2, 3, 3, 3), np.float32)}, "^W: expected"),
])
def test_bad_input_is_one_line_naming_it(kwargs, match) -> None:
    args = {"x": np.ones((1, 3, 5, 5)), "W": np.ones((2, 3, 3, 3)), "b": np.ones(2),
            "stride": 1, "padding": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        handmade.conv2d_forward(args.pop("x"), args.pop("W"), args.pop("b"), **args)


def test_backward_wants_its_own_cache() -> None:
    with pytest.raises(ValueError, match="^cache: expected the Conv2dCache"):
        handmade.conv2d_backward(np.ones(3), handmade.relu_forward(np.ones(3))[1])


def test_module_initialises_like_torch_and_matches_it(rng) -> None:
    mine = handmade.Conv2d(3, 4, (3, 2), stride=2, padding=1, rng=rng)
    theirs = reference.Conv2d(3, 4, (3, 2), stride=2, padding=1).double()
    bound = 1 / np.sqrt(3 * 3 * 2)
    assert np.abs(mine.weight.data).max() <= bound and np.abs(mine.bias.data).max() <= bound
    assert np.abs(theirs.weight.detach().numpy()).max() <= bound
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert handmade.Conv2d(3, 4, 3, rng=rng, dtype=np.float32).weight.dtype == np.float32
    assert handmade.Conv2d(3, 4, 3, bias=False, rng=rng).bias is None
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(mine.weight.data))
        theirs.bias.copy_(torch.from_numpy(mine.bias.data))
    x = rng.standard_normal((2, 3, 7, 6))
    xt = leaf(x)
    out_t = theirs(xt)
    dout = rng.standard_normal(tuple(out_t.shape))
    out_t.backward(torch.from_numpy(dout))
    assert_close(mine.forward(x), out_t, tensor="out", against="forward")
    assert_close(mine.backward(dout), xt.grad, tensor="dx", against="autograd")
    assert_close(mine.weight.grad, theirs.weight.grad, tensor="dW", against="autograd")
    assert_close(mine.bias.grad, theirs.bias.grad, tensor="db", against="autograd")


def test_a_conv_net_in_sequential_matches_torch_nn(rng) -> None:
    """Conv2d, ReLU, MaxPool2d, Flatten, Linear: every gradient as torch.nn's."""
    mine = handmade.Sequential(handmade.Conv2d(1, 4, 3, padding=1, rng=rng), handmade.ReLU(),
                               handmade.MaxPool2d(2), handmade.Flatten(),
                               handmade.Linear(4 * 4 * 4, 3, rng=rng))
    theirs = torch.nn.Sequential(reference.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
                                 reference.MaxPool2d(2), reference.Flatten(),
                                 torch.nn.Linear(4 * 4 * 4, 3)).double()
    theirs.load_state_dict({k: torch.from_numpy(p.data) for k, p in mine.named_parameters()})
    x = rng.standard_normal((5, 1, 8, 8))
    xt = leaf(x)
    out_t = theirs(xt)
    dout = rng.standard_normal(tuple(out_t.shape))
    out_t.backward(torch.from_numpy(dout))
    assert_close(mine.forward(x), out_t, tensor="out", against="forward")
    assert_close(mine.backward(dout), xt.grad, tensor="dx", against="autograd")
    for (name, p), (_, q) in zip(mine.named_parameters(), theirs.named_parameters(), strict=True):
        assert_close(p.grad, q.grad, tensor=name, against="autograd")


def test_verify_passes_the_project_pair() -> None:
    report = comparisons.verify(handmade.conv2d_forward, handmade.conv2d_backward, "conv2d")
    assert report.passed, str(report)


def test_the_gallery_is_here() -> None:
    assert len(PLANTED) >= 3 and len(CORRECT) >= 4
