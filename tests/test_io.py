"""argparse integer types of comparisons.io: what they accept and the one-line reasons."""

from __future__ import annotations

from argparse import ArgumentTypeError

import pytest

from comparisons.io import nonnegative_int, positive_int


@pytest.mark.parametrize("fn, text, value", [
    (nonnegative_int, "0", 0), (nonnegative_int, "17", 17),
    (positive_int, "1", 1), (positive_int, " 40 ", 40),
])
def test_integer_types_accept(fn, text, value) -> None:
    assert fn(text) == value


@pytest.mark.parametrize("fn, text, message", [
    (nonnegative_int, "-1", "expected a non-negative integer, got -1"),
    (nonnegative_int, "1.5", "expected a non-negative integer, got '1.5'"),
    (positive_int, "0", "expected a positive integer, got 0"),
    (positive_int, "ten", "expected a positive integer, got 'ten'"),
])
def test_integer_types_reject_with_the_reason(fn, text, message) -> None:
    with pytest.raises(ArgumentTypeError) as err:
        fn(text)
    assert str(err.value) == message
