"""maxpool2d and Flatten: handmade vs torch (F.max_pool2d, nn.MaxPool2d, nn.Flatten), torch's
choice at tied maxima, finite differences off the ties, gradcheck, hypothesis, bad input, the
tie rule of verify (any valid split accepted, a duplicated gradient not), and its verify
gallery (``PLANTED`` / ``CORRECT`` from tests/gallery_conv.py).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, fd_vjp, leaf
from gallery_conv import POOL_CORRECT, POOL_PLANTED
from hypothesis import given, settings
from hypothesis import strategies as st

import comparisons
import handmade
import reference
from comparisons.core.ops_conv import MAXPOOL2D, pool_kinks, with_ties

PLANTED, CORRECT = POOL_PLANTED, POOL_CORRECT
# (x shape, kernel_size, stride)
SHAPES = [((1, 1, 4, 4), 2, None), ((3, 5, 7, 11), 3, 2), ((1, 3, 7, 5), (3, 2), (3, 2)),
          ((2, 2, 5, 5), 5, None), ((5, 3, 11, 7), (2, 3), (3, 2)), ((2, 1, 6, 6), 1, 1)]


def _check_against_torch(x, kernel_size, stride, rng) -> None:
    out, cache = handmade.maxpool2d_forward(x, kernel_size, stride)
    dout = rng.standard_normal(out.shape).astype(x.dtype)
    dx = handmade.maxpool2d_backward(dout, cache)
    xt = leaf(x)
    reference.maxpool2d(xt, kernel_size, stride).backward(torch.from_numpy(dout))
    assert out.dtype == dx.dtype == x.dtype
    assert_close(out, reference.maxpool2d(leaf(x, False), kernel_size, stride), tensor="out",
                 against="forward")
    assert_close(dx, xt.grad, tensor="dx", against="autograd")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("shape", "k", "s"), SHAPES)
def test_matches_autograd(rng, shape, k, s, dtype) -> None:
    _check_against_torch(rng.standard_normal(shape).astype(dtype), k, s, rng)


@pytest.mark.parametrize(("shape", "k", "s"), SHAPES)
def test_ties_go_to_the_first_maximum_like_torch(rng, shape, k, s) -> None:
    """Integers in [-1, 1]: most windows hold tied maxima; torch's choice is matched exactly."""
    _check_against_torch(rng.integers(-1, 2, shape).astype(np.float64), k, s, rng)


def test_torchs_tie_choice_is_the_first_in_row_major_order() -> None:
    x = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])
    dx = handmade.maxpool2d_backward(np.ones((1, 1, 1, 1)), handmade.maxpool2d_forward(x, 2)[1])
    xt = leaf(x)
    reference.maxpool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    assert dx.ravel().tolist() == [0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize(("shape", "k", "s"), SHAPES)
def test_matches_finite_differences(rng, shape, k, s) -> None:
    x = rng.standard_normal(shape)  # distinct values: no tie within a step of h
    fwd = partial(handmade.maxpool2d_forward, kernel_size=k, stride=s)
    out, cache = fwd(x)
    dout = rng.standard_normal(out.shape)
    assert_close(handmade.maxpool2d_backward(dout, cache), fd_vjp(fwd, (x,), 0, dout),
                 tensor="dx", against="finite_differences")


def test_gradcheck(rng) -> None:
    fn = as_autograd(partial(handmade.maxpool2d_forward, kernel_size=3, stride=2),
                     handmade.maxpool2d_backward)
    assert torch.autograd.gradcheck(fn, (leaf(rng.standard_normal((2, 3, 7, 9))),))


@settings(max_examples=40, deadline=None)
@given(nc=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       hw=st.tuples(st.integers(1, 9), st.integers(1, 9)),
       k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       s=st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)),
       ties=st.booleans(), seed=st.integers(0, 2**31))
def test_random_shapes_strides_and_ties_match_autograd(nc, hw, k, s, ties, seed) -> None:
    if k[0] > hw[0] or k[1] > hw[1]:
        return
    rng = np.random.default_rng(seed)
    shape = (*nc, *hw)
    x = rng.integers(-1, 2, shape).astype(float) if ties else rng.standard_normal(shape)
    _check_against_torch(x, k, s, rng)


