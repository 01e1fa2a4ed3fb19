"""The multiclass hinge (SVM) loss: handmade vs a plain-torch twin and nn.MultiMarginLoss (×C),
finite differences, the kink at a margin exactly 0, bad input, and its verify gallery
(``PLANTED`` bugs and ``CORRECT`` derivations, run by the gallery tests through
tests/_op_gallery.py)."""

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
from comparisons.core.builtin_ops import DECLARATIONS

SHAPES = [(1, 3), (5, 7), (7, 11), (3, 1), (4, 2)]
KINK_MARGIN = 1e-4  # rows with a margin this close to 0 are left out of finite differences


def _check_against_torch(s: np.ndarray, y: np.ndarray, dloss: float = 1.0,
                         margin: float = 1.0) -> None:
    loss, cache = handmade.multiclass_hinge_forward(s, y, margin=margin)
    ds = handmade.multiclass_hinge_backward(dloss, cache)
    st_ = leaf(s)
    (reference.multiclass_hinge(st_, torch.from_numpy(y), margin) * dloss).backward()
    assert loss.shape == () and loss.dtype == ds.dtype == s.dtype and ds.shape == s.shape
    assert_close(loss, reference.multiclass_hinge(leaf(s, False), torch.from_numpy(y), margin),
                 tensor="loss", against="forward")
    ignore = None
    margins = s - s[np.arange(len(y)), y][:, None] + margin
    margins[np.arange(len(y)), y] = -1.0
    if np.any(margins == 0):  # torch takes slope 1 at the kink, handmade 0: both valid
        ignore = np.broadcast_to((margins == 0).any(axis=1)[:, None], s.shape)
    assert_close(ds, st_.grad, tensor="dscores", against="autograd", ignore=ignore)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_autograd(rng, shape, dtype) -> None:
    s = rng.standard_normal(shape).astype(dtype)
    _check_against_torch(s, rng.integers(0, shape[1], shape[0]), 1.7)


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_finite_differences(rng, shape) -> None:
    s, y = rng.standard_normal(shape), rng.integers(0, shape[1], shape[0])
    ds = handmade.multiclass_hinge_backward(1.0, handmade.multiclass_hinge_forward(s, y)[1])
    fd = fd_vjp(lambda v: handmade.multiclass_hinge_forward(v, y), (s,), 0, np.array(1.0))
    margins = s - s[np.arange(len(y)), y][:, None] + 1
    near = (np.abs(margins) < KINK_MARGIN).any(axis=1)
    assert_close(ds, fd, tensor="dscores", against="finite_differences",
                 ignore=np.broadcast_to(near[:, None], s.shape))


def test_counts_rows_with_no_and_several_active_margins() -> None:
    s = np.array([[5.0, 0.0, 0.0], [-5.0, 0.0, 0.3]])
    y = np.array([0, 0])
    loss, cache = handmade.multiclass_hinge_forward(s, y)
    ds = handmade.multiclass_hinge_backward(1.0, cache)
    assert float(loss) == pytest.approx((0 + 6.0 + 6.3) / 2)
    np.testing.assert_array_equal(ds, [[0.0, 0.0, 0.0], [-1.0, 0.5, 0.5]])


def test_is_torch_multimarginloss_times_c(rng) -> None:
    s, y = rng.standard_normal((5, 7)), rng.integers(0, 7, 5)
    ours = handmade.multiclass_hinge_forward(s, y)[0]
    theirs = torch.nn.MultiMarginLoss()(torch.from_numpy(s), torch.from_numpy(y)) * 7
    assert_close(ours, theirs, tensor="loss", against="forward")


