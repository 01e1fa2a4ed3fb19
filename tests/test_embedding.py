"""Embedding: handmade vs torch (F.embedding, nn.Embedding), finite differences, repeated
indices, bad indices, and its verify gallery (``PLANTED`` bugs and ``CORRECT`` derivations, run
by the gallery tests through tests/_op_gallery.py)."""

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

# (idx shape, V, D): every idx below holds repeated indices (V < idx.size, or forced)
SHAPES = [((7,), 5, 3), ((5, 3), 11, 7), ((1, 4), 3, 1), ((3, 2, 5), 4, 2), ((), 3, 5)]


def _indices(rng: np.random.Generator, shape: tuple[int, ...], v: int) -> np.ndarray:
    idx = rng.integers(0, v, size=shape)
    if idx.size > 1:
        idx.reshape(-1)[-1] = idx.reshape(-1)[0]  # a repeat, always
    return idx


def _check_against_torch(idx: np.ndarray, W: np.ndarray, dout: np.ndarray) -> None:
    out, cache = handmade.embedding_forward(idx, W)
    dW = handmade.embedding_backward(dout, cache)
    Wt = leaf(W)
    reference.embedding(torch.from_numpy(idx), Wt).backward(torch.from_numpy(dout))
    assert out.shape == (*idx.shape, W.shape[1]) and out.dtype == dW.dtype == W.dtype
    assert_close(out, reference.embedding(torch.from_numpy(idx), leaf(W, False)), tensor="out",
                 against="forward")
    assert_close(dW, Wt.grad, tensor="dW", against="autograd")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("shape", "v", "d"), SHAPES)
def test_matches_autograd(rng, shape, v, d, dtype) -> None:
    idx = _indices(rng, shape, v)
    W = rng.standard_normal((v, d)).astype(dtype)
    _check_against_torch(idx, W, rng.standard_normal((*shape, d)).astype(dtype))


@pytest.mark.parametrize(("shape", "v", "d"), SHAPES)
def test_matches_finite_differences(rng, shape, v, d) -> None:
    idx, W = _indices(rng, shape, v), rng.standard_normal((v, d))
    dout = rng.standard_normal((*shape, d))
    dW = handmade.embedding_backward(dout, handmade.embedding_forward(idx, W)[1])
    fd = fd_vjp(lambda w: handmade.embedding_forward(idx, w), (W,), 0, dout)
    assert_close(dW, fd, tensor="dW", against="finite_differences")


def test_repeated_indices_accumulate() -> None:
    W = np.zeros((3, 2))
    idx = np.array([2, 0, 2, 2])
    dout = np.arange(8.0).reshape(4, 2)
    dW = handmade.embedding_backward(dout, handmade.embedding_forward(idx, W)[1])
    np.testing.assert_array_equal(dW[2], dout[0] + dout[2] + dout[3])
    np.testing.assert_array_equal(dW[1], [0.0, 0.0])  # an unused row


@given(data=st.data(), dtype=st.sampled_from(["f4", "f8"]))
def test_random_shapes_and_indices_match_autograd(data, dtype) -> None:
    v = data.draw(st.integers(1, 6))
    d = data.draw(st.integers(1, 4))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=5))
    idx = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(0, v - 1)))
    W = data.draw(hnp.arrays(np.dtype(dtype), (v, d), elements=st.floats(-100, 100, width=32)))
    dout = data.draw(hnp.arrays(np.dtype(dtype), (*shape, d),
                                elements=st.floats(-10, 10, width=32)))
    _check_against_torch(idx, W, dout)


def test_gradcheck(rng) -> None:
    idx = _indices(rng, (4, 3), 5)
    pair = as_autograd(lambda w: handmade.embedding_forward(idx, w), handmade.embedding_backward)
    assert torch.autograd.gradcheck(pair, (leaf(rng.standard_normal((5, 3))),))


def test_module_matches_torch_module(rng) -> None:
    mine = handmade.Embedding(6, 4, rng=rng)
    theirs = reference.Embedding(6, 4, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(mine.weight.data))
    idx = _indices(rng, (3, 5), 6)
    dout = rng.standard_normal((3, 5, 4))
    out_t = theirs(torch.from_numpy(idx))
    out_t.backward(torch.from_numpy(dout))
    assert_close(mine.forward(idx), out_t, tensor="out", against="forward")
    assert mine.backward(dout) is None
    assert_close(mine.weight.grad, theirs.weight.grad, tensor="dW", against="autograd")
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(mine) == "Embedding(6, 4)"