@pytest.mark.parametrize(("args", "match"), [
    ((np.ones((2, 3, 4)), 2), "^x: expected 4-D"),
    ((np.ones((1, 1, 4, 4)), 0), "^kernel_size: expected a positive integer"),
    ((np.ones((1, 1, 4, 4)), (2, 2, 2)), "^kernel_size: expected an int or a pair"),
    ((np.ones((1, 1, 4, 4)), 2, 0), "^stride: expected a positive integer"),
    ((np.ones((1, 1, 4, 4)), 5), r"^kernel_size \(KH\): expected a kernel size <= the padded"),
    ((np.ones((1, 1, 4, 4), int), 2), "^x: expected a float32 or float64"),
])
def test_bad_input_is_one_line_naming_it(args, match) -> None:
    with pytest.raises(ValueError, match=match):
        handmade.maxpool2d_forward(*args)


def test_modules_match_torch_modules(rng) -> None:
    x = rng.standard_normal((2, 3, 7, 9))
    for mine, theirs in ((handmade.MaxPool2d(3, 2), reference.MaxPool2d(3, 2)),
                         (handmade.MaxPool2d((2, 3)), reference.MaxPool2d((2, 3))),
                         (handmade.Flatten(), reference.Flatten())):
        xt = leaf(x)
        out_t = theirs(xt)
        dout = rng.standard_normal(tuple(out_t.shape))
        out_t.backward(torch.from_numpy(dout))
        assert_close(mine.forward(x), out_t, tensor="out", against="forward")
        assert_close(mine.backward(dout), xt.grad, tensor="dx", against="autograd")
    flatten = handmade.Flatten()
    flatten.forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="^dout: expected shape"):
        flatten.backward(np.ones((2, 11)))


def _tied_case(rng):
    case = MAXPOOL2D.kink_cases[0][0]
    inputs = with_ties(MAXPOOL2D.make_inputs(rng, case, np.dtype("float64")))
    out, cache = handmade.maxpool2d_forward(inputs["x"], inputs["kernel_size"], inputs["stride"])
    dout = rng.standard_normal(out.shape)
    return inputs, dout, handmade.maxpool2d_backward(dout, cache)


def test_the_tie_rule_accepts_a_split_and_rejects_a_duplicate(rng) -> None:
    inputs, dout, dx = _tied_case(rng)
    (kink,) = pool_kinks(inputs, dout, {"dx": dx})
    assert kink.mask.sum() == 2 * np.count_nonzero(dx[kink.mask])  # two tied per window
    assert kink.consistent is not None
    half = np.where(kink.mask, kink.one / 2, dx)  # each of the two gets dout / 2
    assert kink.consistent(half, 1e-12)[kink.mask].all()
    duplicated = np.where(kink.mask, kink.one, dx)  # both get the whole dout
    assert not kink.consistent(duplicated, 1e-12)[kink.mask].any()


def test_overlapping_windows_accept_only_torchs_tie_choice(rng) -> None:
    """Where windows overlap the split is not unique: the rule accepts no other choice."""
    inputs = MAXPOOL2D.make_inputs(rng, MAXPOOL2D.cases[0], np.dtype("float64"))
    inputs["x"] = rng.integers(-1, 2, inputs["x"].shape).astype(float)
    out, cache = handmade.maxpool2d_forward(inputs["x"], inputs["kernel_size"], inputs["stride"])
    dout = rng.standard_normal(out.shape)
    dx = handmade.maxpool2d_backward(dout, cache)
    (kink,) = pool_kinks(inputs, dout, {"dx": dx})
    assert kink.mask.any() and not kink.consistent(dx, 1e-12).any()


def test_verify_passes_the_project_pair_with_no_note() -> None:
    """torch's own choice at the ties: passed, and nothing to remark (the gallery's
    maxpool2d_last_tie and maxpool2d_split_ties get the subgradient note)."""
    report = comparisons.verify(handmade.maxpool2d_forward, handmade.maxpool2d_backward,
                                "maxpool2d")
    assert report.passed and not report.gradient("dx").notes, str(report)


def test_the_gallery_is_here() -> None:
    assert len(PLANTED) >= 3 and len(CORRECT) >= 4