def test_at_a_margin_exactly_zero_the_slope_is_zero_and_torch_takes_one() -> None:
    s, y = np.array([[0.5, -0.5, 3.0]]), np.array([0])  # margin of class 1: exactly 0
    ds = handmade.multiclass_hinge_backward(1.0, handmade.multiclass_hinge_forward(s, y)[1])
    st_ = leaf(s)
    reference.multiclass_hinge(st_, torch.from_numpy(y)).backward()
    np.testing.assert_array_equal(ds, [[-1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(st_.grad.numpy(), [[-2.0, 1.0, 1.0]])


@given(data=st.data(), dtype=st.sampled_from(["f4", "f8"]),
       margin=st.floats(0, 3, allow_nan=False))
def test_random_shapes_values_and_margins_match_autograd(data, dtype, margin) -> None:
    n, c = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    s = data.draw(hnp.arrays(np.dtype(dtype), (n, c), elements=st.floats(-20, 20, width=32)))
    y = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    _check_against_torch(s, y, data.draw(st.floats(-3, 3, width=32)), margin)


def test_gradcheck(rng) -> None:
    s, y = rng.standard_normal((4, 5)), rng.integers(0, 5, 4)
    pair = as_autograd(lambda v: handmade.multiclass_hinge_forward(v, y),
                       handmade.multiclass_hinge_backward)
    assert torch.autograd.gradcheck(pair, (leaf(s),))


def test_module(rng) -> None:
    s, y = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    mine = handmade.MultiClassHingeLoss(margin=0.5)
    st_ = leaf(s)
    loss_t = reference.multiclass_hinge(st_, torch.from_numpy(y), 0.5)
    loss_t.backward()
    assert_close(mine.forward(s, y), loss_t, tensor="loss", against="forward")
    assert_close(mine.backward(), st_.grad, tensor="dscores", against="autograd")
    assert repr(mine) == "MultiClassHingeLoss(margin=0.5)"


@pytest.mark.parametrize("margin", [True, float("nan"), -1.0, "1", None])
def test_a_bad_margin_is_one_line_naming_it(margin) -> None:
    with pytest.raises(ValueError, match="^margin: expected"):
        handmade.multiclass_hinge_forward(np.ones((2, 3)), np.array([0, 1]), margin=margin)
    with pytest.raises(ValueError, match="^margin: expected"):
        handmade.MultiClassHingeLoss(margin)


def test_bad_labels_are_one_line() -> None:
    with pytest.raises(ValueError, match="^y: expected"):
        handmade.multiclass_hinge_forward(np.ones((2, 3)), np.array([0, 3]))


def test_cases_hold_a_row_with_no_and_one_with_several_active_margins() -> None:
    decl = DECLARATIONS["multiclass_hinge"]
    for case in decl.cases:
        inputs = decl.make_inputs(np.random.default_rng(0), case, np.dtype(np.float64))
        s, y = inputs["scores"], inputs["y"]
        active = (s - s[np.arange(len(y)), y][:, None] + 1 > 0).sum(axis=1) - 1
        assert active[0] == s.shape[1] - 1 > 1
        assert len(y) == 1 or active[1] == 0


def test_verify_passes_the_project_pair_and_notes_the_kink_choice() -> None:
    report = comparisons.verify(handmade.multiclass_hinge_forward,
                                handmade.multiclass_hinge_backward, "multiclass_hinge")
    assert report.passed and "margin exactly 0" in report.cases
    (note,) = report.gradient("dscores").notes
    assert note.startswith("subgradient_at_kink: dscores")


HEADER = '''from typing import Any

import numpy as np
from numpy.typing import NDArray

OP = "multiclass_hinge"
'''
FORWARD = '''

def forward(scores: NDArray, y: NDArray) -> tuple[NDArray, Any]:
    """CS231n's svm_loss_vectorized: mean over N of sum_{j != y} max(0, s_j - s_y + 1)."""
    n = scores.shape[0]
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1.0)
    margins[np.arange(n), y] = 0
    return margins.sum() / n, (scores, y, margins)
'''


def _source(doc: str, decls: str, backward: str, forward: str = FORWARD) -> str:
    head = f'"""{doc}"""\n\n{HEADER}{decls}\n{forward}\n\n'
    return (f'{head}def backward(dloss: Any, cache: Any) -> Any:\n    """{doc}"""\n'
            f'    scores, y, margins = cache\n    n = scores.shape[0]\n{backward}')


ROWS = "    rows = np.arange(n)\n"
PLANTED = {
    "correct_multiclass_hinge": _source(
        "Correct: CS231n's vectorised backward (binary = margins > 0, minus the row count).",
        "EXPECT: dict[str, str] = {}",
        ROWS + "    binary = (margins > 0).astype(scores.dtype)\n"
        "    binary[rows, y] = -binary.sum(axis=1)\n    return binary * dloss / n\n"),
    "multiclass_hinge_count_includes_y": _source(
        "Bug: the count taken before the j = y term is zeroed: k_n + 1 in every row.",
        'EXPECT = {"dscores": "localized"}',
        ROWS + "    full = np.maximum(0, scores - scores[rows, y][:, None] + 1.0)\n"
        "    binary = (margins > 0).astype(scores.dtype)\n"
        "    binary[rows, y] = -(full > 0).sum(axis=1)\n    return binary * dloss / n\n"),
    "multiclass_hinge_count_forgotten": _source(
        "Bug: dscores[n, y_n] = -1 / N instead of -k_n / N (the margin count forgotten).",
        'EXPECT = {"dscores": "localized"}',
        ROWS + "    binary = (margins > 0).astype(scores.dtype)\n"
        "    binary[rows, y] = -1\n    return binary * dloss / n\n"),
    "multiclass_hinge_divided_by_c": _source(
        "Bug: divided by N·C, torch's MultiMarginLoss convention.",
        'EXPECT = {"dscores": "scaled"}\nFACTOR = {"dscores": "1/C"}',
        ROWS + "    binary = (margins > 0).astype(scores.dtype)\n"
        "    binary[rows, y] = -binary.sum(axis=1)\n"
        "    return binary * dloss / (n * scores.shape[1])\n"),
}
CORRECT = {
    "multiclass_hinge_loops": _source(
        "CS231n's svm_loss_naive: two loops, the counts accumulated term by term.", "",
        "    d = np.zeros_like(scores)\n    for i in range(n):\n"
        "        for j in range(scores.shape[1]):\n"
        "            if j != y[i] and scores[i, j] - scores[i, y[i]] + 1 > 0:\n"
        "                d[i, j] += 1\n                d[i, y[i]] -= 1\n"
        "    return d * dloss / n\n"),
    "multiclass_hinge_ge_at_kink": _source(
        "Slope 1 at a margin exactly 0 (>= 0, torch's clamp's choice): no note needed.", "",
        ROWS + "    m = scores - scores[rows, y][:, None] + 1.0\n"
        "    binary = (m >= 0).astype(scores.dtype)\n    binary[rows, y] = 0\n"
        "    binary[rows, y] = -binary.sum(axis=1)\n    return binary * dloss / n\n"),
    "multiclass_hinge_onehot_list": _source(
        "dscores = (a − onehot(y) k) / N with np.where, as nested lists.", "",
        ROWS + "    a = np.where(margins > 0, 1.0, 0.0)\n    onehot = np.eye(scores.shape[1])[y]\n"
        "    return ((a - onehot * a.sum(axis=1, keepdims=True)) * dloss / n).tolist()\n"),
    "multiclass_hinge_float32": _source(
        "float32 run: the indicator kept in the scores' dtype.", 'DTYPE = "float32"',
        ROWS + "    binary = (margins > 0).astype(np.float32)\n"
        "    binary[rows, y] = -binary.sum(axis=1)\n    return binary * np.float32(dloss / n)\n"),
}


def test_the_gallery_is_here() -> None:
    assert len(PLANTED) >= 3 and len(CORRECT) >= 4


def test_a_wrong_margin_count_is_localized_with_its_rows_named() -> None:
    def forward(scores, y):
        return handmade.multiclass_hinge_forward(scores, y)

    def backward(dloss, cache):  # dscores[n, y_n] = -1 / N: the margin count k_n forgotten
        d = cache.active.copy()
        d[np.arange(len(cache.y)), cache.y] = -1
        return d * dloss / len(cache.y)

    g = comparisons.verify(forward, backward, "multiclass_hinge").gradient("dscores")
    assert (g.diagnosis, g.details["pattern_match"]) == ("localized", "exact")
    assert "of rows 0 (y = " in g.message and "k_n ≠ 1: −1 written instead of −k_n" in g.message
    rows = {int(i[0]) for i in g.details["indices"]}
    assert all(f"{r} (y = " in g.message for r in rows)
