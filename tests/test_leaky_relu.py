"""Leaky ReLU: handmade vs torch (F.leaky_relu, nn.LeakyReLU), finite differences, the kink at
0, bad slopes, and its verify gallery (``PLANTED`` bugs and ``CORRECT`` derivations, run by the
gallery tests through tests/_op_gallery.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, fd_vjp, leaf
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import comparisons
import handmade
import reference

SHAPES = [(1, 1), (1, 4), (5, 3), (2, 7), (4,), (3, 2, 5)]
SLOPES = [0.01, 0.2, 1.5, -0.3]
KINK_MARGIN = 1e-4  # inputs this close to 0 are left out of finite-difference checks


def _check_against_torch(x: np.ndarray, dout: np.ndarray, slope: float = 0.01) -> None:
    out, cache = handmade.leaky_relu_forward(x, slope)
    dx = handmade.leaky_relu_backward(dout, cache)
    xt = leaf(x)
    reference.leaky_relu(xt, slope).backward(torch.from_numpy(dout))
    assert out.dtype == dx.dtype == x.dtype
    assert_close(out, reference.leaky_relu(leaf(x, False), slope), tensor="out", against="forward")
    assert_close(dx, xt.grad, tensor="dx", against="autograd")


@pytest.mark.parametrize("slope", SLOPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_autograd(rng, shape, dtype, slope) -> None:
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    _check_against_torch(x, rng.standard_normal(shape).astype(dtype), slope)


@pytest.mark.parametrize("slope", SLOPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_finite_differences(rng, shape, slope) -> None:
    x, dout = 3 * rng.standard_normal(shape), rng.standard_normal(shape)
    dx = handmade.leaky_relu_backward(dout, handmade.leaky_relu_forward(x, slope)[1])
    fd = fd_vjp(lambda v: handmade.leaky_relu_forward(v, slope), (x,), 0, dout)
    assert_close(dx, fd, tensor="dx", against="finite_differences",
                 ignore=np.abs(x) < KINK_MARGIN)


@given(data=st.data(), dtype=st.sampled_from(["f4", "f8"]),
       slope=st.floats(-2, 2, allow_nan=False))
def test_random_shapes_values_and_slopes_match_autograd(data, dtype, slope) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
    elements = st.floats(-500, 500, width=32 if dtype == "f4" else 64)
    x = data.draw(hnp.arrays(np.dtype(dtype), shape, elements=elements))
    dout = data.draw(hnp.arrays(np.dtype(dtype), shape, elements=st.floats(-10, 10, width=32)))
    _check_against_torch(x, dout, slope)


def test_gradcheck(rng) -> None:
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 0.1] += 0.5  # off the kink, where finite differences are meaningless
    assert torch.autograd.gradcheck(as_autograd(handmade.leaky_relu_forward,
                                                handmade.leaky_relu_backward), (leaf(x),))


def test_derivative_at_exactly_zero_is_the_slope_like_torch() -> None:
    x = np.array([-1.0, -0.0, 0.0, 1.0])
    dx = handmade.leaky_relu_backward(np.ones(4), handmade.leaky_relu_forward(x, 0.2)[1])
    xt = leaf(x)
    reference.leaky_relu(xt, 0.2).sum().backward()
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    assert list(dx) == [0.2, 0.2, 0.2, 1.0]


def test_module_matches_torch_module(rng) -> None:
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    mine, theirs = handmade.LeakyReLU(0.3), reference.LeakyReLU(0.3)
    xt = leaf(x)
    out_t = theirs(xt)
    out_t.backward(torch.from_numpy(dout))
    assert_close(mine.forward(x), out_t, tensor="out", against="forward")
    assert_close(mine.backward(dout), xt.grad, tensor="dx", against="autograd")
    assert repr(mine) == "LeakyReLU(negative_slope=0.3)"
    assert handmade.LeakyReLU().negative_slope == theirs.__class__().negative_slope == 0.01


@pytest.mark.parametrize("slope", [True, float("nan"), float("inf"), "0.1", None])
def test_a_bad_slope_is_one_line_naming_it(slope) -> None:
    with pytest.raises(ValueError, match="^negative_slope: expected"):
        handmade.leaky_relu_forward(np.ones(3), slope)
    with pytest.raises(ValueError, match="^negative_slope: expected"):
        handmade.LeakyReLU(slope)


def test_backward_wants_its_own_cache() -> None:
    with pytest.raises(ValueError, match="^cache: expected the LeakyReluCache"):
        handmade.leaky_relu_backward(np.ones(3), handmade.relu_forward(np.ones(3))[1])


def test_verify_passes_the_project_pair_and_notes_a_valid_kink_choice() -> None:
    assert comparisons.verify(handmade.leaky_relu_forward, handmade.leaky_relu_backward,
                              "leaky_relu").passed

    def ge_mask(dout, cache):
        return dout * np.where(cache.x >= 0, 1.0, 0.01)

    report = comparisons.verify(handmade.leaky_relu_forward, ge_mask, "leaky_relu")
    (note,) = report.gradient("dx").notes
    assert report.passed and "torch uses 0.01 and you use 1 (dx = dout)" in note


HEADER = '''from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "leaky_relu"
'''
FORWARD = '''

def forward(x: NDArray) -> tuple[NDArray, Any]:
    """x if x > 0 else 0.01 x."""
    return np.where(x > 0, x, 0.01 * x), x
'''


def _source(doc: str, decls: str, backward: str, forward: str = FORWARD) -> str:
    head = f'"""{doc}"""\n\n{HEADER}{decls}\n{forward}\n\n'
    return f'{head}def backward(dout: NDArray, x: Any) -> Any:\n    """{doc}"""\n{backward}'


PLANTED = {
    "correct_leaky_relu": _source(
        "Correct: dx = dout where x > 0, 0.01 dout elsewhere (torch's choice at 0).",
        "EXPECT: dict[str, str] = {}", "    return dout * np.where(x > 0, 1.0, 0.01)\n"),
    "leaky_relu_slope_forgotten": _source(
        "Bug: dx = dout * [x > 0], ReLU's derivative: the slope on the negative side forgotten.",
        'EXPECT = {"dx": "localized"}\n'
        'PATTERN = {"dx": "x < 0 (the negative side: dx = negative_slope · dout there)"}',
        "    return dout * (x > 0)\n"),
    "leaky_relu_no_derivative": _source(
        "Bug: dx = dout, the derivative forgotten.",
        'EXPECT = {"dx": "missing_activation_derivative"}', "    return dout\n"),
    "leaky_relu_kink_zero": _source(
        "Bug: dx = 0 at x == 0, outside [0.01, 1] · dout (the mask x > 0 and the slope x < 0).",
        'EXPECT = {"dx": "localized"}\nPATTERN = {"dx": "x == 0 (leaky ReLU kink)"}',
        "    return dout * np.where(x > 0, 1.0, np.where(x < 0, 0.01, 0.0))\n"),
}
CORRECT = {
    "leaky_relu_np_where": _source(
        "dx = np.where(x > 0, dout, 0.01 * dout): torch's slope at 0.", "",
        "    return np.where(x > 0, dout, 0.01 * dout)\n"),
    "leaky_relu_ge_mask": _source(
        "dx = dout * (1 if x >= 0 else 0.01): slope 1 at the kink, a valid subgradient.",
        'NOTES = ("subgradient_at_kink",)',
        "    return dout * np.where(x >= 0, 1.0, 0.01)\n"),
    "leaky_relu_inplace_copy": _source(
        "dx: a copy of dout scaled in place where x <= 0.", "",
        "    dx = dout.copy()\n    dx[x <= 0] *= 0.01\n    return dx\n"),
    "leaky_relu_float32": _source(
        "float32 run: the slope kept in x's dtype.", 'DTYPE = "float32"',
        "    return dout * np.where(x > 0, np.float32(1), np.float32(0.01))\n",
        FORWARD.replace("0.01 * x", "np.float32(0.01) * x")),
    "leaky_relu_list_return": _source(
        "dx as nested lists, from the maximum/minimum split max(x, 0) + 0.01 min(x, 0).", "",
        "    return (dout * (x > 0) + 0.01 * dout * (x <= 0)).tolist()\n",
        FORWARD.replace("np.where(x > 0, x, 0.01 * x)",
                        "np.maximum(x, 0) + 0.01 * np.minimum(x, 0)")),
}


def test_the_gallery_is_here() -> None:
    assert len(PLANTED) >= 3 and len(CORRECT) >= 4