def test_same_seed_same_weights() -> None:
    a = handmade.Embedding(5, 3, rng=np.random.default_rng(4), dtype=np.float32).weight.data
    b = handmade.Embedding(5, 3, rng=np.random.default_rng(4), dtype=np.float32).weight.data
    assert a.dtype == np.float32 and a.tobytes() == b.tobytes()


@pytest.mark.parametrize(("idx", "match"), [
    (np.array([0.0, 1.0]), "^idx: expected an integer ndarray, got float64$"),
    (np.array([True, False]), "^idx: expected an integer ndarray, got bool$"),
    ([0, 1], "^idx: expected an integer ndarray, got list$"),
    (np.array([0, 3]), r"^idx: expected values in \[0, 3\), got 3$"),
    (np.array([[-1, 0]]), r"^idx: expected values in \[0, 3\), got -1$"),
])
def test_bad_indices_are_one_line_naming_idx(idx, match) -> None:
    with pytest.raises(ValueError, match=match):
        handmade.embedding_forward(idx, np.zeros((3, 2)))


def test_bad_sizes_and_dout() -> None:
    with pytest.raises(ValueError, match="^num_embeddings: expected"):
        handmade.Embedding(0, 3, rng=np.random.default_rng(0))
    cache = handmade.embedding_forward(np.array([0, 1]), np.zeros((3, 2)))[1]
    with pytest.raises(ValueError, match="^dout: expected shape"):
        handmade.embedding_backward(np.zeros((2, 3)), cache)


def test_verify_passes_the_project_pair_and_every_case_repeats_an_index() -> None:
    assert comparisons.verify(handmade.embedding_forward, handmade.embedding_backward,
                              "embedding").passed
    decl = comparisons.core.builtin_ops.DECLARATIONS["embedding"]
    for case in decl.cases:
        idx = decl.make_inputs(np.random.default_rng(0), case, np.dtype(np.float64))["idx"]
        counts = np.bincount(idx.reshape(-1), minlength=case.dims["V"])
        assert counts.max() > 1 and (counts > 1).sum() <= case.dims["V"] / 2
        assert counts.min() == 0  # an unused row: its dW must stay 0


def _backward_for_2d_idx(dout, cache):
    """Right for idx (N, T) only: it indexes idx.shape[1]."""
    idx, shape = cache
    dW = np.zeros(shape)
    for n in range(idx.shape[0]):
        for t in range(idx.shape[1]):
            dW[idx[n, t]] += dout[n, t]
    return dW


def test_verify_tries_a_one_dimensional_idx() -> None:
    def forward(idx, W):
        return W[idx], (idx, W.shape)

    report = comparisons.verify(forward, _backward_for_2d_idx, "embedding")
    assert not report.passed and "case idx (N,)" in report.error
    decl = comparisons.core.builtin_ops.DECLARATIONS["embedding"]
    (case, flatten), = decl.layout_cases
    idx = flatten(decl.make_inputs(np.random.default_rng(0), case, np.dtype(np.float64)))["idx"]
    assert idx.ndim == 1 and np.bincount(idx).max() > 1


HEADER = '''from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "embedding"
'''
FORWARD = '''

def forward(idx: NDArray, W: NDArray) -> tuple[NDArray, Any]:
    """out = W[idx]."""
    return W[idx], (idx, W.shape)
'''


def _source(doc: str, decls: str, backward: str, forward: str = FORWARD) -> str:
    head = f'"""{doc}"""\n\n{HEADER}{decls}\n{forward}\n\n'
    return f'{head}def backward(dout: NDArray, cache: Any) -> Any:\n    """{doc}"""\n' \
           f'    idx, shape = cache\n{backward}'


