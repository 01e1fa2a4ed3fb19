"""Softmax over the last axis: handmade vs torch (torch.softmax, nn.Softmax), finite
differences, stability, the Jacobian, and its verify gallery (``PLANTED`` bugs and ``CORRECT``
derivations, run by the gallery tests through tests/_op_gallery.py)."""

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

SHAPES = [(1, 1), (1, 7), (5, 3), (7, 11), (4,), (3, 2, 5)]


def _check_against_torch(x: np.ndarray, dout: np.ndarray) -> None:
    out, cache = handmade.softmax_forward(x)
    dx = handmade.softmax_backward(dout, cache)
    xt = leaf(x)
    reference.softmax(xt).backward(torch.from_numpy(dout))
    assert out.dtype == dx.dtype == x.dtype and out.shape == dx.shape == x.shape
    assert_close(out, reference.softmax(leaf(x, False)), tensor="out", against="forward")
    assert_close(dx, xt.grad, tensor="dx", against="autograd")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_autograd(rng, shape, dtype) -> None:
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    _check_against_torch(x, rng.standard_normal(shape).astype(dtype))


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_finite_differences(rng, shape) -> None:
    x, dout = 3 * rng.standard_normal(shape), rng.standard_normal(shape)
    dx = handmade.softmax_backward(dout, handmade.softmax_forward(x)[1])
    fd = fd_vjp(handmade.softmax_forward, (x,), 0, dout)
    assert_close(dx, fd, tensor="dx", against="finite_differences")


def test_backward_is_the_jacobian_product(rng) -> None:
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    s, cache = handmade.softmax_forward(x)
    jacobians = [np.diag(row) - np.outer(row, row) for row in s]
    expected = np.stack([J.T @ g for J, g in zip(jacobians, dout)])
    assert_close(handmade.softmax_backward(dout, cache), expected, tensor="dx",
                 against="autograd")


def test_stable_at_large_logits() -> None:
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e3, -1e3 - 1, -1e3 - 2]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out, cache = handmade.softmax_forward(x)
        dx = handmade.softmax_backward(np.ones_like(x), cache)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx))
    assert_close(out, reference.softmax(leaf(x, False)), tensor="out", against="forward")


@given(data=st.data(), dtype=st.sampled_from(["f4", "f8"]))
def test_random_shapes_and_values_match_autograd(data, dtype) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=6))
    elements = st.floats(-50, 50, width=32 if dtype == "f4" else 64)
    x = data.draw(hnp.arrays(np.dtype(dtype), shape, elements=elements))
    dout = data.draw(hnp.arrays(np.dtype(dtype), shape, elements=st.floats(-10, 10, width=32)))
    _check_against_torch(x, dout)


def test_gradcheck(rng) -> None:
    pair = as_autograd(handmade.softmax_forward, handmade.softmax_backward)
    assert torch.autograd.gradcheck(pair, (leaf(rng.standard_normal((3, 5))),))


def test_module_matches_torch_module(rng) -> None:
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    mine, theirs = handmade.Softmax(), reference.Softmax(dim=-1)
    xt = leaf(x)
    out_t = theirs(xt)
    out_t.backward(torch.from_numpy(dout))
    assert_close(mine.forward(x), out_t, tensor="out", against="forward")
    assert_close(mine.backward(dout), xt.grad, tensor="dx", against="autograd")
    assert repr(mine) == "Softmax(dim=-1)" and mine.dim == theirs.dim


@pytest.mark.parametrize("dim", [0, 1, True, "-1"])
def test_only_the_last_axis_is_supported(dim) -> None:
    with pytest.raises(ValueError, match=r"^dim: expected -1 \(only the last axis"):
        handmade.Softmax(dim)


def test_bad_input_is_one_line() -> None:
    with pytest.raises(ValueError, match="^x: expected"):
        handmade.softmax_forward(np.array(1.0))
    with pytest.raises(ValueError, match="^cache: expected the SoftmaxCache"):
        handmade.softmax_backward(np.ones(3), handmade.relu_forward(np.ones(3))[1])


def test_verify_passes_the_project_pair() -> None:
    assert comparisons.verify(handmade.softmax_forward, handmade.softmax_backward,
                              "softmax").passed


HEADER = '''from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "softmax"
'''
FORWARD = '''

def forward(x: NDArray) -> tuple[NDArray, Any]:
    """Stable softmax over the last axis."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    s = e / e.sum(axis=-1, keepdims=True)
    return s, s
'''


def _source(doc: str, decls: str, backward: str, forward: str = FORWARD) -> str:
    head = f'"""{doc}"""\n\n{HEADER}{decls}\n{forward}\n\n'
    return f'{head}def backward(dout: NDArray, s: Any) -> Any:\n    """{doc}"""\n{backward}'


PLANTED = {
    "correct_softmax": _source(
        "Correct: dx = s * (dout - sum(dout * s)).", "EXPECT: dict[str, str] = {}",
        "    return s * (dout - (dout * s).sum(axis=-1, keepdims=True))\n"),
    "softmax_diagonal_only": _source(
        "Bug: dx = dout * s * (1 - s), the Jacobian's diagonal only (the cross terms lost).",
        'EXPECT = {"dx": "missing_cross_terms"}', "    return dout * s * (1 - s)\n"),
    "softmax_sum_not_weighted": _source(
        "Bug: dx = s * (dout - sum(dout)): the sum misses its weights s_j.",
        'EXPECT = {"dx": "unknown"}',
        "    return s * (dout - dout.sum(axis=-1, keepdims=True))\n"),
    "softmax_no_derivative": _source(
        "Bug: dx = dout * s, the cross-term sum dropped and s_i kept.",
        'ALSO_WRONG = ("dx",)\nEXPECT: dict[str, str] = {}', "    return dout * s\n"),
}
CORRECT = {
    "softmax_jacobian": _source(
        "dx row by row through the full Jacobian diag(s) - s sᵀ (symmetric).", "",
        "    rows = [(np.diag(r) - np.outer(r, r)) @ g for r, g in zip(s, dout)]\n"
        "    return np.stack(rows)\n"),
    "softmax_einsum": _source(
        "dx = s ⊙ dout − s (s · dout), the dot product by einsum, as lists.", "",
        "    dot = np.einsum('nc,nc->n', s, dout)[:, None]\n"
        "    return (s * dout - s * dot).tolist()\n"),
    "softmax_inplace": _source(
        "dx: dout minus the weighted sum, in place, then times s.", "",
        "    dx = dout.copy()\n    dx -= np.sum(dout * s, axis=1, keepdims=True)\n"
        "    dx *= s\n    return dx\n"),
    "softmax_float32_log_space": _source(
        "float32 run: the forward through log-softmax; the backward as the book writes it.",
        'DTYPE = "float32"',
        "    return s * dout - s * np.sum(s * dout, axis=-1, keepdims=True)\n",
        FORWARD.replace("    s = e / e.sum(axis=-1, keepdims=True)\n",
                        "    s = np.exp(np.log(e) - np.log(e.sum(axis=-1, keepdims=True)))\n")),
}


def test_the_gallery_is_here() -> None:
    assert len(PLANTED) >= 3 and len(CORRECT) >= 4
