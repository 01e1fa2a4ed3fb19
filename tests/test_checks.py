"""The validation helpers: each accepts good input unchanged and names the argument otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from handmade import _checks as c


def test_check_float_array_accepts_float32_and_float64_as_is() -> None:
    for dtype in (np.float32, np.float64):
        a = np.ones((2, 3), dtype)
        assert c.check_float_array("a", a, ndim=2) is a


@pytest.mark.parametrize(
    ("value", "kwargs", "match"),
    [
        ([1.0], {}, "a: expected a float32 or float64 ndarray, got list"),
        (np.ones(2, np.float16), {}, "a: expected a float32 or float64 ndarray, got ndarray of "
                                     "dtype float16"),
        (np.ones(3), {"ndim": 2}, r"a: expected 2-D array, got 1-D with shape \(3,\)"),
        (np.ones((0, 2)), {}, r"a: expected a non-empty array, got shape \(0, 2\)"),
        (np.array([1.0, np.nan, np.inf]), {}, "a: expected finite values, got 2 NaN/Inf entries"),
    ],
)
def test_check_float_array_rejects(value, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        c.check_float_array("a", value, **kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_check_finite_accepts_huge_finite_values_silently(dtype, recwarn) -> None:
    # the fast path must neither reject nor warn where a sum of the entries would overflow
    big = np.array([np.finfo(dtype).max] * 3 + [-np.finfo(dtype).max], dtype=dtype)
    assert c.check_finite("a", big) is big
    with pytest.raises(ValueError, match="a: expected finite values, got 2 NaN/Inf entries"):
        c.check_finite("a", np.concatenate([big, np.array([np.inf, -np.inf], dtype=dtype)]))
    assert not recwarn.list


@pytest.mark.parametrize("where", [(0, 0), (6, 4), (3, 2)])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_finite_finds_one_bad_entry_among_many(bad, where) -> None:
    a = np.ones((7, 5))
    a[where] = bad
    with pytest.raises(ValueError, match="got 1 NaN/Inf entries"):
        c.check_finite("a", a)
    assert c.check_finite("a", np.zeros((0, 3))).shape == (0, 3)


def test_check_shape_message_has_symbols_note_and_actual() -> None:
    W = np.ones((4, 5))
    assert c.check_shape("W", W, (4, 5)) is W
    with pytest.raises(ValueError) as info:
        c.check_shape("W", W, (4, 3), symbols="(D_out, D_in)", note="with D_in=3 to match x")
    assert str(info.value) == "W: expected shape (D_out, D_in) with D_in=3 to match x, got (4, 5)"
    with pytest.raises(ValueError, match=r"^W: expected shape \(5, 4\), got \(4, 5\)$"):
        c.check_shape("W", W, (5, 4))


def test_check_same_dtype_names_the_odd_one_out() -> None:
    a, b = np.ones(2), np.ones(2, np.float32)
    assert c.check_same_dtype(("a", a), ("c", np.ones(3))) == np.float64
    with pytest.raises(ValueError, match="^b: expected dtype float64 to match a, got float32$"):
        c.check_same_dtype(("a", a), ("b", b))


def test_check_labels() -> None:
    y = np.array([0, 2, 1])
    assert c.check_labels("y", y, 3, 3) is y
    with pytest.raises(ValueError, match=r"y: expected labels in \[0, 2\), got values in \[0, 2\]"):
        c.check_labels("y", y, 3, 2)
    with pytest.raises(ValueError, match=r"\[0, 3\), got values in \[-1, 2\]"):
        c.check_labels("y", np.array([0, -1, 2]), 3, 3)
    with pytest.raises(ValueError, match="y: expected an integer ndarray of labels, got list"):
        c.check_labels("y", [0, 1, 2], 3, 3)


@pytest.mark.parametrize("p", [0, 0.5, np.float32(0.25), np.array(0.9)])
def test_check_probability_accepts(p) -> None:
    assert c.check_probability("p", p) == float(p)


@pytest.mark.parametrize(
    ("p", "match"),
    [(1.0, r"p: expected a probability in \[0, 1\), got 1.0"), (-0.5, "got -0.5"),
     (float("nan"), "p: expected a finite value, got nan"), (True, "p: expected a real scalar"),
     (np.ones(2), "p: expected a real scalar, got ndarray")],
)
def test_check_probability_rejects(p, match) -> None:
    with pytest.raises(ValueError, match=match):
        c.check_probability("p", p)


def test_check_nonnegative() -> None:
    assert c.check_nonnegative("lam", 0) == 0.0
    with pytest.raises(ValueError, match="lam: expected a value >= 0, got -1.0"):
        c.check_nonnegative("lam", -1)


def test_check_scalar_grad_casts_to_the_loss_dtype() -> None:
    d = c.check_scalar_grad("dloss", np.float64(2.5), np.dtype(np.float32))
    assert d == 2.5 and d.dtype == np.float32
    with pytest.raises(ValueError, match="dloss: expected a real scalar, got ndarray"):
        c.check_scalar_grad("dloss", np.ones(2), np.dtype(np.float64))


def test_check_grad_wants_the_forward_shape_and_dtype() -> None:
    d = np.ones((2, 3))
    assert c.check_grad("dout", d, (2, 3), np.dtype(np.float64)) is d
    with pytest.raises(ValueError, match=r"dout: expected shape \(3, 2\) to match the forward"):
        c.check_grad("dout", d, (3, 2), np.dtype(np.float64))
    with pytest.raises(ValueError, match="dout: expected dtype float32 to match the forward"):
        c.check_grad("dout", d, (2, 3), np.dtype(np.float32))


def test_check_rng() -> None:
    g = np.random.default_rng(0)
    assert c.check_rng("rng", g) is g
    with pytest.raises(ValueError, match="rng: expected a numpy.random.Generator, got RandomState"):
        c.check_rng("rng", np.random.RandomState(0))