PLANTED = {
    "correct_embedding": _source(
        "Correct: dW = zeros; np.add.at(dW, idx, dout).", "EXPECT: dict[str, str] = {}",
        "    dW = np.zeros(shape, dtype=dout.dtype)\n    np.add.at(dW, idx, dout)\n"
        "    return dW\n"),
    "embedding_assignment": _source(
        "Bug: dW[idx] = dout, an assignment: a repeated index keeps one dout.",
        'EXPECT = {"dW": "repeated_index_not_accumulated"}',
        "    dW = np.zeros(shape, dtype=dout.dtype)\n    dW[idx] = dout\n    return dW\n"),
    "embedding_loop_assignment": _source(
        "Bug: a loop assigning dW[idx[p]] = dout[p]: the last position wins where one repeats.",
        'EXPECT = {"dW": "repeated_index_not_accumulated"}',
        "    dW = np.zeros(shape, dtype=dout.dtype)\n    flat = dout.reshape(-1, shape[1])\n"
        "    for p, v in enumerate(idx.reshape(-1)):\n        dW[v] = flat[p]\n    return dW\n"),
    "embedding_first_wins": _source(
        "Bug: the first position wins (reversed assignment): wrong exactly at repeated rows.",
        'EXPECT = {"dW": "localized"}\n'
        'PATTERN = {"dW": "rows v of dW whose index repeats in idx (dW[v] = the sum of every '
        'dout that read it)"}',
        "    dW = np.zeros(shape, dtype=dout.dtype)\n    flat = dout.reshape(-1, shape[1])\n"
        "    dW[idx.reshape(-1)[::-1]] = flat[::-1]\n    return dW\n"),
    "embedding_fancy_plus_equals": _source(
        "Bug: dW[idx[n]] += dout[n] per row: a buffered fancy +=, a repeat within a row lost.",
        'EXPECT = {"dW": "repeated_index_not_accumulated"}',
        "    dW = np.zeros(shape, dtype=dout.dtype)\n    for n in range(idx.shape[0]):\n"
        "        dW[idx[n]] += dout[n]\n    return dW\n"),
}
CORRECT = {
    "embedding_loop_accumulate": _source(
        "dW accumulated in a Python loop over positions.", "",
        "    dW = np.zeros(shape, dtype=dout.dtype)\n    flat = dout.reshape(-1, shape[1])\n"
        "    for p, v in enumerate(idx.reshape(-1)):\n        dW[v] += flat[p]\n    return dW\n"),
    "embedding_one_hot": _source(
        "dW = onehot(idx)ᵀ dout, the lookup as a matrix product.", "",
        "    onehot = np.eye(shape[0], dtype=dout.dtype)[idx.reshape(-1)]\n"
        "    return onehot.T @ dout.reshape(-1, shape[1])\n"),
    "embedding_bincount": _source(
        "dW column by column with np.bincount's weights, as lists.", "",
        "    flat = dout.reshape(-1, shape[1])\n"
        "    cols = [np.bincount(idx.reshape(-1), flat[:, d], shape[0]) for d in range(shape[1])]\n"
        "    return np.stack(cols, axis=1).tolist()\n"),
    "embedding_float32": _source(
        "float32 run: np.add.at into a table of dout's dtype.", 'DTYPE = "float32"',
        "    dW = np.zeros(shape, dtype=np.float32)\n    np.add.at(dW, idx, dout)\n"
        "    return dW\n"),
}


def test_the_gallery_is_here() -> None:
    assert len(PLANTED) >= 3 and len(CORRECT) >= 4


def test_embedding_then_softmax_in_sequential_matches_torch(rng) -> None:
    mine = handmade.Sequential(handmade.Embedding(5, 3, rng=rng), handmade.Softmax())
    theirs = reference.Sequential(reference.Embedding(5, 3, dtype=torch.float64),
                                  reference.Softmax(dim=-1))
    with torch.no_grad():
        theirs[0].weight.copy_(torch.from_numpy(mine[0].weight.data))
    idx, dout = _indices(rng, (4, 2), 5), rng.standard_normal((4, 2, 3))
    out_t = theirs(torch.from_numpy(idx))
    out_t.backward(torch.from_numpy(dout))
    assert_close(mine.forward(idx), out_t, tensor="out", against="forward")
    assert mine.backward(dout) is None
    assert_close(mine[0].weight.grad, theirs[0].weight.grad, tensor="dW", against="autograd")
