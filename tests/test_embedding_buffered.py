"""A buffered fancy ``+=`` in a loop (``for n: dW[idx[n]] += dout[n]``, or over idx's columns)
drops the douts of an index repeated within one iteration: ``repeated_index_not_accumulated``
on every seed, not ``localized`` on the seeds whose repeats fall within a row; the correct
embedding backwards still pass on those seeds (no false alarm)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _fd import assert_close
from numpy.typing import NDArray

import comparisons
from comparisons.core.ops_embedding import buffered
from comparisons.core.tolerances import tolerance
from comparisons.verification.diagnose import DiagnosisContext, diagnose

SEEDS = range(8)  # before the buffered candidates, 6 (rows) and 7 (columns) read `localized`


def forward(idx: NDArray[np.int64], W: NDArray[np.float64]) -> tuple[NDArray[Any], Any]:
    return W[idx], (idx, W.shape)


def rows_plus_equals(dout: NDArray[Any], cache: Any) -> NDArray[Any]:
    idx, shape = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    for n in range(idx.shape[0]):
        dW[idx[n]] += dout[n]
    return dW


def columns_plus_equals(dout: NDArray[Any], cache: Any) -> NDArray[Any]:
    idx, shape = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    flat = idx.reshape(idx.shape[0], -1)  # (N,) idx read as (N, 1)
    for t in range(flat.shape[1]):
        dW[flat[:, t]] += dout.reshape(*flat.shape, -1)[:, t]
    return dW


def add_at(dout: NDArray[Any], cache: Any) -> NDArray[Any]:
    idx, shape = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    np.add.at(dW, idx, dout)
    return dW


def rows_add_at(dout: NDArray[Any], cache: Any) -> list[list[float]]:
    """Correct, the buffered loop's shape: np.add.at per row, returned as lists."""
    idx, shape = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    for n in range(idx.shape[0]):
        np.add.at(dW, idx[n], dout[n])
    return dW.tolist()


def matmul(dout: NDArray[Any], cache: Any) -> NDArray[Any]:
    idx, shape = cache
    onehot = (idx.reshape(-1, 1) == np.arange(shape[0])).astype(dout.dtype)
    return onehot.T @ dout.reshape(-1, shape[1])


@pytest.mark.parametrize("backward", [rows_plus_equals, columns_plus_equals])
def test_a_buffered_plus_equals_is_named_on_every_seed(backward: Any) -> None:
    for seed in SEEDS:
        report = comparisons.verify(forward, backward, "embedding", seed=seed)
        wrong = {g.name: g.diagnosis for g in report.gradients if not g.passed}
        assert wrong == {"dW": "repeated_index_not_accumulated"}, f"seed {seed}: {report}"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("backward", [add_at, rows_add_at, matmul])
def test_correct_embedding_backwards_pass_on_the_same_seeds(backward: Any, dtype: str) -> None:
    for seed in SEEDS:
        report = comparisons.verify(forward, backward, "embedding", dtype=dtype, seed=seed)
        assert report.passed, f"seed {seed}: {report}"


def test_buffered_is_the_loop_numpy_runs(rng: np.random.Generator) -> None:
    idx = np.array([[1, 1, 2], [2, 0, 1]])
    dout = rng.standard_normal((2, 3, 4))
    by_rows, by_columns = buffered(idx, dout, (3, 4), 0), buffered(idx, dout, (3, 4), -1)
    # row 1: read twice in idx[0] (one dout kept: the last), once in idx[1]; row 2 once each
    assert_close(by_rows[1], dout[0, 1] + dout[1, 2], tensor="dW", against="autograd")
    assert_close(by_rows[2], dout[0, 2] + dout[1, 0], tensor="dW", against="autograd")
    # by columns every repeat is in a different column, so all douts add up
    full = np.zeros((3, 4))
    np.add.at(full, idx, dout)
    assert_close(by_columns, full, tensor="dW", against="autograd")
    assert_close(rows_plus_equals(dout, (idx, (3, 4))), by_rows, tensor="dW", against="autograd")


def test_a_candidate_may_be_several_ways_of_one_mistake(rng: np.random.Generator) -> None:
    expected, one, other = (rng.standard_normal((3, 4)) for _ in range(3))
    ways = DiagnosisContext(candidates={"repeated_index_not_accumulated": (one, other)})
    found = diagnose(other, expected, name="dW", tol=tolerance("autograd"), context=ways)
    assert found.code == "repeated_index_not_accumulated"
    assert diagnose(one + 1.0, expected, name="dW", tol=tolerance("autograd"),
                    context=ways).code != "repeated_index_not_accumulated"
    wrong = DiagnosisContext(candidates={"repeated_index_not_accumulated": (one, other[:2])})
    with pytest.raises(ValueError, match=r"candidates\['repeated_index_not_accumulated'\]"):
        diagnose(other, expected, name="dW", tol=tolerance("autograd"), context=wrong)
